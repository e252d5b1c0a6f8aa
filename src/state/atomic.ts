import { randomBytes } from 'node:crypto';
import { copyFile, open, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isErrno } from '../errors.ts';
import { makeDirs } from './fs.ts';

/** A name beside `file` for staging it; dot-prefixed so globs such as dkms's `+([0-9]).*` skip it. */
export function stagingName(file: string, tag = 'tmp'): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${tag}-${randomBytes(4).toString('hex')}`);
}

export async function fsyncPath(file: string): Promise<void> {
  const handle = await open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Makes a rename in `dir` durable. */
export async function fsyncDir(dir: string): Promise<void> {
  await fsyncPath(dir);
}

/** Writes a file so that readers see the old content or the new, never a part: temp, fsync, rename, fsync dir. */
export async function writeFileAtomic(file: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  await makeDirs(path.dirname(file));
  const temp = stagingName(file);
  try {
    await writeFile(temp, data, { mode });
    await fsyncPath(temp);
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await fsyncDir(path.dirname(file));
}

/** Copies a file into place atomically (an existing destination is replaced in one rename). */
export async function copyFileAtomic(source: string, dest: string): Promise<void> {
  await makeDirs(path.dirname(dest));
  const temp = stagingName(dest);
  try {
    await copyFile(source, temp);
    await fsyncPath(temp);
    await rename(temp, dest);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await fsyncDir(path.dirname(dest));
}

/** Points a symlink at target, replacing whatever link was there in one rename. */
export async function symlinkAtomic(target: string, link: string): Promise<void> {
  await makeDirs(path.dirname(link));
  const temp = stagingName(link);
  await symlink(target, temp);
  try {
    await rename(temp, link);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await fsyncDir(path.dirname(link));
}

/**
 * Moves a fully staged directory to `dest`. An existing `dest` is first renamed aside and deleted after,
 * so at every instant `dest` is either the old tree or the new one.
 */
export async function replaceDir(staged: string, dest: string): Promise<void> {
  const aside = stagingName(dest, 'old');
  let hadOld = true;
  try {
    await rename(dest, aside);
  } catch (error) {
    if (!isErrno(error, 'ENOENT')) throw error;
    hadOld = false;
  }
  try {
    await rename(staged, dest);
  } catch (error) {
    if (hadOld) await rename(aside, dest);
    throw error;
  }
  await fsyncDir(path.dirname(dest));
  if (hadOld) await rm(aside, { recursive: true, force: true });
}

/** Removes a file, durably; a missing file is not an error. */
export async function removeFile(file: string): Promise<boolean> {
  try {
    await unlink(file);
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return false;
    throw error;
  }
  await fsyncDir(path.dirname(file));
  return true;
}

/**
 * Produces a file through `write(tempPath)` and renames it into place, so a failure or a kill never leaves
 * a partial file at `file` (package and tarball outputs).
 */
export async function writeThroughStaging(
  file: string,
  write: (temp: string) => Promise<void>,
): Promise<void> {
  await makeDirs(path.dirname(file));
  const temp = stagingName(file);
  try {
    await write(temp);
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
