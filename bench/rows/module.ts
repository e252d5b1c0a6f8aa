/**
 * Building one ten-file module (bench/fixtures/kmf-bench10) for every installed kernel: dkms builds one
 * kernel after the other (each with make -j<cores>), kmodforge all at once under one job budget. Then
 * `unbuild` + `build` with unchanged inputs, which a build cache can answer without compiling.
 */
import type { TestRoot } from '../../test/support/test-root.ts';
import type { BenchContext } from '../context.ts';
import { ok, runTimed, type Run } from '../harness.ts';
import { bench10 } from '../modules.ts';
import {
  atLeast,
  ceilingNote,
  atMost,
  limitShare,
  side,
  times,
  unmeasured,
  type GoalResult,
  type Side,
} from '../result.ts';
import { kernelArgs, kmodforgeBin, runTool, type Tool } from '../tools.ts';
import type { RowGroup } from './group.ts';

interface Round {
  first: { wall: number; cpu: number };
  rebuild: { wall: number; cpu: number };
}

export const moduleGroup: RowGroup = {
  id: 'module',
  rows: [
    { id: 'module10', title: 'one 10-file module for 3 kernels' },
    { id: 'rebuild', title: '`unbuild` + `build` with unchanged inputs' },
  ],
  defaultRounds: 3,
  cost: 'about 30 s per round (quiet machine)',
  run: async (ctx) => {
    const rounds = ctx.rounds(moduleGroup.defaultRounds);
    const results: Record<Tool, Round[]> = { dkms: [], kmodforge: [] };
    for (let i = 0; i < rounds; i++) {
      // Alternating which tool goes first, so that neither always meets the other's leftovers
      // (dirty pages being written back, a warmer cache).
      const order: Tool[] = i % 2 === 0 ? ['dkms', 'kmodforge'] : ['kmodforge', 'dkms'];
      for (const tool of order) results[tool].push(await buildRound(ctx, tool));
      ctx.log(
        `module round ${i + 1}/${rounds}: first build dkms ${results.dkms.at(-1)?.first.wall.toFixed(2)} s, ` +
          `kmodforge ${results.kmodforge.at(-1)?.first.wall.toFixed(2)} s; rebuild dkms ` +
          `${results.dkms.at(-1)?.rebuild.wall.toFixed(2)} s, kmodforge ${results.kmodforge.at(-1)?.rebuild.wall.toFixed(2)} s`,
      );
    }
    const pick = (tool: Tool, which: keyof Round): Side =>
      side(
        tool === 'dkms' ? 'dkms 3.0.10' : 'kmodforge',
        results[tool].map((r) => r[which].wall),
        results[tool].map((r) => r[which].cpu),
      );
    const first = { dkms: pick('dkms', 'first'), kmodforge: pick('kmodforge', 'first') };
    const again = { dkms: pick('dkms', 'rebuild'), kmodforge: pick('kmodforge', 'rebuild') };
    const share = limitShare(first.kmodforge);
    const limitGoal: GoalResult =
      share === undefined
        ? unmeasured('<= 1.10x the CPU limit', '(no CPU figure)')
        : atMost('<= 1.10x the CPU limit', share, 1.1, times);
    const kernels = `${ctx.kernels.length} kernels (${ctx.kernels.join(', ')})`;
    const cache = await hasBuildCache();
    return [
      {
        id: 'module10',
        title: `one 10-file module for ${ctx.kernels.length} kernels`,
        rounds,
        baseline: first.dkms,
        kmodforge: first.kmodforge,
        goals: [atLeast('>= 1.15x dkms', first.dkms.wall / first.kmodforge.wall, 1.15, times), limitGoal],
        notes: [
          `bench/fixtures/kmf-bench10 (10 C files, each including most of the kernel's headers), added, then \`build -k\` x${ctx.kernels.length}: ${kernels}`,
          ...ceilingNote(first.dkms, first.kmodforge),
        ],
      },
      {
        id: 'rebuild',
        title: '`unbuild` + `build` with unchanged inputs',
        rounds,
        baseline: again.dkms,
        kmodforge: again.kmodforge,
        goals: [
          atLeast(
            '>= 10x faster than the first build',
            first.kmodforge.wall / again.kmodforge.wall,
            10,
            (x) =>
              `${times(x)} (${first.kmodforge.wall.toFixed(2)} s / ${again.kmodforge.wall.toFixed(2)} s)`,
          ),
        ],
        notes: [
          `the same module and kernels, timed right after the first build: \`unbuild\` then \`build\` (both commands' time); dkms has no cache, so for it this is a full rebuild (${percentOf(again.dkms.wall, first.dkms.wall)} of its first build's time)`,
          cache
            ? 'this kmodforge has a build cache (`build --no-cache` exists)'
            : 'this kmodforge has no build cache yet (`build --help` shows no --no-cache): the rebuild compiles everything again',
        ],
      },
    ];
  },
};

/** One tool's first build, then unbuild + build, in a fresh root. */
async function buildRound(ctx: BenchContext, tool: Tool): Promise<Round> {
  const root = await ctx.newRoot(`module-${tool}`);
  try {
    ok(await runTool(tool, root, ['add', bench10.dir]), `${tool} add kmf-bench10`);
    const first = await timedBuild(tool, root, ctx.kernels);
    const unbuild = ok(
      await runTool(tool, root, ['unbuild', ...moduleArgs(tool), ...kernelArgs(ctx.kernels)], { cpu: true }),
      `${tool} unbuild`,
    );
    const rebuild = await timedBuild(tool, root, ctx.kernels);
    return {
      first: { wall: first.wall, cpu: first.cpu ?? Number.NaN },
      rebuild: {
        wall: unbuild.wall + rebuild.wall,
        cpu: (unbuild.cpu ?? Number.NaN) + (rebuild.cpu ?? Number.NaN),
      },
    };
  } finally {
    await ctx.dropRoot(root);
  }
}

function timedBuild(tool: Tool, root: TestRoot, kernels: readonly string[]): Promise<Run> {
  return runTool(tool, root, ['build', ...moduleArgs(tool), ...kernelArgs(kernels)], { cpu: true }).then(
    (run) => ok(run, `${tool} build kmf-bench10`),
  );
}

/** dkms 3.0.10 takes -m/-v; kmodforge also takes module/version, as its README writes it. */
function moduleArgs(tool: Tool): string[] {
  return tool === 'dkms'
    ? ['-m', bench10.name, '-v', bench10.version]
    : [`${bench10.name}/${bench10.version}`];
}

/** Whether the kmodforge under test has the build cache another change is adding (`--no-cache`). */
async function hasBuildCache(): Promise<boolean> {
  const help = await runTimed(process.execPath, [kmodforgeBin, 'build', '--help']);
  return help.stdout.includes('--no-cache');
}

function percentOf(part: number, whole: number): string {
  return `${((part / whole) * 100).toFixed(0)}%`;
}
