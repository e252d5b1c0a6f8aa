import type { Stats } from 'node:fs';
import {
  chmod,
  constants,
  copyFile,
  lstat,
  lutimes,
  mkdir,
  readdir,
  readlink,
  stat,
  symlink,
  unlink,
  utimes,
} from 'node:fs/promises';
import { KmodError, fromFixableErrno, isErrno } from '../errors.ts';

export interface CopyTreeOptions {
  /** Keeps access and modification times, as `cp -a` (dkms's build copy) does. */
  preserveTimestamps?: boolean;
}

const slash = Buffer.from('/');

function joinBytes(dir: Buffer, name: Buffer): Buffer {
  return Buffer.concat([dir, slash, name]);
}

/**
 * A byte path for messages: as it is when it is UTF-8, else with every byte outside printable ASCII
 * written \xNN (as `ls -b` does), so that the name the user sees is the one on disk.
 */
export function describeBytePath(p: Buffer): string {
  const text = p.toString('utf8');
  if (Buffer.from(text, 'utf8').equals(p)) return text;
  return Array.from(p, (b) =>
    b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`,
  ).join('');
}

/** Runs one step of copying `from` to `to`, turning the errors the user can fix into a KmodError naming both. */
async function runCopyStep<T>(from: Buffer, to: Buffer, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    throw (
      fromFixableErrno(error, `Cannot copy ${describeBytePath(from)} to ${describeBytePath(to)}`) ?? error
    );
  }
}

/**
 * Waits for every copy (so that a caller removing a half-made tree does not race the ones still running)
 * and throws the first failure.
 */
async function settleAll(steps: readonly Promise<void>[]): Promise<void> {
  const failed = (await Promise.allSettled(steps)).find((r) => r.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
}

/** Copies a file, replacing (never writing through) whatever is at `to`; modes come along (libuv fchmods). */
async function copyRegular(from: Buffer, to: Buffer): Promise<void> {
  const flags = constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE;
  try {
    await copyFile(from, to, flags);
  } catch (error) {
    if (!isErrno(error, 'EEXIST')) throw error;
    await unlink(to);
    await copyFile(from, to, flags);
  }
}

/** Re-creates a link with its target's bytes unchanged (relative links stay relative). */
async function copyLink(from: Buffer, to: Buffer): Promise<void> {
  const target = await readlink(from, { encoding: 'buffer' });
  try {
    await symlink(target, to);
  } catch (error) {
    if (!isErrno(error, 'EEXIST')) throw error;
    await unlink(to);
    await symlink(target, to);
  }
}

async function copyDirectory(
  from: Buffer,
  to: Buffer,
  stats: Stats,
  options: CopyTreeOptions,
): Promise<void> {
  const created = await runCopyStep(from, to, async () => {
    try {
      await mkdir(to);
      return true;
    } catch (error) {
      // Merging into an existing directory (a staging root) leaves its mode and times alone, as fs.cp did.
      if (isErrno(error, 'EEXIST') && (await stat(to)).isDirectory()) return false;
      throw error;
    }
  });
  // Names are read as bytes: as strings, a name that is not UTF-8 would come back as U+FFFD and miss.
  const names = await runCopyStep(from, to, () => readdir(from, { encoding: 'buffer' }));
  await settleAll(names.map((name) => copyEntry(joinBytes(from, name), joinBytes(to, name), options)));
  if (!created) return;
  await runCopyStep(from, to, async () => {
    // Only now: a read-only source directory must stay writable until its entries are in.
    await chmod(to, stats.mode & 0o7777);
    if (options.preserveTimestamps === true) await utimes(to, stats.atimeMs / 1000, stats.mtimeMs / 1000);
  });
}

async function copyEntry(from: Buffer, to: Buffer, options: CopyTreeOptions): Promise<void> {
  const stats = await runCopyStep(from, to, () => lstat(from));
  if (stats.isDirectory()) return copyDirectory(from, to, stats, options);
  await runCopyStep(from, to, async () => {
    if (stats.isFile()) await copyRegular(from, to);
    else if (stats.isSymbolicLink()) await copyLink(from, to);
    else
      throw new KmodError(
        'COMMAND_FAILED',
        `Cannot copy ${describeBytePath(from)}: not a file, directory or symbolic link`,
      );
    if (options.preserveTimestamps === true) {
      const times = [stats.atimeMs / 1000, stats.mtimeMs / 1000] as const;
      await (stats.isSymbolicLink() ? lutimes(to, ...times) : utimes(to, ...times));
    }
  });
}

/**
 * Copies the directory `from` (a link to one is followed) to `to`, which may exist already: files with
 * their modes, symbolic links verbatim, and every name as the bytes it is on disk. File names are bytes,
 * and module sources may hold names that are not UTF-8. Failures the user can fix (rights, read-only or
 * full file systems) throw a KmodError naming the path; what was copied so far is left for the caller to
 * remove.
 */
export async function copyTree(from: string, to: string, options: CopyTreeOptions = {}): Promise<void> {
  const source = Buffer.from(from);
  const dest = Buffer.from(to);
  const stats = await runCopyStep(source, dest, () => stat(source));
  if (!stats.isDirectory()) throw new KmodError('COMMAND_FAILED', `Cannot copy ${from}: not a directory`);
  await copyDirectory(source, dest, stats, options);
}
