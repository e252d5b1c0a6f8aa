import type { Context } from '../context.ts';
import { KmodError } from '../errors.ts';
import { checkKernelTarget, type KernelTarget } from '../kernel/target.ts';
import { readModuleStates } from '../state/read-state.ts';
import type { CommandPlan } from './command-plan.ts';
import { installModule, planInstallCommand, type InstallOutcome } from './install.ts';
import type { LockedContext } from './mutation.ts';

export interface MatchOptions {
  template: string;
  target: KernelTarget;
  module: string | undefined;
  noDepmod: boolean;
}

/** The module versions installed on the template kernel (optionally only one module): what match installs. */
async function readMatchedVersions(
  ctx: Context,
  options: MatchOptions,
): Promise<{ module: string; version: string }[]> {
  checkKernelTarget({ release: options.template, arch: options.target.arch }, '--templatekernel');
  if (options.template === options.target.release)
    throw new KmodError('USAGE', 'The templatekernel and the specified kernel version are the same.');
  const states = await readModuleStates(ctx.paths, {
    module: options.module,
    kernel: options.template,
    arch: options.target.arch,
  });
  if (options.module !== undefined && states.length === 0)
    throw new KmodError('NOT_ADDED', `The module: ${options.module} is not located in the DKMS tree.`);
  return states
    .filter((s) => s.builds.some((b) => b.installed))
    .map(({ module, version }) => ({ module, version }));
}

function installRequest(options: MatchOptions, module: string, version: string) {
  return {
    module,
    version,
    targets: [options.target],
    force: false,
    directives: [],
    noDepmod: options.noDepmod,
  };
}

/**
 * dkms match: install on one kernel every module version installed on a template kernel (optionally only
 * one module), building as needed.
 */
export async function matchKernel(ctx: LockedContext, options: MatchOptions): Promise<InstallOutcome[]> {
  const outcomes: InstallOutcome[] = [];
  for (const { module, version } of await readMatchedVersions(ctx, options))
    outcomes.push(...(await installModule(ctx, installRequest(options, module, version))));
  return outcomes;
}

/** What match would do, with nothing run or written: each matched version's build and install. */
export async function planMatchCommand(ctx: Context, options: MatchOptions): Promise<CommandPlan> {
  const plans = [];
  for (const { module, version } of await readMatchedVersions(ctx, options))
    plans.push(await planInstallCommand(ctx, { ...installRequest(options, module, version), install: true }));
  return {
    command: `match --templatekernel ${options.template} -k ${options.target.release}`,
    steps: plans.flatMap((p) => p.steps),
    ops: plans.flatMap((p) => p.ops),
    depmod: [...new Set(plans.flatMap((p) => p.depmod))],
  };
}
