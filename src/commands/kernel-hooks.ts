import type { Context } from '../context.ts';
import { runDepmod } from '../install/depmod.ts';
import { planRemove, type RemovePlan } from '../install/remove-plan.ts';
import type { KernelTarget } from '../kernel/target.ts';
import { readModuleStates } from '../state/read-state.ts';
import type { LockedContext } from './mutation.ts';
import { applyRemovePlan, readRemoveFacts, type RemoveOutcome } from './remove.ts';

/** One module version's part of kernel_prerm: unbuild it for the kernel. */
interface PrermPart {
  request: Parameters<typeof applyRemovePlan>[2];
  plan: RemovePlan;
}

/** Reads and plans kernel_prerm: an unbuild of every module built for the kernel (whatever AUTOINSTALL says). */
export async function readKernelPrermPlan(ctx: Context, target: KernelTarget): Promise<PrermPart[]> {
  const parts: PrermPart[] = [];
  for (const state of await readModuleStates(ctx.paths, { kernel: target.release })) {
    const builds = state.builds.filter((b) => b.arch === target.arch);
    if (builds.length === 0) continue;
    const request = {
      module: state.module,
      version: state.version,
      targets: builds.map((b) => ({ release: b.kernel, arch: b.arch })),
      mode: 'unbuild' as const,
      noDepmod: true,
    };
    parts.push({ request, plan: planRemove(ctx.paths, await readRemoveFacts(ctx, request)) });
  }
  return parts;
}

/**
 * dkms kernel_prerm: before a kernel is removed, unbuild every module built for it, one transaction per
 * module version, with one depmod at the end.
 */
export async function kernelPrerm(ctx: LockedContext, target: KernelTarget): Promise<RemoveOutcome[]> {
  const outcomes: RemoveOutcome[] = [];
  for (const { request, plan } of await readKernelPrermPlan(ctx, target)) {
    await applyRemovePlan(ctx, plan, request);
    outcomes.push(...plan.outcomes);
  }
  if (outcomes.some((o) => o.uninstalled)) await runDepmod(ctx.paths, target.release, ctx.emit);
  return outcomes;
}
