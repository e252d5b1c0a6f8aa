import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { baseEnv } from './run.ts';

/** The path of `command` in the PATH our subprocesses get, if it is there. */
export function findOnPath(command: string): string | undefined {
  for (const dir of (baseEnv()['PATH'] ?? '').split(':')) {
    const file = path.join(dir, command);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // ENOENT or EACCES: not usable from this directory.
    }
  }
  return undefined;
}

/** Whether `command` is an executable in the PATH our subprocesses get. */
export function isOnPath(command: string): boolean {
  return findOnPath(command) !== undefined;
}
