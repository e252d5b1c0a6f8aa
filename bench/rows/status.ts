/**
 * `status` on a tree of many built modules: 20 modules built by each tool in its own root for every
 * installed kernel, then the same trees with builds copied under fabricated kernel releases up to 10
 * kernels (status needs no headers, only the tree; only three kernels' headers are installed here).
 */
import type { TestRoot } from '../../test/support/test-root.ts';
import type { BenchContext } from '../context.ts';
import { ok } from '../harness.ts';
import { copyBuild, fabricatedKernels, makeSimpleCopy } from '../modules.ts';
import { atLeast, atMost, seconds, side, times, type RowResult, type Side } from '../result.ts';
import { dkms, kernelArgs, kmodforge, lines, runTool, type Tool } from '../tools.ts';
import type { RowGroup } from './group.ts';

const moduleCount = 20;
const manyKernels = 10;

export const statusGroup: RowGroup = {
  id: 'status',
  rows: [
    { id: 'status60', title: '`status`, 20 modules x 3 kernels (60 lines)' },
    { id: 'status200', title: '`status`, 20 modules x 10 kernels (200 lines)' },
  ],
  defaultRounds: 3,
  cost: 'about 1.5 min to build the trees, then ~4 s + ~13 s per dkms round (quiet machine)',
  run: async (ctx) => {
    const rounds = ctx.rounds(statusGroup.defaultRounds);
    const sources = await ctx.scratch('status-src');
    const modules = [];
    for (let i = 0; i < moduleCount; i++) modules.push(await makeSimpleCopy(sources, i));

    const d = await ctx.newRoot('status-dkms');
    const k = await ctx.newRoot('status-kmf');
    ctx.log(`status: building ${moduleCount} modules x ${ctx.kernels.length} kernels with each tool`);
    // Set-up only, so both tools build at once (their own roots); nothing here is timed.
    await Promise.all([
      (async () => {
        for (const m of modules) {
          ok(await dkms(d, ['add', m.dir]), `dkms add ${m.name}`);
          ok(
            await dkms(d, ['build', '-m', m.name, '-v', '1.0', ...kernelArgs(ctx.kernels)]),
            `dkms build ${m.name}`,
          );
        }
      })(),
      (async () => {
        for (const m of modules)
          ok(await kmodforge(k, ['build', m.dir, ...kernelArgs(ctx.kernels)]), `kmodforge build ${m.name}`);
      })(),
    ]);

    const built = `each tool built the ${moduleCount} modules (kmf-simple under ${moduleCount} names) in its own root`;
    const rows: RowResult[] = [];
    if (ctx.wants('status60')) {
      const few = await measureStatus(
        ctx,
        { dkms: d, kmodforge: k },
        rounds,
        moduleCount * ctx.kernels.length,
      );
      rows.push({
        id: 'status60',
        title: `\`status\`, ${moduleCount} modules x ${ctx.kernels.length} kernels (${few.lineCount} lines)`,
        rounds,
        baseline: few.dkms,
        kmodforge: few.kmodforge,
        goals: [
          atMost('< 100 ms', few.kmodforge.wall, 0.1, seconds),
          atLeast('>= 30x dkms', few.dkms.wall / few.kmodforge.wall, 30, times),
        ],
        notes: [built, ...few.notes],
      });
    }
    if (ctx.wants('status200')) {
      const firstKernel = ctx.kernels[0] ?? '';
      const extra = fabricatedKernels(firstKernel, manyKernels - ctx.kernels.length, ctx.kernels);
      for (const root of [d, k])
        for (const m of modules) await copyBuild(root, m.name, '1.0', firstKernel, extra);
      const many = await measureStatus(ctx, { dkms: d, kmodforge: k }, rounds, moduleCount * manyKernels);
      rows.push({
        id: 'status200',
        title: `\`status\`, ${moduleCount} modules x ${manyKernels} kernels (${many.lineCount} lines)`,
        rounds,
        baseline: many.dkms,
        kmodforge: many.kmodforge,
        goals: [atMost('< 150 ms (dkms ~25 s)', many.kmodforge.wall, 0.15, seconds)],
        notes: [
          built,
          `the builds for the other ${extra.length} kernels (${extra.join(', ')}) are copies of each tool's ${firstKernel} builds in its own tree: ` +
            'only three kernels have headers here, and status needs none',
          ...many.notes,
        ],
      });
    }
    await Promise.all([ctx.dropRoot(d), ctx.dropRoot(k)]);
    return rows;
  },
};

async function measureStatus(
  ctx: BenchContext,
  roots: Record<Tool, TestRoot>,
  rounds: number,
  expectedLines: number,
): Promise<{
  dkms: Side;
  kmodforge: Side;
  lineCount: number;
  notes: string[];
}> {
  const walls: Record<Tool, number[]> = { dkms: [], kmodforge: [] };
  const outputs: Record<Tool, string[]> = { dkms: [], kmodforge: [] };
  const tools: Tool[] = ['dkms', 'kmodforge'];
  // One untimed run each first: the trees were just written, and a first read may still hit the disk.
  for (const tool of tools)
    outputs[tool] = lines(ok(await runTool(tool, roots[tool], ['status']), `${tool} status`));
  for (let i = 0; i < rounds; i++) {
    for (const tool of tools) {
      const run = ok(await runTool(tool, roots[tool], ['status']), `${tool} status`);
      walls[tool].push(run.wall);
    }
    ctx.log(
      `status (${expectedLines} lines) round ${i + 1}/${rounds}: dkms ${walls.dkms.at(-1)?.toFixed(2)} s, kmodforge ${walls.kmodforge.at(-1)?.toFixed(3)} s`,
    );
  }
  const notes: string[] = [];
  const lineCount = outputs.dkms.length;
  if (lineCount !== expectedLines) notes.push(`dkms status printed ${lineCount} lines, not ${expectedLines}`);
  if (outputs.kmodforge.join('\n') !== outputs.dkms.join('\n'))
    notes.push(
      `kmodforge status printed ${outputs.kmodforge.length} lines that differ from dkms's ` +
        `(first difference: ${JSON.stringify(firstDifference(outputs.dkms, outputs.kmodforge))})`,
    );
  else notes.push(`both tools printed the same ${lineCount} lines`);
  return {
    dkms: side('dkms 3.0.10', walls.dkms),
    kmodforge: side('kmodforge', walls.kmodforge),
    lineCount,
    notes,
  };
}

function firstDifference(a: readonly string[], b: readonly string[]): [string, string] {
  for (let i = 0; i < Math.max(a.length, b.length); i++)
    if (a[i] !== b[i]) return [a[i] ?? '(none)', b[i] ?? '(none)'];
  return ['', ''];
}
