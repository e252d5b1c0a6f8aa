/**
 * kmodforge against dkms 3.0.10, measured in the same run on this machine: the rows of issue 10's table
 * (start-up, status, no-op autoinstall, builds of one module and of five real packages, a rebuild with
 * unchanged inputs), each with its goal checked; and issue 12's warm verify, which dkms has no equivalent of.
 *
 *   npm run bench [-- --only <row|group>[,...]] [--rounds N] [--note TEXT] [--out FILE] [--merge] [--list]
 *
 * `npm run bench` builds dist/ first: kmodforge runs as users run it, bin/kmodforge.js as a process.
 * A full run writes bench/RESULTS.md; a run of some rows (--only) writes only with --out, so that a quick
 * look at one row cannot overwrite the committed figures with a partial set, or with --merge, which puts
 * its rows into the existing file (--out or RESULTS.md) in place of theirs and keeps the others.
 *
 * Rows (--only takes a row or its group; --list prints them with their cost):
 *   version                      group version      `kmodforge --version` against `node -e 0`
 *   status60, status200          group status       `status` on 20 modules x 3 and x 10 kernels
 *   autoinstall-noop             group autoinstall  no-op `autoinstall -k K`, 12 modules installed
 *   module10, rebuild            group module       a 10-file module for every kernel; unbuild + build
 *   packages, packages-autoinstall  group packages  5 real *-dkms packages (slow: minutes per row)
 *   verify-warm                  group verify       a warm `verify` of one module in one kernel (QEMU)
 */
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as prettier from 'prettier';
import { repoRoot } from '../test/support/debian-dkms.ts';
import { makeContext } from './context.ts';
import { checkTimeBinary } from './harness.ts';
import { describeMachine } from './machine.ts';
import { consoleTable, mergeResultsMarkdown, resultsMarkdown } from './report.ts';
import type { RowResult } from './result.ts';
import { autoinstallGroup } from './rows/autoinstall.ts';
import type { RowGroup } from './rows/group.ts';
import { moduleGroup } from './rows/module.ts';
import { packagesGroup } from './rows/packages.ts';
import { statusGroup } from './rows/status.ts';
import { verifyGroup } from './rows/verify.ts';
import { versionGroup } from './rows/version.ts';

/** In the issue's order, which is also cheapest first, so a broken harness shows early. */
const groups: readonly RowGroup[] = [
  versionGroup,
  statusGroup,
  autoinstallGroup,
  moduleGroup,
  packagesGroup,
  verifyGroup,
];

const argv = process.argv.slice(2);
const { values } = parseArgs({
  args: argv,
  options: {
    only: { type: 'string', multiple: true },
    rounds: { type: 'string' },
    note: { type: 'string' },
    out: { type: 'string' },
    merge: { type: 'boolean', default: false },
    list: { type: 'boolean', default: false },
  },
});

if (values.list) {
  for (const g of groups)
    console.log(
      `${g.id.padEnd(12)} rows ${g.rows.map((r) => r.id).join(', ')}; ${g.defaultRounds} round${g.defaultRounds === 1 ? '' : 's'} by default; ${g.cost}`,
    );
  process.exit(0);
}

const rounds = values.rounds === undefined ? undefined : Number(values.rounds);
if (rounds !== undefined && !(Number.isInteger(rounds) && rounds > 0))
  usage(`--rounds takes a positive integer, not ${values.rounds}`);
const wanted = (values.only ?? []).flatMap((s) => s.split(',')).filter((s) => s !== '');
for (const id of wanted)
  if (!groups.some((g) => g.id === id || g.rows.some((r) => r.id === id)))
    usage(`no row or group ${JSON.stringify(id)} (see --list)`);
const selected =
  wanted.length === 0
    ? groups
    : groups.filter((g) => wanted.some((id) => g.id === id || g.rows.some((r) => r.id === id)));
const resultsFile = path.join(repoRoot, 'bench', 'RESULTS.md');
const out = values.out ?? (wanted.length === 0 || values.merge ? resultsFile : undefined);

await checkTimeBinary();
const machine = await describeMachine();
const started = performance.now();
const date = new Date();
const ctx = await makeContext({
  rounds,
  wants: (rowId) =>
    wanted.length === 0 ||
    wanted.includes(rowId) ||
    groups.some((g) => wanted.includes(g.id) && g.rows.some((r) => r.id === rowId)),
});
// An interrupted run (Ctrl-C in a long row) must not leave its roots in /tmp: they hold gigabytes of
// builds. The tools still running are in our process group and get the same signal. `on`, not `once`:
// under tsx the signal comes twice (to the group, then relayed by tsx's parent), and a second one
// without a handler would kill us in the middle of the clean-up.
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    void ctx.cleanup().finally(() => process.exit(128 + os.constants.signals[signal]));
  });
const results: RowResult[] = [];
const failures: string[] = [];
try {
  ctx.log(
    `${machine.cpu}, ${machine.cores} cores, kernels ${ctx.kernels.join(', ')}; load ${machine.loadAtStart.toFixed(2)}`,
  );
  for (const group of selected) {
    try {
      ctx.log(`${group.id}: start`);
      const rows = await group.run(ctx);
      // A group may measure more rows than asked for (they share the set-up); report only those asked for.
      results.push(...rows.filter((r) => ctx.wants(r.id)));
    } catch (error) {
      // One broken group (a package that cannot be fetched, a tool that fails in set-up) should not
      // throw away the minutes the others took.
      const message = error instanceof Error ? error.message : String(error);
      failures.push(`${group.id}: ${message}`);
      ctx.log(`${group.id} FAILED: ${message}`);
    }
  }
} finally {
  await ctx.cleanup();
}

console.log(consoleTable(results));
for (const f of failures) console.log(`\nFAILED ${f}`);
if (out !== undefined) {
  const info = {
    command: commandLine(),
    date,
    machine,
    note: values.note,
    duration: (performance.now() - started) / 1000,
  };
  let text = values.merge
    ? mergeResultsMarkdown(await readFile(out, 'utf8'), results, info)
    : resultsMarkdown(results, info);
  // A merged run adds what it measured; a row that failed keeps the figures the file has.
  if (failures.length > 0 && !values.merge)
    text += `\n## Failed\n\n${failures.map((f) => `- ${f.split('\n')[0] ?? ''}`).join('\n')}\n`;
  // RESULTS.md is committed, and `npm run lint` checks every file with prettier: write it formatted.
  const style = await prettier.resolveConfig(out);
  await writeFile(out, await prettier.format(text, { ...style, filepath: out }));
  console.log(`\nwrote ${path.relative(process.cwd(), out)}`);
} else
  console.log(
    '\nRESULTS.md not written (some rows only); --out FILE writes these rows there, --merge puts them into RESULTS.md',
  );
process.exitCode = failures.length > 0 ? 1 : 0;

/** How this run was started, to be repeated from RESULTS.md. */
function commandLine(): string {
  const quoted = argv.map((a) => (/^[\w./,=-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`));
  if (process.env['npm_lifecycle_event'] === 'bench')
    return ['npm run bench', ...(argv.length > 0 ? ['--', ...quoted] : [])].join(' ');
  return ['npx tsx bench/main.ts', ...quoted].join(' ');
}

function usage(message: string): never {
  console.error(`bench: ${message}`);
  process.exit(2);
}
