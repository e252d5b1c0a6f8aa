import type { ModuleSpec } from '../../commands/module-arg.ts';
import { readModuleSpec } from '../../commands/module-arg.ts';
import { addModule } from '../../commands/add.ts';
import type { Context } from '../../context.ts';
import type { KernelTarget } from '../../kernel/target.ts';
import type { GlobalOptions } from '../global-options.ts';
import { KmodError } from '../../errors.ts';
import { isAdded } from '../../state/read-state.ts';
import { tree } from '../../state/tree.ts';
import { access } from 'node:fs/promises';
import { withMutation } from '../../commands/mutation.ts';
import { resolveTargets } from '../../commands/targets.ts';
import { readModuleCommandPlan } from '../../commands/read-module-command.ts';
import type { Io } from '../io.ts';
import { renderPlan } from '../render-plan.ts';

export async function readSpec(
  arg: string | undefined,
  options: GlobalOptions,
): Promise<ModuleSpec | undefined> {
  return readModuleSpec(arg, options.module, options.moduleVersion);
}

/**
 * The module and version a build or install works on, adding it first when it names a source tree, or a
 * registered source in <sourceTree>/M-V that is not added yet (dkms builds and installs add as needed).
 */
export async function ensureAdded(
  ctx: Context,
  spec: ModuleSpec | undefined,
  options: GlobalOptions,
  target: KernelTarget,
  action: string,
): Promise<{ module: string; version: string }> {
  if (spec?.kind === 'source' || spec?.kind === 'archive') {
    const added = await addModule(ctx, spec, {
      target,
      directives: options.directives,
      ifMissing: true,
    });
    return { module: added.module, version: added.version };
  }
  if (spec?.kind !== 'registered' || spec.version === undefined) {
    throw new KmodError('MISSING_ARGS', 'Arguments <module> and <module-version> are not specified.', {
      hint: `Usage: kmodforge ${action} <module>/<module-version>, -m <module> -v <module-version>, or a source directory`,
    });
  }
  const { module, version } = spec;
  if (!(await isAdded(ctx.paths, module, version))) {
    try {
      await access(tree.source(ctx.paths, module, version));
    } catch {
      return { module, version };
    }
    await addModule(ctx, spec, { target, directives: options.directives, ifMissing: true });
  }
  return { module, version };
}

/**
 * What build, install and the packaging commands share: the module argument and the kernels are read,
 * then, under the state lock, the module is added if needed and `fn` runs on it.
 */
export async function onModuleAndKernels<T>(
  ctx: Context,
  options: GlobalOptions,
  arg: string | undefined,
  action: string,
  fn: (module: string, version: string, targets: KernelTarget[]) => Promise<T>,
  kernels: 'targets' | 'none' = 'targets',
): Promise<T> {
  const spec = await readSpec(arg, options);
  const targets = kernels === 'none' ? [] : await resolveTargets(ctx, options);
  return withMutation(ctx, async () => {
    const first = targets[0] ?? { release: ctx.runningKernel, arch: ctx.hostArch };
    const { module, version } = await ensureAdded(ctx, spec, options, first, action);
    return fn(module, version, targets);
  });
}

/** A dry run of add, build or install: the plan, printed, with nothing written and no lock taken. */
export async function dryRunModuleCommand(
  ctx: Context,
  io: Io,
  options: GlobalOptions,
  arg: string | undefined,
  action: 'add' | 'build' | 'install',
): Promise<number> {
  if (options.destDir !== undefined)
    throw new KmodError('USAGE', '--dry-run and --destdir: --destdir already leaves the system as it is');
  const spec = await readSpec(arg, options);
  const targets = await resolveTargets(ctx, action === 'add' ? { ...options, allKernels: false } : options);
  const plan = await readModuleCommandPlan(ctx, {
    action,
    spec,
    targets: action === 'add' ? targets.slice(0, 1) : targets,
    directives: options.directives,
    force: options.force,
    noDepmod: options.noDepmod,
  });
  return renderPlan(io, options, plan);
}
