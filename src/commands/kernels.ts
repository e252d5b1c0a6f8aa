import type { Context } from '../context.ts';
import { discoverKernels, type KernelInfo } from '../kernel/discover.ts';

/** The kernels of the system under the context's root, oldest first. */
export async function listKernels(ctx: Context): Promise<KernelInfo[]> {
  return discoverKernels(ctx.paths, ctx.config.flavorRules);
}
