import { Writable } from 'node:stream';
import { main } from '../../src/cli/main.ts';
import type { Io } from '../../src/cli/io.ts';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process, as `kmodforge <argv>` would, capturing what it prints. */
export function runCli(...argv: string[]): Promise<CliRun> {
  return runCliWith(argv, undefined);
}

/**
 * Runs the CLI in-process with stdout on a terminal (`columns` wide): the live view goes to `terminal`,
 * lines to `stdout`.
 */
export async function runCliOnTerminal(
  columns: number,
  ...argv: string[]
): Promise<CliRun & { terminal: string }> {
  let terminal = '';
  const stream = Object.assign(
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        terminal += chunk.toString();
        callback();
      },
    }),
    { columns, rows: 30 },
  );
  const run = await runCliWith(argv, stream);
  return { ...run, terminal };
}

/** Runs `run` with an Io that keeps what it prints, and returns its exit code with the text. */
export async function captureIo(
  run: (io: Io) => Promise<number>,
  terminal?: Io['terminal'],
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io: Io = {
    out: (text) => {
      stdout += text;
    },
    err: (text) => {
      stderr += text;
    },
    color: false,
    terminal,
  };
  const code = await run(io);
  return { code, stdout, stderr };
}

function runCliWith(argv: readonly string[], terminal: Io['terminal']): Promise<CliRun> {
  return captureIo((io) => main(argv, io), terminal);
}

/** The NDJSON lines of a --json run. */
export function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
