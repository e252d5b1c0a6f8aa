#!/usr/bin/env node
// kmodforge's `dkms` front end: dkms 3.0.10's command line, messages and exit codes.
import { exitOnSignals, main } from '../dist/main.js';

exitOnSignals();
process.exitCode = await main(process.argv.slice(2), undefined, process.argv[1]);
