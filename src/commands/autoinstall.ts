import { access } from 'node:fs/promises';
import path from 'node:path';
import { heldSlot, withJobSlots, type JobAccess } from '../build/job-slots.ts';
import { runTasks } from '../build/schedule.ts';
import type { Context } from '../context.ts';
import { KmodError, exitCodes } from '../errors.ts';
import { runDepmod } from '../install/depmod.ts';
import type { KernelTarget } from '../kernel/target.ts';
import { readKernelLink, readModuleStates } from '../state/read-state.ts';
import { readRegisteredConf } from '../state/registered.ts';
import { exists } from '../state/fs.ts';
import { tree } from '../state/tree.ts';
import { compareKernelReleases } from '../version/kernel.ts';
import type { InstallOutcome } from './install.ts';
import { withMutation, type LockedContext } from './mutation.ts';

export type AutoinstallResult = 'installed' | 'skipped' | 'failed' | 'missing-deps' | 'already-installed';

export interface AutoinstallEntry {
  module: string;
  version: string;
  kernel: string;
  arch: string;
  result: AutoinstallResult;
  error: KmodError | undefined;
  /** For missing-deps: the BUILD_DEPENDS that could not be installed first. */
  missing: string[];
  /** How long its build ran, when one did. */
  seconds?: number | undefined;
  /** Its BUILD_DEPENDS, as its dkms.conf lists them (none for a dkms.conf that could not be read). */
  depends: string[];
  /** What its install did, when one ran (failed ones included). */
  install?: InstallOutcome | undefined;
}

export interface AutoinstallCandidate {
  module: string;
  version: string;
  depends: string[];
}

/** The latest added version of every module, newest by `sort -V` as dkms picks it. */
export async function readLatestVersions(ctx: Context): Promise<{ module: string; version: string }[]> {
  const latest = new Map<string, string>();
  for (const state of await readModuleStates(ctx.paths)) {
    if (state.broken) continue;
    const current = latest.get(state.module);
    if (current === undefined || compareKernelReleases(state.version, current) > 0)
      latest.set(state.module, state.version);
  }
  return [...latest].map(([module, version]) => ({ module, version }));
}

/** BUILD_DEPENDS cycles among the candidates, each as the path that closes it (a → b → a). */
export function findDependencyCycles(candidates: readonly AutoinstallCandidate[]): string[][] {
  const byName = new Map(candidates.map((c) => [c.module, c]));
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (name: string): void => {
    state.set(name, 'visiting');
    stack.push(name);
    for (const dep of byName.get(name)?.depends ?? []) {
      if (!byName.has(dep)) continue;
      if (state.get(dep) === 'visiting') cycles.push([...stack.slice(stack.indexOf(dep)), dep]);
      else if (state.get(dep) === undefined) visit(dep);
    }
    stack.pop();
    state.set(name, 'done');
  };
  for (const c of candidates) if (state.get(c.module) === undefined) visit(c.module);
  return cycles;
}

/**
 * Splits autoinstall candidates into those whose BUILD_DEPENDS can be met (installed already or among the
 * candidates) and those that cannot: a dependency that is neither, one that cannot itself be installed,
 * or a dependency cycle (named as "cycle a -> b -> a"). Pure.
 */
export function planAutoinstall(
  candidates: readonly AutoinstallCandidate[],
  installed: ReadonlySet<string>,
): { runnable: AutoinstallCandidate[]; missing: Map<string, string[]> } {
  const names = new Set(candidates.map((c) => c.module));
  const missing = new Map<string, string[]>();
  for (const cycle of findDependencyCycles(candidates.filter((c) => !installed.has(c.module)))) {
    for (const module of cycle) missing.set(module, [`cycle ${cycle.join(' -> ')}`]);
  }
  let changed = true;
  while (changed) {
    changed = false;
    for (const c of candidates) {
      if (missing.has(c.module)) continue;
      const lacking = c.depends.filter((d) => !installed.has(d) && (!names.has(d) || missing.has(d)));
      if (lacking.length > 0) {
        missing.set(c.module, lacking);
        changed = true;
      }
    }
  }
  return { runnable: candidates.filter((c) => !missing.has(c.module)), missing };
}

