import { createWriteStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { KmodError, fromFixableErrno } from '../errors.ts';
import { quoteCommand } from './quote.ts';

export interface RunOptions {
  cwd?: string | undefined;
  /** The whole environment of the child; nothing is inherited. Defaults to {@link baseEnv}. */
  env?: Readonly<Record<string, string>> | undefined;
  timeoutMs?: number | undefined;
  /** Appends the child's stdout and stderr to this file as they arrive. */
  logFile?: string | undefined;
  /** Descriptors of ours the child gets as its fd 3, 4, … (a make jobserver's pipe). */
  passFds?: readonly number[] | undefined;
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

/**
 * How long to go on reading after the command itself has exited. What it started in another session
 * (`setsid daemon &`) is out of reach of killGroup and can hold our pipes open for as long as it lives;
 * execa would wait for their end, and so for it.
 */
const outputDrainMs = 300;

/** How long after the command's exit its output may still be arriving, before we stop reading. */
const outputDrainLimitMs = 5000;

/** How long a command has to end after SIGTERM at its time limit before it gets SIGKILL. */
const killGraceMs = 2000;

/** The part of an execa subprocess that {@link supervise} needs. */
interface Supervised {
  readonly stdout: Readable;
  readonly stderr: Readable;
  once(event: 'exit', listener: () => void): unknown;
}

interface Supervisor {
  timedOut: () => boolean;
  /** Call once the command's promise has settled. */
  stop: () => void;
}

/**
 * Enforces the time limit on the command's process group, and makes the command's end (by itself or by the
 * time limit) the end of the wait: whatever it left behind gets a short drain, then we stop reading.
 */
function supervise(child: Supervised, pid: number, timeoutMs: number | undefined): Supervisor {
  activeGroups.add(pid);
  const timers = new Timers();
  let timedOut = false;
  if (timeoutMs !== undefined) {
    timers.after(timeoutMs, () => {
      timedOut = true;
      killGroup(pid, 'SIGTERM');
      timers.after(killGraceMs, () => {
        killGroup(pid, 'SIGKILL');
      });
    });
  }
  child.once('exit', () => {
    // From here on the pid may be reused once its group is empty: no signal to it after this one.
    timers.clear();
    activeGroups.delete(pid);
    // Background children in the command's group would otherwise hold the command open after it ends.
    killGroup(pid, 'SIGKILL');
    stopReadingAfterDrain([child.stdout, child.stderr], timers);
  });
  return {
    timedOut: () => timedOut,
    stop: () => {
      timers.stop();
      activeGroups.delete(pid);
    },
  };
}

/**
 * Destroys the streams once they have caught up with what the exited command wrote; execa takes a
 * destroyed output stream as ended and keeps what it read.
 */
function stopReadingAfterDrain(streams: readonly Readable[], timers: Timers): void {
  const giveUpAt = performance.now() + outputDrainLimitMs;
  const check = (): void => {
    // Timers run before libuv polls for I/O; one poll first reads what is already in the pipes.
    setImmediate(() => {
      if (streams.every(caughtUp) || performance.now() >= giveUpAt) {
        for (const stream of streams) stream.destroy();
      } else {
        timers.after(50, check);
      }
    });
  };
  timers.after(outputDrainMs, check);
}

/** Nothing of the stream's is held back from its consumers. */
function caughtUp(stream: Readable): boolean {
  return (
    stream.readableEnded ||
    stream.destroyed ||
    (stream.readableFlowing !== false && stream.readableLength === 0)
  );
}

/**
 * Appends what the command writes to its log file as it arrives. The log is ours, not a pipe target of the
 * command's streams: they may be cut short once the command has exited (see supervise), and the log must
 * still get every byte read, however slow its disk.
 */
function teeToLog(child: Supervised, logFile: string): { close: () => Promise<void> } {
  const log = createWriteStream(logFile, { flags: 'a' });
  // The first error is reported by close(); without a listener it would crash the process meanwhile.
  let firstError: Error | undefined;
  log.on('error', (error) => {
    firstError ??= error;
  });
  for (const stream of [child.stdout, child.stderr]) stream.on('data', (chunk: Buffer) => log.write(chunk));
  return {
    close: () =>
      new Promise<void>((resolve, reject) => {
        log.end((endError?: Error | null) => {
          const error = firstError ?? endError ?? undefined;
          if (error === undefined) resolve();
          else
            reject(
              fromFixableErrno(error, `Cannot write the log ${logFile}`) ??
                new KmodError('COMMAND_FAILED', `Cannot write the log ${logFile}: ${error.message}`),
            );
        });
      }),
  };
}

/** Timeouts that can all be cancelled at once, and refused once the command's wait is over. */
class Timers {
  private readonly pending = new Set<NodeJS.Timeout>();
  private stopped = false;

  after(ms: number, fn: () => void): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.pending.delete(timer);
      fn();
    }, ms);
    this.pending.add(timer);
  }

  clear(): void {
    for (const timer of this.pending) clearTimeout(timer);
    this.pending.clear();
  }

  stop(): void {
    this.stopped = true;
    this.clear();
  }
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
  // Loaded on first use: commands that start no process (status, --version) never pay for it.
  const { execa } = await import('execa');
  const child = execa(file, args, {
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    env: options.env ?? baseEnv(),
    extendEnv: false,
    // execa passes any descriptor of ours on as is; its types only name 3 to 9.
    stdio: ['ignore', 'pipe', 'pipe', ...((options.passFds ?? []) as readonly 3[])],
    all: true,
    reject: false,
    detached: true,
    cleanup: false,
    stripFinalNewline: false,
  });
  const log = options.logFile === undefined ? undefined : teeToLog(child, options.logFile);
  const supervisor = child.pid === undefined ? undefined : supervise(child, child.pid, options.timeoutMs);
  const result = await child;
  supervisor?.stop();
  await log?.close();
  const timedOut = supervisor?.timedOut() ?? false;
  if (result.failed && result.exitCode === undefined && result.signal === undefined && !timedOut) {
    throw new KmodError('COMMAND_FAILED', `could not run ${command}: ${result.shortMessage}`, {
      cause: result.cause,
    });
  }
  return {
    command,
    exitCode: result.exitCode,
    signal: result.signal,
    timedOut,
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
