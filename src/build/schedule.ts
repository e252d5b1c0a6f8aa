/** A unit of work with the ids of the tasks that must succeed before it starts. */
export interface Task<T> {
  id: string;
  after: readonly string[];
  run: (jobs: number) => Promise<T>;
}

export type TaskOutcome<T> =
  | { id: string; ok: true; value: T }
  | { id: string; ok: false; error: unknown }
  | { id: string; ok: false; blockedBy: string };

/**
 * Runs tasks as their dependencies allow, at most `concurrency` at once, and gives each an equal share of
 * the job budget for its make -j, so that parallel builds together never oversubscribe the cores. A task
 * whose dependency failed does not run.
 */
export async function runTasks<T>(tasks: readonly Task<T>[], budget: number): Promise<TaskOutcome<T>[]> {
  const slots = Math.max(1, Math.min(budget > 0 ? budget : tasks.length, tasks.length));
  const jobs = budget > 0 ? Math.max(1, Math.floor(budget / slots)) : 0;
  const outcomes = new Map<string, TaskOutcome<T>>();
  const pending = [...tasks];
  const running = new Set<Promise<void>>();
  const known = new Set(tasks.map((t) => t.id));

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

  while (pending.length > 0 || running.size > 0) {
    let progressed = false;
    for (let i = 0; i < pending.length && running.size < slots;) {
      const task = pending[i];
      if (task === undefined) break;
      const readiness = ready(task);
      if (readiness.state === 'wait') {
        i++;
        continue;
      }
      pending.splice(i, 1);
      progressed = true;
      if (readiness.state === 'blocked') {
        outcomes.set(task.id, { id: task.id, ok: false, blockedBy: readiness.by });
        continue;
      }
      const promise: Promise<void> = task
        .run(jobs)
        .then(
          (value) => void outcomes.set(task.id, { id: task.id, ok: true, value }),
          (error: unknown) => void outcomes.set(task.id, { id: task.id, ok: false, error }),
        )
        .finally(() => running.delete(promise));
      running.add(promise);
    }
    if (running.size > 0) await Promise.race(running);
    else if (!progressed && pending.length > 0) {
      // Only a dependency cycle among the pending tasks can leave nothing runnable.
      for (const task of pending.splice(0))
        outcomes.set(task.id, { id: task.id, ok: false, blockedBy: task.after.join(', ') });
    }
  }
  return tasks.map((t) => outcomes.get(t.id) ?? { id: t.id, ok: false, blockedBy: 'never ran' });
}
