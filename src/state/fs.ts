import { lstat, mkdir, readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { isErrno } from '../errors.ts';

/** Errors that mean "not there" for a lookup: missing, a non-directory on the way, or not ours to read. */
const missing = ['ENOENT', 'ENOTDIR', 'ELOOP', 'EACCES'];

/** Whether path is a directory (following links); other errors than "not there" are thrown. */
export async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch (error) {
    if (isErrno(error, ...missing)) return false;
    throw error;
  }
}

/** Whether anything is at path, a dangling link included. */
export async function exists(p: string): Promise<boolean> {
  try {
    await lstat(p);
    return true;
  } catch (error) {
    if (isErrno(error, ...missing)) return false;
    throw error;
  }
}

/** The names in a directory, or none when it is not there. */
export async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if (isErrno(error, ...missing)) return [];
    throw error;
  }
}

/** A text file's contents, or undefined when it is not there. */
export async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if (isErrno(error, ...missing)) return undefined;
    throw error;
  }
}

/**
 * mkdir -p with the real error. Node's recursive mkdir reports ENOENT when a step fails for another
 * reason (a read-only file system, no permission), which would read as a bug; the steps are then made one
 * by one, so the failing one throws what really went wrong.
 */
export async function makeDirs(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    if (!isErrno(error, 'ENOENT')) throw error;
    const missing: string[] = [];
    for (let current = dir; !(await exists(current)); current = path.dirname(current))
      missing.unshift(current);
    for (const step of missing) await mkdir(step);
  }
}
