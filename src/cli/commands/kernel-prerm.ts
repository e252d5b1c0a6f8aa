import type { Command } from 'commander';
import { kernelPrerm, readKernelPrermPlan } from '../../commands/kernel-hooks.ts';
import { withMutation } from '../../commands/mutation.ts';
import { defineAction, type Dispatch } from '../command.ts';
import { addCommandOptions } from '../global-options.ts';
import type { Io } from '../io.ts';
import { writeJson } from '../render.ts';
import { renderPlan } from '../render-plan.ts';
import { oneTarget } from './one-target.ts';

export function registerKernelPrerm(program: Command, io: Io, dispatch: Dispatch): void {
  const prerm = program
    .command('kernel_prerm')
    .alias('kernel-prerm')
    .description('before a kernel is removed: unbuild every module built for it (-k required)');
  addCommandOptions(prerm, ['kernel', 'arch', 'dryRun']);
  defineAction<[]>(prerm, io, dispatch, async ({ options, ctx }) => {
    const target = await oneTarget(ctx, options, 'kernel_prerm');
    if (options.dryRun) {
      const parts = await readKernelPrermPlan(ctx, target);
      return renderPlan(io, options, {
        command: `kernel_prerm -k ${target.release}`,
        steps: [],
        ops: parts.flatMap((p) => p.plan.ops),
        depmod: parts.some((p) => p.plan.kernels.length > 0) ? [target.release] : [],
      });
    }
    const outcomes = await withMutation(ctx, (locked) => kernelPrerm(locked, target));
    for (const o of outcomes) {
      if (options.json) writeJson(io, { type: 'kernel_prerm', ...o });
      else if (!options.quiet) io.out(`Unbuilt ${o.module}/${o.version} for ${o.kernel} (${o.arch})\n`);
    }
    return 0;
  });
}
