/**
 * Five real Debian *-dkms packages for every installed kernel: one `build -k K...` per package, with
 * each tool in its own root; then the same five through one `autoinstall --all-kernels` (kmodforge) and
 * `autoinstall -k K` per kernel (dkms 3.0.10 takes one kernel per autoinstall, as its kernel hook runs it).
 *
 * The packages come from apt (`apt-get download`, then `dpkg-deb -x`) into <repo>/.cache/debs through
 * test/support's fetchDebianDkmsPackage, which the interop tests share. A package that fails for some
 * kernel is reported with what each tool built, not left out: time spent on a failed build is still
 * time users wait.
 */
import type { FetchedDkmsPackage } from '../../test/support/debian-dkms.ts';
import { fetchDebianDkmsPackage } from '../../test/support/debian-dkms.ts';
import type { TestRoot } from '../../test/support/test-root.ts';
import type { BenchContext } from '../context.ts';
import { median, ok, type Run } from '../harness.ts';
import { builtKernels, installedFor, shortKernel } from '../modules.ts';
import {
  atLeast,
  ceilingNote,
  atMost,
  limitShare,
  side,
  times,
  unmeasured,
  type GoalResult,
  type RowResult,
} from '../result.ts';
import { kernelArgs, runTool, type Tool } from '../tools.ts';
import type { RowGroup } from './group.ts';

export const benchPackages = [
  'jool-dkms',
  'xtables-addons-dkms',
  'evdi-dkms',
  'v4l2loopback-dkms',
  'apfs-dkms',
] as const;

const tools: Tool[] = ['dkms', 'kmodforge'];
const label = (tool: Tool): string => (tool === 'dkms' ? 'dkms 3.0.10' : 'kmodforge');

/** One package's build by one tool in one round. */
interface PackageRun {
  code: number;
  wall: number;
  cpu: number;
  built: string[];
}

export const packagesGroup: RowGroup = {
  id: 'packages',
  rows: [
    { id: 'packages', title: '5 real packages for 3 kernels, one `build -k x3` per package' },
    { id: 'packages-autoinstall', title: 'the same via one `autoinstall --all-kernels`' },
  ],
  defaultRounds: 1,
  cost: 'slow: about 4 min per round and row, 8 min in all (quiet machine; 3x that under load)',
  run: async (ctx) => {
    const rounds = ctx.rounds(packagesGroup.defaultRounds);
    const packages: FetchedDkmsPackage[] = [];
    for (const name of benchPackages) packages.push(await fetchDebianDkmsPackage(name));
    const rows: RowResult[] = [];
    // Each row takes minutes: run only those asked for.
    if (ctx.wants('packages')) rows.push(await buildRow(ctx, packages, rounds));
    if (ctx.wants('packages-autoinstall')) rows.push(await autoinstallRow(ctx, packages, rounds));
    return rows;
  },
};

async function buildRow(
  ctx: BenchContext,
  packages: readonly FetchedDkmsPackage[],
  rounds: number,
): Promise<RowResult> {
  // runs[tool][package][round]
  const runs: Record<Tool, PackageRun[][]> = {
    dkms: packages.map(() => []),
    kmodforge: packages.map(() => []),
  };
  for (let r = 0; r < rounds; r++) {
    const order: Tool[] = r % 2 === 0 ? tools : [...tools].reverse();
    for (const tool of order) {
      const root = await ctx.newRoot(`packages-${tool}`);
      try {
        for (const [i, pkg] of packages.entries()) {
          const run = await buildPackage(tool, root, pkg, ctx.kernels);
          runs[tool][i]?.push(run);
          ctx.log(
            `packages round ${r + 1}/${rounds}: ${tool} ${pkg.name} ${run.code === 0 ? 'ok' : `exit ${run.code}`} ` +
              `in ${run.wall.toFixed(1)} s (built for ${run.built.map(shortKernel).join(', ') || 'none'})`,
          );
        }
      } finally {
        await ctx.dropRoot(root);
      }
    }
  }
  const total = (tool: Tool, field: 'wall' | 'cpu'): number[] =>
    Array.from({ length: rounds }, (_, r) => runs[tool].reduce((sum, p) => sum + (p[r]?.[field] ?? 0), 0));
  const baseline = side(label('dkms'), total('dkms', 'wall'), total('dkms', 'cpu'));
  const kmf = side(label('kmodforge'), total('kmodforge', 'wall'), total('kmodforge', 'cpu'));
  const notes = [
    `${packages.map((p) => `${p.packageName} ${p.packageVersion}`).join(', ')}: each added, then one \`build -k\` x${ctx.kernels.length} per package; the times are the sums over the packages`,
    'dkms 3.0.10 builds the kernels one after the other and stops at the first kernel that fails; kmodforge builds all and reports each',
    ...ceilingNote(baseline, kmf),
  ];
  const rows = packages.map((pkg, i) => {
    const cells = tools.map((tool) => describeRuns(runs[tool][i] ?? [], ctx.kernels));
    const d = median((runs.dkms[i] ?? []).map((x) => x.wall));
    const k = median((runs.kmodforge[i] ?? []).map((x) => x.wall));
    return [pkg.name, ...cells, `${(d / k).toFixed(2)}x`];
  });
  for (const [i, pkg] of packages.entries()) {
    const [d, k] = tools.map((tool) => runs[tool][i]?.at(-1));
    if (d !== undefined && k !== undefined && d.built.join() !== k.built.join())
      notes.push(`${pkg.name}: dkms built for ${list(d.built)}, kmodforge for ${list(k.built)}`);
  }
  return {
    id: 'packages',
    title: `5 real packages for ${ctx.kernels.length} kernels, one \`build -k x${ctx.kernels.length}\` per package`,
    rounds,
    baseline,
    kmodforge: kmf,
    goals: [atLeast('>= 1.15x dkms', baseline.wall / kmf.wall, 1.15, times)],
    notes,
    details: { header: ['package', 'dkms 3.0.10', 'kmodforge', 'ratio'], rows },
  };
}

