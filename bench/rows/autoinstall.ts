/**
 * A no-op `autoinstall -k K`: what every boot and every kernel hook pays when all is installed already.
 * Each root gets 12 modules built and installed for one kernel by its own tool, then autoinstall is
 * timed; it must find nothing to do (checked: the installed files stay as they were).
 */
import { snapshotTree } from '../../test/support/test-root.ts';
import { median, ok, runTimed } from '../harness.ts';
import { makeSimpleCopy } from '../modules.ts';
import { atLeast, atMost, seconds, side, times } from '../result.ts';
import { dkms, kmodforge, runTool, type Tool } from '../tools.ts';
import type { RowGroup } from './group.ts';

const moduleCount = 12;

export const autoinstallGroup: RowGroup = {
  id: 'autoinstall',
  rows: [{ id: 'autoinstall-noop', title: 'no-op `autoinstall`, 12 modules installed' }],
  defaultRounds: 5,
  cost: 'about 20 s to install the modules (quiet machine)',
  run: async (ctx) => {
    const rounds = ctx.rounds(autoinstallGroup.defaultRounds);
    const kernel = ctx.kernels[0] ?? '';
    const sources = await ctx.scratch('autoinstall-src');
    const modules = [];
    for (let i = 0; i < moduleCount; i++) modules.push(await makeSimpleCopy(sources, i));
    const roots = {
      dkms: await ctx.newRoot('noop-dkms', [kernel]),
      kmodforge: await ctx.newRoot('noop-kmf', [kernel]),
    };

    ctx.log(`autoinstall: installing ${moduleCount} modules for ${kernel} with each tool`);
    // --no-depmod for dkms: it would run depmod on the real /lib/modules/K (its depmod takes no root).
    await Promise.all([
      (async () => {
        for (const m of modules) {
          ok(await dkms(roots.dkms, ['add', m.dir]), `dkms add ${m.name}`);
          ok(
            await dkms(roots.dkms, ['install', '-m', m.name, '-v', '1.0', '-k', kernel, '--no-depmod']),
            `dkms install ${m.name}`,
          );
        }
      })(),
      (async () => {
        for (const m of modules)
          ok(
            await kmodforge(roots.kmodforge, ['install', m.dir, '-k', kernel]),
            `kmodforge install ${m.name}`,
          );
      })(),
    ]);

    const tools: Tool[] = ['dkms', 'kmodforge'];
    const args: Record<Tool, string[]> = {
      dkms: ['autoinstall', '-k', kernel, '--no-depmod'],
      kmodforge: ['autoinstall', '-k', kernel],
    };
    const before = {
      dkms: await snapshotTree(roots.dkms.installTree),
      kmodforge: await snapshotTree(roots.kmodforge.installTree),
    };
    const walls: Record<Tool, number[]> = { dkms: [], kmodforge: [] };
    // Node's own start, timed alongside: the floor under any Node CLI, and so under this row's goals.
    const nodeWalls: number[] = [];
    for (const tool of tools)
      ok(await runTool(tool, roots[tool], args[tool]), `${tool} autoinstall (warm-up)`);
    for (let i = 0; i < rounds; i++) {
      for (const tool of tools)
        walls[tool].push(ok(await runTool(tool, roots[tool], args[tool]), `${tool} autoinstall`).wall);
      nodeWalls.push(ok(await runTimed(process.execPath, ['-e', '0']), 'node -e 0').wall);
      ctx.log(
        `autoinstall round ${i + 1}/${rounds}: dkms ${walls.dkms.at(-1)?.toFixed(2)} s, kmodforge ${walls.kmodforge.at(-1)?.toFixed(3)} s`,
      );
    }
    const notes = [
      `${moduleCount} copies of kmf-simple (each with its own .ko name), installed for ${kernel} by each tool in its own root`,
    ];
    for (const tool of tools) {
      const after = await snapshotTree(roots[tool].installTree);
      if (after.join('\n') !== before[tool].join('\n'))
        notes.push(`${tool}'s autoinstall changed the install tree: it was not a no-op`);
    }
    await Promise.all(tools.map((tool) => ctx.dropRoot(roots[tool])));

    const baseline = side('dkms 3.0.10', walls.dkms);
    const kmf = side('kmodforge', walls.kmodforge);
    const node = median(nodeWalls);
    notes.push(
      `Node alone (\`node -e 0\`) takes ${seconds(node)} here: 6x dkms means at most ${seconds(baseline.wall / 6)}, which leaves ${seconds(baseline.wall / 6 - node)} for everything kmodforge does (it takes ${seconds(kmf.wall - node)} beyond Node's start)`,
    );
    return [
      {
        id: 'autoinstall-noop',
        title: `no-op \`autoinstall -k K\`, ${moduleCount} modules installed (every boot and kernel hook)`,
        rounds,
        baseline,
        kmodforge: kmf,
        goals: [
          atLeast('>= 6x dkms', baseline.wall / kmf.wall, 6, times),
          atMost('< 150 ms', kmf.wall, 0.15, seconds),
        ],
        notes,
      },
    ];
  },
};
