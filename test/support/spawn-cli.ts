/**
 * Test support: the CLI as it ships (bin/kmodforge.js and the bundle in dist/, which the vitest
 * globalSetup builds from the current sources) in a child process, for tests that kill it, signal it,
 * close its output or otherwise need a real process (in-process runs are test/support/cli.ts runCli).
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * The command that runs this checkout's CLI as it ships (absolute paths, so it works from any directory).
 * Append the CLI's arguments.
 */
export const cliCommand: readonly [string, ...string[]] = [
  process.execPath,
  path.join(here, '../../bin/kmodforge.js'),
];

/** The running CLI child: no stdin, stdout and stderr piped (and collected by spawnCli). */
export type CliChild = ChildProcessByStdio<null, Readable, Readable>;

export interface SpawnCliOptions {
  /** Variables added to this process's environment. */
  env?: Readonly<Record<string, string>>;
  /**
   * Called once the child is started, before it can have printed anything, to act on it: close its
   * stdout ({@link closeStdout}), signal it once a condition holds ({@link signalWhen}). When it throws or
   * rejects, the child is killed and spawnCli rejects with that error.
   */
  onSpawn?: (child: CliChild) => void | Promise<void>;
}

export interface SpawnResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the shipped CLI in a child process and resolves with how it ended and what it printed. */
export function spawnCli(args: readonly string[], options: SpawnCliOptions = {}): Promise<SpawnResult> {
  return new Promise((resolve, reject) => {
    const [file, ...prefix] = cliCommand;
    const child = spawn(file, [...prefix, ...args], {
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let failure: Error | undefined;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (failure === undefined) resolve({ code, signal, stdout, stderr });
      else reject(failure);
    });
    if (options.onSpawn !== undefined) {
      const onSpawn = options.onSpawn;
      void (async () => {
        try {
          await onSpawn(child);
        } catch (error) {
          failure = error instanceof Error ? error : new Error(String(error));
          child.kill('SIGKILL');
        }
      })();
    }
  });
}

/** An onSpawn action: the child's stdout reader goes away before the child writes anything (EPIPE). */
export function closeStdout(child: CliChild): void {
  child.stdout.destroy();
}

/**
 * An onSpawn action: sends `signal` to the child once `ready()` holds (checked every 50 ms), unless the
 * child has ended before.
 */
export function signalWhen(
  ready: () => Promise<boolean>,
  signal: NodeJS.Signals,
): (child: CliChild) => Promise<void> {
  return async (child) => {
    const running = (): boolean => child.exitCode === null && child.signalCode === null;
    while (running() && !(await ready())) await new Promise((resolve) => setTimeout(resolve, 50));
    if (running()) child.kill(signal);
  };
}
