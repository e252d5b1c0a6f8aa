import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { baseEnv } from './run.ts';

/** Whether `command` is an executable in the PATH our subprocesses get. */
export function isOnPath(command: string): boolean {
  return (baseEnv()['PATH'] ?? '').split(':').some((dir) => {
    try {
      accessSync(path.join(dir, command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}
