import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const live = new Set<string>();
let exitHookInstalled = false;

/**
 * Runs `fn` in a fresh directory under the system's temporary directory and removes it afterwards,
 * whether `fn` returns or throws, and also when the process exits part way (a signal the CLI turns into
 * an exit), so no path leaves one behind.
 */
export async function withTempDir<T>(prefix: string, fn: (dir: string) => Promise<T>): Promise<T> {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const dir of live) rmSync(dir, { recursive: true, force: true });
    });
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  live.add(dir);
  try {
    return await fn(dir);
  } finally {
    // Retries: a writer that failed part way (an extraction) may still be closing files in it.
    await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
    live.delete(dir);
  }
}
