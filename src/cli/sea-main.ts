/**
 * The entry of the single executable (scripts/sea.ts): what bin/kmodforge.js does, without top-level
 * await, which a CommonJS script cannot have. `process.argv0` is the name the program was run by, so
 * `/usr/sbin/dkms`, a link to the executable, runs dkms's command line.
 */
import path from 'node:path';
import { processIo } from './io.ts';
import { exitOnSignals, main } from './main.ts';

exitOnSignals();
void main(process.argv.slice(2), processIo, path.basename(process.argv0)).then((code) => {
  process.exitCode = code;
});
