import { rmSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { KmodError } from '../errors.ts';
import { readTree } from './walk-tree.ts';
import os from 'node:os';
import path from 'node:path';

const live = new Set<string>();
let exitHookInstalled = false;

/**
 * Removes `dir` should the process exit before {@link forgetOnExit} (a signal the CLI turns into an exit),
 * so a directory of ours that is only half made is not left behind.
 */
export function removeOnExit(dir: string): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const d of live) {
        try {
          rmSync(d, { recursive: true, force: true });
        } catch {
          // Exiting anyway; a directory that cannot be removed now must not turn the exit into a crash.
        }
      }
    });
  }
  live.add(dir);
}

export function forgetOnExit(dir: string): void {
  live.delete(dir);
}

/** Whether this process is still working in `dir` (so it is not another's leftover). */
export function isRemovedOnExit(dir: string): boolean {
  return live.has(dir);
}

/**
 * Runs `fn` in a fresh directory under the system's temporary directory and removes it afterwards,
 * whether `fn` returns or throws, and also when the process exits part way, so no path leaves one behind.
 */
export async function withTempDir<T>(prefix: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix)).catch((error: unknown) => {
    throw new KmodError(
      'COMMAND_FAILED',
      `Cannot make a temporary directory in ${os.tmpdir()}: ${String(error)}`,
      {
        hint: 'point TMPDIR at a directory kmodforge can write to',
        cause: error,
      },
    );
  });
  removeOnExit(dir);
  try {
    return await fn(dir);
  } finally {
    await removeTempDir(dir);
    forgetOnExit(dir);
  }
}

/**
 * Removes a temporary directory whatever it holds. An extracted tarball may hold read-only directories,
 * which a user who is not root cannot empty until they are writable again.
 */
async function removeTempDir(dir: string): Promise<void> {
  // Retries: a writer that failed part way (an extraction) may still be closing files in it.
  const remove = (): Promise<void> =>
    rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
  try {
    await remove();
  } catch {
    for (const entry of await readTree(dir).catch(() => []))
      if (entry.kind === 'directory') await chmod(entry.path, 0o700).catch(() => undefined);
    await remove();
  }
}
