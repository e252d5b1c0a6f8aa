import { processIo, type Io } from './io.ts';
import { version, versionFlags } from './version.ts';
export { exitOnSignals } from './io.ts';

/** Runs the CLI and returns the exit code; never throws. */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  // `kmodforge --version` alone is answered as commander answers it, without loading commander, which is
  // most of its time; any other command line is commander's.
  if (argv.length === 1 && versionFlags.split(', ').includes(argv[0] ?? '')) {
    io.out(`${version}\n`);
    return 0;
  }
  const { runProgram } = await import('./program.ts');
  return runProgram(argv, io);
}
