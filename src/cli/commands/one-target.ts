import { resolveTargets } from '../../commands/targets.ts';
import type { Context } from '../../context.ts';
import { KmodError } from '../../errors.ts';
import type { KernelTarget } from '../../kernel/target.ts';
import type { GlobalOptions } from '../global-options.ts';

/** The one kernel dkms's kernel_* and match actions take; exit 4 for none or several. */
export async function oneTarget(ctx: Context, options: GlobalOptions, action: string): Promise<KernelTarget> {
  if (options.kernels.length !== 1) {
    throw new KmodError('KERNEL_COUNT', `The action ${action} needs exactly one kernel: -k <kernel>.`);
  }
  const [target] = await resolveTargets(ctx, options);
  if (target === undefined)
    throw new KmodError('KERNEL_COUNT', `The action ${action} needs exactly one kernel: -k <kernel>.`);
  return target;
}
