import { lstat, readdir, stat } from 'node:fs/promises';
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