/** What autoinstall is asked: the kernels, and whether /etc/dkms/no-autoinstall stops it. */
export interface AutoinstallOptions {
  targets: readonly KernelTarget[];
  /**
   * Do the installs even when /etc/dkms/no-autoinstall exists: dkms 3.0.10's autoinstall action does not
   * read it (its boot service and kernel hooks do), so the `dkms` front end, which must act as it does,
   * passes true.
   */
  ignoreNoAutoinstall?: boolean | undefined;
}

async function noAutoinstall(ctx: Context, options: AutoinstallOptions): Promise<boolean> {
  if (options.ignoreNoAutoinstall === true) return false;
  try {
    await access(path.join(ctx.paths.etcDkms, 'no-autoinstall'));
    return true;
  } catch {
    return false;
  }
}

function entryOf(outcome: InstallOutcome, depends: string[]): AutoinstallEntry {
  const result: AutoinstallResult =
    outcome.status === 'excluded'
      ? 'skipped'
      : outcome.status === 'failed'
        ? 'failed'
        : outcome.status === 'already-installed'
          ? 'already-installed'
          : 'installed';
  return {
    module: outcome.module,
    version: outcome.version,
    kernel: outcome.kernel,
    arch: outcome.arch,
    result,
    error: outcome.error,
    missing: [],
    seconds: outcome.build?.seconds,
    depends,
    install: outcome,
  };
}

/** One module to install for one kernel, after the installs it depends on for that kernel. */
export interface AutoinstallTask {
  module: AutoinstallCandidate;
  target: KernelTarget;
  id: string;
  after: string[];
}

/** What autoinstall will do: the installs in dependency order, and what it already knows fails. */
export interface AutoinstallPlan {
  /** /etc/dkms/no-autoinstall exists: nothing is done. */
  disabled: string | undefined;
  tasks: AutoinstallTask[];
  /** Modules that cannot be installed (a dkms.conf that fails, missing BUILD_DEPENDS). */
  entries: AutoinstallEntry[];
  /** Kernels that get installs: depmod runs once for each. */
  kernels: string[];
}

/**
 * Reads and plans dkms autoinstall for each kernel: the latest version of every AUTOINSTALL module not
 * installed there yet, with its BUILD_DEPENDS as edges between the installs. Writes nothing.
 */
export async function readAutoinstallPlan(
  ctx: Context,
  options: AutoinstallOptions,
): Promise<AutoinstallPlan> {
  if (await noAutoinstall(ctx, options)) {
    const disabled = `Automatic installation of modules has been disabled by ${path.join(ctx.paths.etcDkms, 'no-autoinstall')}.`;
    return { disabled, tasks: [], entries: [], kernels: [] };
  }
  const latest = await readLatestVersions(ctx);
  const entries: AutoinstallEntry[] = [];
  const tasks: AutoinstallTask[] = [];
  const kernels = new Set<string>();
  for (const target of options.targets) {
    const installed = new Set<string>();
    const candidates: AutoinstallCandidate[] = [];
    for (const { module, version } of latest) {
      if ((await readKernelLink(ctx.paths, module, target.release, target.arch)) !== undefined) {
        installed.add(module);
        continue;
      }
      try {
        const { conf } = await readRegisteredConf(ctx, module, version, target);
        if (conf.autoinstall) candidates.push({ module, version, depends: conf.buildDepends });
      } catch (error) {
        if (!(error instanceof KmodError)) throw error;
        entries.push({
          module,
          version,
          kernel: target.release,
          arch: target.arch,
          result: 'failed',
          error,
          missing: [],
          depends: [],
        });
      }
    }
    const { runnable, missing } = planAutoinstall(candidates, installed);
    for (const [module, lacking] of missing) {
      const candidate = candidates.find((c) => c.module === module);
      entries.push({
        module,
        version: candidate?.version ?? '',
        kernel: target.release,
        arch: target.arch,
        result: 'missing-deps',
        error: undefined,
        missing: lacking,
        depends: candidate?.depends ?? [],
      });
    }
    const id = (module: string): string => `${module}@${target.release}/${target.arch}`;
    for (const c of runnable) {
      kernels.add(target.release);
      tasks.push({
        module: c,
        target,
        id: id(c.module),
        after: c.depends.filter((d) => !installed.has(d)).map(id),
      });
    }
  }
  return { disabled: undefined, tasks, entries, kernels: [...kernels] };
}

/**
 * dkms autoinstall for each kernel: the plan's installs, in BUILD_DEPENDS order, independent ones in
 * parallel; then one depmod per kernel.
 */
