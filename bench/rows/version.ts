/**
 * `kmodforge --version` against `node -e 0`: what starting kmodforge costs beyond starting Node, which
 * every command pays (kernel hooks run several commands per kernel).
 */
import { median, ok, runTimed } from '../harness.ts';
import { atMost, side, times } from '../result.ts';
import { kmodforgeBin } from '../tools.ts';
import type { RowGroup } from './group.ts';

/** The issue asks for the median of at least 20 runs; an odd count has a true median. */
const minimumRuns = 21;

export const versionGroup: RowGroup = {
  id: 'version',
  rows: [{ id: 'version', title: '`kmodforge --version` against `node -e 0`' }],
  defaultRounds: minimumRuns,
  cost: 'seconds',
  run: async (ctx) => {
    const runs = Math.max(minimumRuns, ctx.rounds(minimumRuns));
    const node = (): Promise<number> =>
      runTimed(process.execPath, ['-e', '0']).then((r) => ok(r, 'node -e 0').wall);
    const version = (): Promise<number> =>
      runTimed(process.execPath, [kmodforgeBin, '--version']).then((r) => ok(r, 'kmodforge --version').wall);
    // Warm the page cache for both before counting, so the first run's disk reads do not decide.
    await node();
    await version();
    const nodeWalls: number[] = [];
    const versionWalls: number[] = [];
    // Interleaved, so that a burst of load from elsewhere hits both sides alike.
    for (let i = 0; i < runs; i++) {
      nodeWalls.push(await node());
      versionWalls.push(await version());
    }
    ctx.log(
      `version: node -e 0 ${median(nodeWalls).toFixed(3)} s, --version ${median(versionWalls).toFixed(3)} s`,
    );
    const baseline = side('node -e 0', nodeWalls);
    const kmf = side('kmodforge', versionWalls);
    return [
      {
        id: 'version',
        title: versionGroup.rows[0]?.title ?? 'version',
        rounds: runs,
        baseline,
        kmodforge: kmf,
        goals: [atMost('within 1.3x of `node -e 0`', kmf.wall / baseline.wall, 1.3, times)],
        notes: [`min of ${runs}: node -e 0 ${ms(nodeWalls)}, kmodforge --version ${ms(versionWalls)}`],
      },
    ];
  },
};

function ms(walls: readonly number[]): string {
  return `${(Math.min(...walls) * 1000).toFixed(1)} ms`;
}
