/**
 * Running and timing one process. Wall time is taken here (performance.now() from spawn to exit), since
 * /usr/bin/time's %e has only 10 ms resolution; CPU time, when asked for, comes from /usr/bin/time, whose
 * wait4() rusage covers the process and every descendant it waited for (make, gcc, bash, depmod, ...):
 * the CPU-seconds a build really needs, whatever else runs on the machine.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** How a process ended, what it printed and what it cost. */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
  /** Wall seconds. */
  wall: number;
  /** User + system CPU seconds of the process tree; only when asked for. */
  cpu?: number | undefined;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Measure CPU seconds with /usr/bin/time (adds its fork and exec to the wall time, a few ms). */
  cpu?: boolean;
}

/** The cores the CPU limit divides by: what the tools themselves take as their default job count. */
export const cores = os.availableParallelism();

const timeBinary = '/usr/bin/time';

/** Runs `file args`, never throwing for an exit code (the caller decides what a failure means). */
export async function runTimed(
  file: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<Run> {
  const timeDir = options.cpu === true ? await mkdtemp(path.join(os.tmpdir(), 'kmf-bench-time-')) : undefined;
  const timeFile = timeDir === undefined ? undefined : path.join(timeDir, 'rusage');
  // -o keeps time's line out of the tool's own stderr, which we keep for error reports.
  const [command, argv] =
    timeFile === undefined
      ? [file, [...args]]
      : [timeBinary, ['-f', '%e %U %S', '-o', timeFile, file, ...args]];
  try {
    const started = performance.now();
    const { code, stdout, stderr } = await spawnCollect(command, argv, options);
    const wall = (performance.now() - started) / 1000;
    const cpu = timeFile === undefined ? undefined : parseRusage(await readFile(timeFile, 'utf8'));
    return { code, stdout, stderr, wall, cpu };
  } finally {
    if (timeDir !== undefined) await rm(timeDir, { recursive: true, force: true });
  }
}

function spawnCollect(
  command: string,
  args: string[],
  options: RunOptions,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      resolve({
        code: code ?? 128 + (signal === null ? 0 : os.constants.signals[signal]),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
  });
}

/** The user + system seconds of `%e %U %S`; time puts "Command exited with non-zero status N" before it. */
function parseRusage(text: string): number {
  const last = text.trim().split('\n').at(-1) ?? '';
  const fields = last.trim().split(/\s+/).map(Number);
  const [, user, system] = fields;
  if (fields.length !== 3 || user === undefined || system === undefined || fields.some(Number.isNaN))
    throw new Error(`cannot read ${timeBinary}'s output: ${JSON.stringify(text)}`);
  return user + system;
}

/** Throws with the tail of its output when a run failed; returns it otherwise. */
export function ok(run: Run, what: string): Run {
  if (run.code === 0) return run;
  throw new Error(`${what} exited ${run.code}:\n${tail(`${run.stdout}${run.stderr}`)}`);
}

export function tail(text: string, lines = 30): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** The median (the upper one of an even count); NaN for none. */
export function median(xs: readonly number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
}

/** Whether /usr/bin/time is there; it is the only way to get a process tree's CPU seconds here. */
export async function checkTimeBinary(): Promise<void> {
  const works = await runTimed('true', [], { cpu: true }).then(
    (run) => run.code === 0,
    () => false,
  );
  if (!works) throw new Error(`${timeBinary} is needed for CPU seconds: apt-get install time`);
}
