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

export function renderEvent(
  io: Io,
  options: Pick<GlobalOptions, 'json' | 'quiet' | 'verbose'>,
  event: KmodEvent,
): void {
  if (options.json) {
    writeJson(io, event);
    return;
  }
  if (options.quiet) return;
  switch (event.type) {
    case 'warning':
      io.err(`${createColors(io.color).yellow('Warning:')} ${event.message}\n`);
      break;
    case 'info':
      io.out(`${event.message}\n`);
      break;
    case 'build-start':
      io.out(`Building ${event.module}/${event.version} for ${event.kernel} (${event.arch})\n`);
      break;
    case 'build-step':
      if (options.verbose) io.out(`  ${event.module}/${event.version} ${event.kernel}: ${event.step}\n`);
      break;
    case 'build-done':
      io.out(
        `${event.ok ? 'Built' : 'Failed'} ${event.module}/${event.version} for ${event.kernel} (${event.arch}) in ${event.seconds.toFixed(1)} s\n`,
      );
      break;
  }
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
