import { runDepmod } from '../install/depmod.ts';
import type { KernelTarget } from '../kernel/target.ts';
import { readModuleStates } from '../state/read-state.ts';
import { removeModule, type RemoveOutcome } from './remove.ts';
import type { LockedContext } from './mutation.ts';

/**
 * dkms kernel_prerm: before a kernel is removed, unbuild every module built for it (whatever AUTOINSTALL
 * says), with one depmod at the end.
 */
export async function kernelPrerm(ctx: LockedContext, target: KernelTarget): Promise<RemoveOutcome[]> {
  const outcomes: RemoveOutcome[] = [];
  for (const state of await readModuleStates(ctx.paths, { kernel: target.release })) {
    const builds = state.builds.filter((b) => b.arch === target.arch);
    if (builds.length === 0) continue;
    const result = await removeModule(ctx, {
      module: state.module,
      version: state.version,
      targets: builds.map((b) => ({ release: b.kernel, arch: b.arch })),
      mode: 'unbuild',
      noDepmod: true,
    });
    outcomes.push(...result.outcomes);
  }
  if (outcomes.some((o) => o.uninstalled)) await runDepmod(ctx.paths, target.release, ctx.emit);
  return outcomes;
}
