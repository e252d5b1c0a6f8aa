import { KmodError } from '../errors.ts';
import { checkKernelTarget, type KernelTarget } from '../kernel/target.ts';
import { readModuleStates } from '../state/read-state.ts';
import { installModule, type InstallOutcome } from './install.ts';
import type { LockedContext } from './mutation.ts';

/**
 * dkms match: install on one kernel every module version installed on a template kernel (optionally only
 * one module), building as needed.
 */
export async function matchKernel(
  ctx: LockedContext,
  options: { template: string; target: KernelTarget; module: string | undefined; noDepmod: boolean },
): Promise<InstallOutcome[]> {
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
  const outcomes: InstallOutcome[] = [];
  for (const state of states) {
    if (!state.builds.some((b) => b.installed)) continue;
    outcomes.push(
      ...(await installModule(ctx, {
        module: state.module,
        version: state.version,
        targets: [options.target],
        force: false,
        directives: [],
        noDepmod: options.noDepmod,
      })),
    );
  }
  return outcomes;
}
