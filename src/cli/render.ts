import { createColors } from 'picocolors';
import type { KmodEvent } from '../context.ts';
import { KmodError, fromFixableErrno } from '../errors.ts';
import type { Io } from './io.ts';
import type { ErrorData, OutputLine } from './records.ts';
import type { GlobalOptions } from './global-options.ts';

/** Writes one line of `--json` output (see OutputLine). */
export function writeJson(io: Io, line: OutputLine): void {
  io.out(`${JSON.stringify(line)}\n`);
}

/**
 * An event as text, and the stream it goes to; undefined for one that prints nothing. Without a terminal,
 * a build prints one line when it ends ("Built …" or "Failed …"); --verbose adds its start and steps.
 */
export function formatEvent(
  options: Pick<GlobalOptions, 'quiet' | 'verbose'>,
  color: boolean,
  event: KmodEvent,
): { to: 'out' | 'err'; text: string } | undefined {
  if (options.quiet) return undefined;
  switch (event.type) {
    case 'warning':
      return { to: 'err', text: `${createColors(color).yellow('Warning:')} ${event.message}\n` };
    case 'info':
      return { to: 'out', text: `${event.message}\n` };
    case 'script': {
      const name = event.kind.toLowerCase();
      if (!event.ran)
        return {
          to: 'err',
          text: `${createColors(color).yellow('Warning:')} The ${name} script ${event.path} is not executable; not running it.\n`,
        };
      // A build's scripts run beside other builds: their output is in make.log, as the rest of the build's.
      if (event.kind === 'PRE_BUILD' || event.kind === 'POST_BUILD') return undefined;
      const output = event.output.trimEnd();
      return {
        to: 'out',
        text: `Running the ${name} script: ${event.script}\n${output === '' ? '' : `${output}\n`}`,
      };
    }
    case 'build-start':
      if (!options.verbose) return undefined;
      return {
        to: 'out',
        text: `Building ${event.module}/${event.version} for ${event.kernel} (${event.arch})${event.estimateSeconds === null ? '' : `, last time ${event.estimateSeconds.toFixed(1)} s`}\n`,
      };
    case 'build-step':
      if (!options.verbose) return undefined;
      return { to: 'out', text: `  ${event.module}/${event.version} ${event.kernel}: ${event.step}\n` };
    case 'build-done': {
      const what = `${event.module}/${event.version} for ${event.kernel} (${event.arch})`;
      const time = `in ${event.seconds.toFixed(1)} s`;
      if (!event.ok) return { to: 'out', text: `Failed ${what} ${time}\n` };
      if (event.cached) return { to: 'out', text: `Restored ${what} from the build cache ${time}\n` };
      return { to: 'out', text: `Built ${what} ${time}\n` };
    }
    case 'kernel-step':
      return { to: 'out', text: `Kernel ${event.release}: ${event.step} (output in ${event.log})\n` };
  }
}

/** An event as a line of text, or with --json as an NDJSON line with the time it happened. */
export function renderEvent(
  io: Io,
  options: Pick<GlobalOptions, 'json' | 'quiet' | 'verbose'>,
  event: KmodEvent,
  time: Date = new Date(),
): void {
  if (options.json) {
    writeJson(io, { ...event, time: time.toISOString() });
    return;
  }
  const line = formatEvent(options, io.color, event);
  if (line !== undefined) io[line.to](line.text);
}

/** An error as JSON data: the one shape every command's records and the final error line use. */
export function errorRecord(error: KmodError): ErrorData {
  return { code: error.code, message: error.message, hint: error.hint ?? null, exitCode: error.exitCode };
}

/** An error as text, as dkms users expect it ("Error! …"), with its hint. */
export function formatError(io: Io, error: KmodError): string {
  const pc = createColors(io.color);
  return `${pc.red('Error!')} ${error.message}\n${error.hint === undefined ? '' : `${pc.dim('Hint:')} ${error.hint}\n`}`;
}

/** A user error that only skips something (a BUILD_EXCLUSIVE kernel) as a warning, with its hint. */
export function formatErrorAsWarning(io: Io, error: KmodError): string {
  return `${createColors(io.color).yellow('Warning:')} ${error.message}\n${error.hint === undefined ? '' : `${error.hint}\n`}`;
}

/** Prints an error as text or as a JSON object, and returns the exit code. */
export function renderError(io: Io, json: boolean, error: KmodError): number {
  if (json) writeJson(io, { type: 'error', ...errorRecord(error) });
  else io.err(formatError(io, error));
  return error.exitCode;
}

/** Left-aligned columns, for tables such as `kernels`. */
export function formatTable(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return (
    rows
      .map((row) =>
        row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  '),
      )
      .join('\n') + '\n'
  );
}

/**
 * The KmodError an error stands for: itself, or for a file system error the user can cause and fix (no
 * permission, a read-only file system, a full disk), one that names the operation and the path. Any other
 * error is a bug.
 */
export function asKmodError(error: unknown): KmodError | undefined {
  if (error instanceof KmodError) return error;
  if (!(error instanceof Error) || !('code' in error)) return undefined;
  return fromFixableErrno(error, describeSyscall(error as NodeJS.ErrnoException));
}

function describeSyscall(error: NodeJS.ErrnoException & { dest?: string }): string {
  const target = error.dest === undefined ? (error.path ?? '') : `${error.path ?? ''} -> ${error.dest}`;
  return `Cannot ${error.syscall ?? 'write'} ${target}`.trim();
}