export async function autoinstall(
  ctx: LockedContext,
  options: AutoinstallOptions & { noDepmod: boolean },
): Promise<AutoinstallEntry[]> {
  const plan = await readAutoinstallPlan(ctx, options);
  if (plan.disabled !== undefined) {
    ctx.emit({ type: 'info', message: plan.disabled });
    return [];
  }
  const entries = [...plan.entries];
  // Loaded only when there is something to install: a no-op autoinstall (every boot) needs none of it.
  const { installModule } = await import('./install.ts');
  // A failed install ends its task with an error (so its dependents do not run); its outcome is kept here.
  const failedInstalls = new Map<string, InstallOutcome>();
  const tasks = plan.tasks.map((task) => ({
    ...task,
    run: async (jobAccess: JobAccess) => {
      const { module, version } = task.module;
      const [outcome] = await installModule(ctx, {
        module,
        version,
        targets: [task.target],
        force: false,
        directives: [],
        noDepmod: true,
        slots: heldSlot(jobAccess),
      });
      if (outcome?.status === 'failed') {
        failedInstalls.set(task.id, outcome);
        throw outcome.error ?? new KmodError('INSTALL_FAILED', `${module}/${version} failed`);
      }
      if (outcome === undefined) throw new Error('install returned nothing');
      return entryOf(outcome, task.module.depends);
    },
  }));
  const outcomes = await withJobSlots(ctx.jobs, (slots) => runTasks(tasks, slots));
  for (const [i, outcome] of outcomes.entries()) {
    const task = tasks[i];
    if (task === undefined) continue;
    const base = {
      module: task.module.module,
      version: task.module.version,
      kernel: task.target.release,
      arch: task.target.arch,
      depends: task.module.depends,
    };
    if (outcome.ok) entries.push(outcome.value);
    else if ('error' in outcome) {
      if (!(outcome.error instanceof KmodError)) throw outcome.error;
      entries.push({
        ...base,
        result: 'failed',
        error: outcome.error,
        missing: [],
        install: failedInstalls.get(task.id),
      });
    } else entries.push({ ...base, result: 'missing-deps', error: undefined, missing: task.module.depends });
  }
  if (!options.noDepmod) for (const kernel of plan.kernels) await runDepmod(ctx.paths, kernel, ctx.emit);
  return entries;
}

/**
 * autoinstall as a command: under the state lock, unless it can tell without it that there is nothing to
 * do (every AUTOINSTALL module installed, no interrupted transaction to recover). It runs at every boot
 * and kernel hook, where that is the usual answer, and the lock costs more than the rest.
 */
export async function runAutoinstall(
  ctx: Context,
  options: AutoinstallOptions & { noDepmod: boolean },
): Promise<AutoinstallEntry[]> {
  const preview = await readAutoinstallPlan(ctx, options);
  if (preview.disabled !== undefined) {
    ctx.emit({ type: 'info', message: preview.disabled });
    return [];
  }
  const idle = preview.tasks.length === 0 && preview.entries.length === 0;
  if (idle && !(await exists(tree.journal(ctx.paths)))) return [];
  return withMutation(ctx, (locked) => autoinstall(locked, options));
}

/** The steps of an autoinstall plan, as a dry run lists them. */
export function describeAutoinstallPlan(plan: AutoinstallPlan): string[] {
  if (plan.disabled !== undefined) return [plan.disabled];
  const where = (e: { module: string; version: string; kernel: string; arch: string }): string =>
    `${e.module}/${e.version} for ${e.kernel} (${e.arch})`;
  return [
    ...plan.tasks.map((t) => {
      const after = t.after.map((id) => id.split('@')[0]).join(', ');
      const what = where({ ...t.module, kernel: t.target.release, arch: t.target.arch });
      return `build and install ${what}${after === '' ? '' : `, after ${after}`}`;
    }),
    ...plan.entries.map((e) =>
      e.result === 'missing-deps'
        ? `skip ${where(e)}: missing dependencies ${e.missing.join(' ')}`
        : `fail ${where(e)}: ${e.error?.message ?? ''}`,
    ),
  ];
}

export function planAutoinstallExitCode(entries: readonly AutoinstallEntry[]): number {
  return entries.some((e) => e.result === 'failed' || e.result === 'missing-deps')
    ? exitCodes.AUTOINSTALL_FAILED
    : 0;
}
