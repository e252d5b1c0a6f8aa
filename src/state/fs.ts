import { lstatSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { isErrno } from '../errors.ts';

/** Errors that mean "not there" for a lookup: missing, a non-directory on the way, or not ours to read. */
const missing = ['ENOENT', 'ENOTDIR', 'ELOOP', 'EACCES'];

/**
 * A lookup of the state tree, done synchronously and handed over as a promise (a throw becomes its
 * rejection). A stat or a small read takes microseconds on a local disk, while a round trip through
 * libuv's thread pool per lookup made status, which does hundreds, half again as slow.
 */
export function lookup<T>(fn: () => T): Promise<T> {
  return new Promise((resolve) => {
    resolve(fn());
  });
}

/** Whether path is a directory (following links); other errors than "not there" are thrown. */
export function isDir(p: string): Promise<boolean> {
  return lookup(() => {
    try {
      return statSync(p).isDirectory();
    } catch (error) {
      if (isErrno(error, ...missing)) return false;
      throw error;
    }
  });
}

/** Whether anything is at path, a dangling link included. */
export function exists(p: string): Promise<boolean> {
  return lookup(() => {
    try {
      lstatSync(p);
      return true;
    } catch (error) {
      if (isErrno(error, ...missing)) return false;
      throw error;
    }
  });
}

/** The names in a directory, or none when it is not there. */
export function listDir(dir: string): Promise<string[]> {
  return lookup(() => {
    try {
      return readdirSync(dir);
    } catch (error) {
      if (isErrno(error, ...missing)) return [];
      throw error;
    }
  });
}

/** A text file's contents, or undefined when it is not there. */
export function readOptional(file: string): Promise<string | undefined> {
  return lookup(() => {
    try {
      return readFileSync(file, 'utf8');
    } catch (error) {
      if (isErrno(error, ...missing)) return undefined;
      throw error;
    }
  });
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