async function buildPackage(
  tool: Tool,
  root: TestRoot,
  pkg: FetchedDkmsPackage,
  kernels: readonly string[],
): Promise<PackageRun> {
  ok(await runTool(tool, root, ['add', pkg.sourceDir]), `${tool} add ${pkg.name}`);
  const args =
    tool === 'dkms'
      ? ['build', '-m', pkg.packageName, '-v', pkg.packageVersion, ...kernelArgs(kernels)]
      : ['build', `${pkg.packageName}/${pkg.packageVersion}`, ...kernelArgs(kernels)];
  const run: Run = await runTool(tool, root, args, { cpu: true });
  return {
    code: run.code,
    wall: run.wall,
    cpu: run.cpu ?? Number.NaN,
    built: await builtKernels(root, pkg.packageName, pkg.packageVersion, kernels),
  };
}

async function autoinstallRow(
  ctx: BenchContext,
  packages: readonly FetchedDkmsPackage[],
  rounds: number,
): Promise<RowResult> {
  const walls: Record<Tool, number[]> = { dkms: [], kmodforge: [] };
  const cpus: Record<Tool, number[]> = { dkms: [], kmodforge: [] };
  const outcome: Record<Tool, string> = { dkms: '', kmodforge: '' };
  let dkmsExit11 = false;
  for (let r = 0; r < rounds; r++) {
    const order: Tool[] = r % 2 === 0 ? tools : [...tools].reverse();
    for (const tool of order) {
      const root = await ctx.newRoot(`autoinstall-${tool}`);
      try {
        for (const pkg of packages)
          ok(await runTool(tool, root, ['add', pkg.sourceDir]), `${tool} add ${pkg.name}`);
        // dkms: --no-depmod, since its depmod would work on the real /lib/modules/K; kmodforge's runs in the root.
        const commands =
          tool === 'dkms'
            ? ctx.kernels.map((k) => ['autoinstall', '-k', k, '--no-depmod'])
            : [['autoinstall', '--all-kernels']];
        const results: Run[] = [];
        for (const args of commands) results.push(await runTool(tool, root, args, { cpu: true }));
        walls[tool].push(results.reduce((s, x) => s + x.wall, 0));
        cpus[tool].push(results.reduce((s, x) => s + (x.cpu ?? Number.NaN), 0));
        const codes = results.map((x) => x.code);
        if (tool === 'dkms' && codes.includes(11)) dkmsExit11 = true;
        const installed = await Promise.all(
          packages.map(
            async (p) => `${p.packageName} ${list(await installedFor(root, p.packageName, ctx.kernels))}`,
          ),
        );
        outcome[tool] = `exit ${codes.join(', ')}; installed: ${installed.join('; ')}`;
        ctx.log(
          `packages autoinstall round ${r + 1}/${rounds}: ${tool} ${walls[tool].at(-1)?.toFixed(1)} s (${outcome[tool]})`,
        );
      } finally {
        await ctx.dropRoot(root);
      }
    }
  }
  const baseline = side(label('dkms'), walls.dkms, cpus.dkms);
  const kmf = side(label('kmodforge'), walls.kmodforge, cpus.kmodforge);
  const share = limitShare(kmf);
  const goal: GoalResult =
    share === undefined
      ? unmeasured('<= 1.05x the limit', '(no CPU figure)')
      : atMost('<= 1.05x the limit', share, 1.05, times);
  return {
    id: 'packages-autoinstall',
    title: 'the same via one `autoinstall --all-kernels`',
    rounds,
    baseline,
    kmodforge: kmf,
    goals: [goal],
    notes: [
      `kmodforge: the ${packages.length} packages added, then one \`autoinstall --all-kernels\` (build and install, depmod in the root)`,
      `dkms 3.0.10: \`autoinstall -k K --no-depmod\` for each of the ${ctx.kernels.length} kernels in turn (its autoinstall takes one kernel)`,
      `dkms: ${outcome.dkms}`,
      `kmodforge: ${outcome.kmodforge}`,
      // So that an exit 11 is not read at once as a broken package: compare the installed lists.
      ...(dkmsExit11
        ? [
            'dkms 3.0.10 counts a module that BUILD_EXCLUSIVE_* keeps from a kernel (its build dies with 77) as an autoinstall failure and exits 11 for that kernel',
          ]
        : []),
    ],
  };
}

function describeRuns(runs: readonly PackageRun[], kernels: readonly string[]): string {
  const last = runs.at(-1);
  if (last === undefined) return '-';
  const wall = median(runs.map((r) => r.wall));
  // kmodforge exits 77 when BUILD_EXCLUSIVE_* keeps the module from a kernel (README, exit codes).
  const skipped = last.code === 0 || last.code === 77;
  const result = last.code === 0 ? 'ok' : `exit ${last.code}${last.code === 77 ? ' (skip)' : ''}`;
  const missing = kernels.filter((k) => !last.built.includes(k));
  // A kernel missing after a success is a skip (BUILD_EXCLUSIVE_*), not a failure.
  const built =
    missing.length === 0 ? 'all kernels' : `${skipped ? 'skipped' : 'not built'} for ${list(missing)}`;
  return `${wall.toFixed(1)} s, ${result}, ${built}`;
}

function list(kernels: readonly string[]): string {
  return kernels.length === 0 ? 'none' : kernels.map(shortKernel).join(', ');
}
