import { access, constants } from 'node:fs/promises';
import path from 'node:path';
import { KmodError, isErrno } from '../errors.ts';
import { makeDirs } from './fs.ts';

export interface StateLock {
  release: () => Promise<void>;
}

export const lockFileName = '.kmodforge.lock';

/**
 * Takes an exclusive flock(2) on <dkmsTree>/.kmodforge.lock through flock(1), which holds it for as long as
 * its stdin stays open: the kernel frees the lock when we exit or are killed, so a crash never leaves a
 * stale lock. (This long-lived holder is the one child that does not go through exec/run: it never ends on
 * its own.) Shell scripts can take the same lock with `flock <dkmsTree>/.kmodforge.lock …`.
 */
export async function acquireStateLock(
  dkmsTree: string,
  options: { wait: false },
): Promise<StateLock | undefined>;
export async function acquireStateLock(
  dkmsTree: string,
  options?: { wait?: true; onWait?: () => void },
): Promise<StateLock>;
export async function acquireStateLock(
  dkmsTree: string,
  options: { wait?: boolean; onWait?: () => void } = {},
): Promise<StateLock | undefined> {
  try {
    await makeDirs(dkmsTree);
    // flock opens an existing lock file for reading, so it succeeds on a read-only tree; ask first.
    await access(dkmsTree, constants.W_OK);
  } catch (error) {
    if (isErrno(error, 'EACCES', 'EROFS', 'EPERM', 'ENOENT')) throw notWritable(dkmsTree);
    throw error;
  }
  const file = path.join(dkmsTree, lockFileName);
  // Loaded here, not at start-up: status takes no lock unless a journal needs recovering.
  const { execa } = await import('execa');
  const holder = execa(
    'flock',
    [...(options.wait === false ? ['-n'] : []), '-x', file, 'sh', '-c', 'echo locked; exec cat >/dev/null'],
    {
      stdin: 'pipe',
      stdout: 'pipe',
      stderr: 'pipe',
      reject: false,
      cleanup: true,
      buffer: false,
    },
  );
  const waitNotice = setTimeout(() => options.onWait?.(), 1000);
  try {
    const locked = await new Promise<boolean>((resolve, reject) => {
      let stderr = '';
      holder.stdout.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('locked')) resolve(true);
      });
      holder.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      void holder.then((result) => {
        // flock -n exits 1 at once when someone else holds the lock.
        if (options.wait === false && result.exitCode === 1 && stderr === '') {
          resolve(false);
          return;
        }
        const message = stderr.trim() || `flock exited with ${String(result.exitCode)}`;
        reject(
          /Permission denied|Read-only file system/.test(message)
            ? notWritable(dkmsTree)
            : new KmodError('COMMAND_FAILED', `cannot lock ${file}: ${message}`),
        );
      });
    });
    if (!locked) return undefined;
  } finally {
    clearTimeout(waitNotice);
  }
  return {
    release: async () => {
      holder.stdin.end();
      await holder;
    },
  };
}

export function notWritable(dkmsTree: string): KmodError {
  return new KmodError('NOT_PERMITTED', `No write access to DKMS tree at ${dkmsTree}`, {
    hint: 'run as root, or point --dkmstree (or --root) at a tree you can write',
  });
}

/** Runs fn while holding the state lock. */
export async function withStateLock<T>(
  dkmsTree: string,
  fn: () => Promise<T>,
  onWait?: () => void,
): Promise<T> {
  const lock = await acquireStateLock(dkmsTree, onWait === undefined ? {} : { onWait });
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}
