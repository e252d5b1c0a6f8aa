import { describe, expect, it } from 'vitest';
import { runTasks, type Task } from '../../../src/build/schedule.ts';

function task(id: string, after: string[], log: string[], fail = false): Task<string> {
  return {
    id,
    after,
    run: async (jobs) => {
      log.push(`start ${id} -j${jobs}`);
      await new Promise((r) => setTimeout(r, 5));
      log.push(`end ${id}`);
      if (fail) throw new Error(`${id} failed`);
      return id;
    },
  };
}

describe('runTasks', () => {
  it('runs independent tasks side by side, sharing the job budget', async () => {
    const log: string[] = [];
    const outcomes = await runTasks([task('a', [], log), task('b', [], log), task('c', [], log)], 2);
    expect(outcomes.map((o) => o.ok)).toEqual([true, true, true]);
    expect(log.slice(0, 2)).toEqual(['start a -j1', 'start b -j1']);
  });

  it('gives a lone task the whole budget', async () => {
    const log: string[] = [];
    await runTasks([task('a', [], log)], 4);
    expect(log[0]).toBe('start a -j4');
  });

  it('starts a task after its dependencies, and not at all when one failed', async () => {
    const log: string[] = [];
    const outcomes = await runTasks(
      [task('app', ['lib'], log), task('lib', [], log, true), task('other', ['app'], log)],
      4,
    );
    expect(log).toEqual(['start lib -j1', 'end lib']);
    expect(outcomes).toEqual([
      { id: 'app', ok: false, blockedBy: 'lib' },
      { id: 'lib', ok: false, error: new Error('lib failed') },
      { id: 'other', ok: false, blockedBy: 'app' },
    ]);
  });

  it('reports a dependency cycle instead of hanging', async () => {
    const log: string[] = [];
    const outcomes = await runTasks([task('a', ['b'], log), task('b', ['a'], log)], 2);
    expect(outcomes.map((o) => o.ok)).toEqual([false, false]);
    expect(log).toEqual([]);
  });
});
