import path from 'node:path';
import { processIo, type Io } from './io.ts';
import { version, versionFlags } from './version.ts';
export { exitOnSignals } from './io.ts';

/**
 * Runs the CLI and returns the exit code; never throws. Run as `dkms` (`invokedAs`, the program's argv[0]:
 * /usr/sbin/dkms links to kmodforge), it is dkms 3.0.10's command line instead of kmodforge's.
 */
export async function main(
  argv: readonly string[],
  io: Io = processIo,
  invokedAs = 'kmodforge',
): Promise<number> {
  if (/^dkms(\.js)?$/.test(path.basename(invokedAs))) {
    const { runDkmsProcess } = await import('./dkms/dkms-process.ts');
    return runDkmsProcess(argv, io, invokedAs);
  }
  // `kmodforge --version` alone is answered as commander answers it, without loading commander, which is
  // most of its time; any other command line is commander's.
  if (argv.length === 1 && versionFlags.split(', ').includes(argv[0] ?? '')) {
    io.out(`${version}\n`);
    return 0;
  }
  const { runProgram } = await import('./program.ts');
  return runProgram(argv, io);
}
