import { exitOnSignals, main } from '../../src/cli/main.ts';

exitOnSignals();
process.exitCode = await main(process.argv.slice(2));
