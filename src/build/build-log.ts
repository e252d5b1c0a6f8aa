import { appendFile } from 'node:fs/promises';

/** make.log: each step's command, output, exit code and elapsed time, as dkms 3.1.5+ records them. */
export async function appendLogHeader(
  file: string,
  module: string,
  version: string,
  kernel: string,
  arch: string,
): Promise<void> {
  await appendFile(
    file,
    `DKMS make.log for ${module}-${version} for kernel ${kernel} (${arch})\n${new Date().toString()}\n`,
  );
}

/** A step's start: what it does, when it started, and its command; its output and its end follow. */
export async function appendStepStart(
  file: string,
  description: string,
  command: string,
  startedAt: Date = new Date(),
): Promise<void> {
  await appendFile(
    file,
    `\n# ${description}\n# started: ${startedAt.toISOString()}\n# command: ${command}\n`,
  );
}

/** A step's end: its exit code and how long it took, as dkms writes it (whole seconds) and to the millisecond. */
export async function appendStepEnd(
  file: string,
  exitCode: number | string,
  durationMs: number,
): Promise<void> {
  await appendFile(file, formatStepEnd(exitCode, durationMs));
}

export function formatStepEnd(exitCode: number | string, durationMs: number): string {
  return `# exit code: ${exitCode}\n# elapsed time: ${formatElapsed(durationMs)} (${(durationMs / 1000).toFixed(3)} s)\n${'-'.repeat(64)}\n`;
}

/**
 * A step kmodforge does itself rather than through a command (copying the source into the build
 * directory), logged once it is done, with its start and duration like every other step.
 */
export async function appendTimedStep(
  file: string,
  description: string,
  command: string,
  startedAt: Date,
  durationMs: number,
): Promise<void> {
  await appendStepStart(file, description, command, startedAt);
  await appendFile(file, formatStepEnd(0, durationMs));
}

/** A step that does not run for this build, and why (signing for a kernel without CONFIG_MODULE_SIG). */
export async function appendSkippedStep(file: string, description: string, reason: string): Promise<void> {
  await appendFile(file, `\n# ${description}: not done (${reason})\n${'-'.repeat(64)}\n`);
}

export function formatElapsed(ms: number): string {
  const total = Math.round(ms / 1000);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${pad(Math.floor(total / 3600))}:${pad(Math.floor((total % 3600) / 60))}:${pad(total % 60)}`;
}

const errorLine = /\berror\b|\*\*\*|undefined!|fatal|No such file|not found/i;

/** The first lines that look like errors, with the line before each for context (zx formatErrorDetails). */
export function planErrorExcerpt(output: string, max = 12): string {
  const lines = output.split('\n');
  const picked = new Set<number>();
  for (let i = 0; i < lines.length && picked.size < max; i++) {
    if (!errorLine.test(lines[i] ?? '')) continue;
    if (i > 0 && picked.size < max - 1) picked.add(i - 1);
    picked.add(i);
  }
  if (picked.size === 0) return lines.slice(-max).join('\n').trimEnd();
  return [...picked]
    .sort((a, b) => a - b)
    .map((i) => lines[i] ?? '')
    .join('\n');
}
