import os from 'node:os';
import { findOnPath } from '../../exec/which.ts';
import type { Io } from '../io.ts';
import { runDkms } from './run-dkms.ts';

/**
 * Runs the `dkms` front end as this process: `$0` as bash would have it for a script found on PATH, the
 * environment dkms reads its defaults from, and who runs it.
 */
export function runDkmsProcess(argv: readonly string[], io: Io, invokedAs: string): Promise<number> {
  const program = invokedAs.includes('/') ? invokedAs : (findOnPath(invokedAs) ?? invokedAs);
  return runDkms(argv, {
    io,
    program,
    env: process.env,
    isRoot: process.getuid?.() === 0,
    runningKernel: os.release(),
    machine: os.machine(),
  });
}
