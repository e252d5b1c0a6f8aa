import { execa } from 'execa';
import { KmodError } from '../errors.ts';
import { quoteCommand } from './quote.ts';

export interface RunOptions {
  cwd?: string | undefined;
  /** The whole environment of the child; nothing is inherited. Defaults to {@link baseEnv}. */
  env?: Readonly<Record<string, string>> | undefined;
  timeoutMs?: number | undefined;
  /** Appends the child's stdout and stderr to this file as they arrive. */
  logFile?: string | undefined;
}

export interface RunResult {
  command: string;
  exitCode: number | undefined;
  signal: string | undefined;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved as they arrived. */
  all: string;
  durationMs: number;
}

const activeGroups = new Set<number>();
let exitHookInstalled = false;

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Children run in their own process groups (so a timeout can kill make and every compiler under it);
  // that also means they outlive us unless we take them down when we exit.
  process.on('exit', () => {
    for (const pid of activeGroups) killGroup(pid, 'SIGKILL');
  });
}

/** A minimal, predictable environment for subprocesses: no CC/CFLAGS/MAKEFLAGS leaking in from the caller. */
export function baseEnv(extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  return {
    PATH: process.env['PATH'] ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    LC_ALL: 'C',
    HOME: process.env['HOME'] ?? '/root',
    ...extra,
  };
}

/**
 * Runs a command (argv, never a shell string) in its own process group, streaming its output to the
 * log file when one is given. Never throws for a non-zero exit; see {@link runOrThrow}.
 */
export async function runCommand(
  file: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<RunResult> {
  installExitHook();
  const command = quoteCommand([file, ...args]);
  const started = performance.now();
  const output =
    options.logFile === undefined ? 'pipe' : (['pipe', { file: options.logFile, append: true }] as const);
  const child = execa(file, args, {
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    env: options.env ?? baseEnv(),
    extendEnv: false,
    stdin: 'ignore',
    stdout: output,
    stderr: output,
    all: true,
    reject: false,
    detached: true,
    cleanup: false,
    stripFinalNewline: false,
  });
  const pid = child.pid;
  const ended = { timedOut: false };
  let timer: NodeJS.Timeout | undefined;
  if (pid !== undefined) {
    activeGroups.add(pid);
    if (options.timeoutMs !== undefined) {
      timer = setTimeout(() => {
        ended.timedOut = true;
        killGroup(pid, 'SIGTERM');
        setTimeout(() => {
          killGroup(pid, 'SIGKILL');
        }, 2000).unref();
      }, options.timeoutMs);
    }
    // Background children that keep our pipes open would otherwise hold the command open after it ends.
    child.once('exit', () => {
      killGroup(pid, 'SIGKILL');
    });
  }
  const result = await child;
  if (timer !== undefined) clearTimeout(timer);
  if (pid !== undefined) activeGroups.delete(pid);
  if (result.failed && result.exitCode === undefined && result.signal === undefined && !ended.timedOut) {
    throw new KmodError('COMMAND_FAILED', `could not run ${command}: ${result.shortMessage}`, {
      cause: result.cause,
    });
  }
  return {
    command,
    exitCode: result.exitCode,
    signal: result.signal,
    timedOut: ended.timedOut,
    stdout: result.stdout,
    stderr: result.stderr,
    all: result.all,
    durationMs: performance.now() - started,
  };
}

/** Describes how a command ended, for messages: "exit code 2", "killed by SIGKILL", "timed out after 30 s". */
export function describeEnd(result: RunResult, timeoutMs?: number): string {
  if (result.timedOut) return `timed out after ${Math.round((timeoutMs ?? 0) / 1000)} s`;
  if (result.signal !== undefined) return `killed by ${result.signal}`;
  return `exit code ${result.exitCode ?? 'unknown'}`;
}

/** Runs a command and throws a KmodError naming the command line and its last output lines if it fails. */
export async function runOrThrow(
  file: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<RunResult> {
  const result = await runCommand(file, args, options);
  if (result.exitCode !== 0 || result.timedOut) {
    const tail = lastLines(result.all, 20);
    throw new KmodError(
      'COMMAND_FAILED',
      `${result.command} failed (${describeEnd(result, options.timeoutMs)})${tail === '' ? '' : `:\n${tail}`}`,
      options.logFile === undefined ? {} : { hint: `full output in ${options.logFile}` },
    );
  }
  return result;
}

export function lastLines(text: string, count: number): string {
  const lines = text.trimEnd().split('\n');
  return lines.slice(-count).join('\n');
}
