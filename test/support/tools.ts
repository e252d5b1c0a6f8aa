import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { it } from 'vitest';

/** Whether a command is on PATH (and executable), as the shell would find it. */
export function hasTool(name: string): boolean {
  return (process.env['PATH'] ?? '').split(':').some((dir) => {
    try {
      accessSync(path.join(dir === '' ? '.' : dir, name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * A test that needs `tool`: where it is not installed, the test is skipped and its name says why, so a
 * machine without rpm or dpkg still runs the rest of the unit tier.
 */
export function itWithTool(tool: string, name: string, fn: () => void | Promise<void>): void {
  if (hasTool(tool)) it(name, fn);
  else it.skip(`${name} (skipped: ${tool} is not installed)`, fn);
}
