import type { Context } from '../../context.ts';
import type { GlobalOptions } from '../global-options.ts';
import { KmodError } from '../../errors.ts';
import { withModule } from '../../commands/module-target.ts';
import type { LockedContext } from '../../commands/mutation.ts';
import type { BuildModuleOptions } from '../../commands/build.ts';
import { resolveTargets } from '../../commands/targets.ts';
import { readModuleCommandPlan } from '../../commands/read-module-command.ts';
import type { Io } from '../io.ts';
import { readSpec } from './module-spec.ts';
import { renderPlan } from '../render-plan.ts';

/**
 * What build, install and the packaging commands share in the CLI: the module argument and the kernels
 * are read from the options, then the commands API adds the module if needed and runs `fn` on it under
 * the state lock, with the module, its version, the kernels and the options every build takes.
 */
export async function onModuleAndKernels<T>(
  ctx: Context,
  options: GlobalOptions,
  arg: string | undefined,
  action: string,
  fn: (locked: LockedContext, request: BuildModuleOptions) => Promise<T>,
  kernels: 'targets' | 'none' = 'targets',
): Promise<T> {
  const spec = await readSpec(arg, options);
  const targets = kernels === 'none' ? [] : await resolveTargets(ctx, options);
  const { directives, force } = options;
  return withModule(ctx, { action, spec, targets, directives }, (locked, module, version) =>
    fn(locked, { module, version, targets, directives, force }),
  );
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
