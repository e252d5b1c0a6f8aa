import type { JobAccess, JobSlots } from './job-slots.ts';

/** A unit of work with the ids of the tasks that must succeed before it starts. */
export interface Task<T> {
  id: string;
  after: readonly string[];
  run: (access: JobAccess) => Promise<T>;
}

export type TaskOutcome<T> =
  | { id: string; ok: true; value: T }
  | { id: string; ok: false; error: unknown }
  | { id: string; ok: false; blockedBy: string };

/**
 * Runs tasks as their dependencies allow, each holding one job of the slots while it runs (see
 * withJobSlots), so that with their makes' jobs they never oversubscribe the budget. A task whose
 * dependency failed does not run; one that fails stops nothing else.
 */
export async function runTasks<T>(tasks: readonly Task<T>[], slots: JobSlots): Promise<TaskOutcome<T>[]> {
  const outcomes = new Map<string, TaskOutcome<T>>();
  const pending = [...tasks];
  const running = new Set<Promise<void>>();
  const known = new Set(tasks.map((t) => t.id));
  const access: JobAccess = { jobs: slots.jobs, server: slots.server };

  /** Whether a task can start now: run, wait for a dependency, or never (a dependency failed). */
  const ready = (t: Task<T>): { state: 'run' | 'wait' } | { state: 'blocked'; by: string } => {
    for (const dep of t.after) {
      if (!known.has(dep)) continue;
      const outcome = outcomes.get(dep);
      if (outcome === undefined) return { state: 'wait' };
      if (!outcome.ok) return { state: 'blocked', by: dep };
    }
    return { state: 'run' };
  };

  /** The first pending task that can run now, after settling those that never can. */
  const nextRunnable = (): Task<T> | undefined => {
    for (let i = 0; i < pending.length;) {
      const task = pending[i];
      if (task === undefined) break;
      const readiness = ready(task);
      if (readiness.state === 'wait') {
        i++;
        continue;
      }
      pending.splice(i, 1);
      if (readiness.state !== 'blocked') return task;
      outcomes.set(task.id, { id: task.id, ok: false, blockedBy: readiness.by });
    }
    return undefined;
  };

  while (pending.length > 0 || running.size > 0) {
    const task = nextRunnable();
    if (task === undefined) {
      if (running.size > 0) await Promise.race(running);
      else {
        // Only a dependency cycle among the pending tasks can leave nothing runnable.
        for (const t of pending.splice(0))
          outcomes.set(t.id, { id: t.id, ok: false, blockedBy: t.after.join(', ') });
      }
      continue;
    }
    const release = await slots.take();
    const promise: Promise<void> = task
      .run(access)
      .then(
        (value) => void outcomes.set(task.id, { id: task.id, ok: true, value }),
        (error: unknown) => void outcomes.set(task.id, { id: task.id, ok: false, error }),
      )
      .finally(() => {
        release();
        running.delete(promise);
      });
    running.add(promise);
  }
  return tasks.map((t) => outcomes.get(t.id) ?? { id: t.id, ok: false, blockedBy: 'never ran' });
}
