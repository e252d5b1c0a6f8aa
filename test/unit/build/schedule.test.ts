import { describe, expect, it } from 'vitest';
import { heldSlot, withJobSlots, type JobAccess } from '../../../src/build/job-slots.ts';
import { runTasks, type Task } from '../../../src/build/schedule.ts';

function task(id: string, after: string[], log: string[], fail = false): Task<string> {
  return {
    id,
    after,
    run: async (access: JobAccess) => {
      log.push(`start ${id} -j${access.jobs}`);
      await new Promise((r) => setTimeout(r, 30));
      log.push(`end ${id}`);
      if (fail) throw new Error(`${id} failed`);
      return id;
    },
  };
}

/** The most tasks that ran at one time, from a log of task starts and ends. */
function mostAtOnce(log: readonly string[]): number {
  let now = 0;
  let most = 0;
  for (const line of log) {
    now += line.startsWith('start') ? 1 : line.startsWith('end') ? -1 : 0;
    most = Math.max(most, now);
  }
  return most;
}

describe('runTasks', () => {
  it('runs independent tasks side by side, one job each, never more than the budget', async () => {
    const log: string[] = [];
    const outcomes = await withJobSlots(2, (slots) =>
      runTasks([task('a', [], log), task('b', [], log), task('c', [], log)], slots),
    );
    expect(outcomes.map((o) => o.ok)).toEqual([true, true, true]);
    expect(log.slice(0, 2)).toEqual(['start a -j2', 'start b -j2']);
    expect(mostAtOnce(log)).toBe(2);
  });

  it('starts a task after its dependencies, and not at all when one failed', async () => {
    const log: string[] = [];
    const outcomes = await withJobSlots(4, (slots) =>
      runTasks([task('app', ['lib'], log), task('lib', [], log, true), task('other', ['app'], log)], slots),
    );
    expect(log).toEqual(['start lib -j4', 'end lib']);
    expect(outcomes).toEqual([
      { id: 'app', ok: false, blockedBy: 'lib' },
      { id: 'lib', ok: false, error: new Error('lib failed') },
      { id: 'other', ok: false, blockedBy: 'app' },
    ]);
  });

  it('goes on with independent tasks when one fails, and reports every one', async () => {
    const log: string[] = [];
    const outcomes = await withJobSlots(1, (slots) =>
      runTasks([task('a', [], log, true), task('b', [], log), task('c', ['a'], log)], slots),
    );
    expect(outcomes.map((o) => [o.id, o.ok])).toEqual([
      ['a', false],
      ['b', true],
      ['c', false],
    ]);
    expect(mostAtOnce(log)).toBe(1);
  });

  it('reports a dependency cycle instead of hanging', async () => {
    const log: string[] = [];
    const outcomes = await withJobSlots(2, (slots) =>
      runTasks([task('a', ['b'], log), task('b', ['a'], log)], slots),
    );
    expect(outcomes.map((o) => o.ok)).toEqual([false, false]);
    expect(log).toEqual([]);
  });

  it('runs the tasks of a held job one after the other, on the same jobserver', async () => {
    const log: string[] = [];
    await withJobSlots(3, async (slots) => {
      const held = heldSlot({ jobs: slots.jobs, server: slots.server });
      expect(held.server).toBe(slots.server);
      await runTasks([task('a', [], log), task('b', [], log), task('c', [], log)], held);
    });
    expect(mostAtOnce(log)).toBe(1);
  });
});

describe('withJobSlots', () => {
  it('tells make to join a jobserver with the budget', async () => {
    await withJobSlots(3, (slots) => {
      expect(slots.server?.makeflags).toBe('-j3 --jobserver-auth=3,4');
      return Promise.resolve();
    });
  });

  it('sets no limit and starts no jobserver for a budget of 0', async () => {
    const log: string[] = [];
    await withJobSlots(0, async (slots) => {
      expect(slots.server).toBeUndefined();
      await runTasks([task('a', [], log), task('b', [], log), task('c', [], log)], slots);
    });
    expect(mostAtOnce(log)).toBe(3);
  });
});
