import type { DirectiveOverride } from '../conf/eval-script.ts';
import type { Context } from '../context.ts';
import type { KernelTarget } from '../kernel/target.ts';

import { describeAddPlan, readAddPlan } from './add.ts';
import type { CommandPlan } from './command-plan.ts';
import { planInstallCommand } from './install.ts';
import { requireModuleVersion, type ModuleSpec } from './module-arg.ts';
import { readSpecToAdd } from './module-target.ts';

/**
 * What add, build or install of a module argument would do, read and planned with nothing written: the
 * add it needs first (a source tree, or a source in <sourceTree>/M-V not added yet), then the builds and
 * installs. For a module still to be added, the builds can only be listed, not planned in detail.
 */
export async function readModuleCommandPlan(
  ctx: Context,
  request: {
    action: 'add' | 'build' | 'install';
    spec: ModuleSpec | undefined;
    targets: readonly KernelTarget[];
    directives: readonly DirectiveOverride[];
    force: boolean;
    noDepmod: boolean;
  },
): Promise<CommandPlan> {
  const { action, spec, targets } = request;
  const first = targets[0] ?? { release: ctx.runningKernel, arch: ctx.hostArch };
  let module: string;
  let version: string;
  const needsAdd = (await readSpecToAdd(ctx, spec)) !== undefined;
  if (spec !== undefined && (needsAdd || action === 'add')) {
    const add = await readAddPlan(ctx, spec, { target: first, directives: request.directives });
    ({ module, version } = add);
    if (action === 'add' || !add.alreadyAdded) {
      const steps = describeAddPlan(ctx, add);
      if (action !== 'add') {
        for (const t of targets) {
          const where = `${module}/${version} for ${t.release} (${t.arch})`;
          steps.push(`build ${where}`);
          if (action === 'install') steps.push(`then install ${where}`);
        }
      }
      return {
        command: `${action} ${module}/${version}`,
        steps,
        ops: [],
        depmod: action === 'install' && !request.noDepmod ? targets.map((t) => t.release) : [],
      };
    }
  } else {
    ({ module, version } = requireModuleVersion(spec, action));
  }
  return planInstallCommand(ctx, {
    module,
    version,
    targets,
    force: request.force,
    directives: request.directives,
    noDepmod: request.noDepmod,
    install: action === 'install',
  });
}
