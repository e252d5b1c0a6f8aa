import type { Command } from 'commander';
import { withMutation } from '../../commands/mutation.ts';
import { requireModuleVersion } from '../../commands/module-arg.ts';
import { readBuiltTargets, readRemoveFacts, removeModule, type RemoveMode } from '../../commands/remove.ts';
import { planRemove } from '../../install/remove-plan.ts';
import { renderPlan } from '../render-plan.ts';
import { resolveTargets } from '../../commands/targets.ts';
import { KmodError } from '../../errors.ts';
import { requireAdded } from '../../state/registered.ts';
import { defineAction, type Dispatch } from '../command.ts';
import type { Io } from '../io.ts';
import { writeJson } from '../render.ts';
import { readSpec } from './module-spec.ts';
import { addCommandOptions, moduleOptions } from '../global-options.ts';

const descriptions: Record<RemoveMode, string> = {
  uninstall: 'uninstall a module from the kernels given (restoring any module it replaced); it stays built',
  unbuild: 'uninstall and forget the builds of a module for the kernels given; it stays added',
  remove:
    'uninstall and unbuild a module for the kernels given (or --all), and unregister it once no build is left',
};

export function registerRemove(program: Command, io: Io, dispatch: Dispatch, mode: RemoveMode): void {
  const command = program
    .command(mode)
    .description(descriptions[mode])
    .argument('[module]', 'module/version');
  addCommandOptions(command, [...moduleOptions, 'allKernels', 'all', 'noDepmod', 'dryRun']);
  defineAction<[string | undefined]>(command, io, dispatch, async ({ options, ctx }, arg) => {
    const { module, version } = requireModuleVersion(await readSpec(arg, options), mode);
    if (options.all && options.kernels.length > 0)
      throw new KmodError(
        'USAGE',
        'You cannot specify a kernel version and also specify --all on the command line.',
      );
    const readRequest = async (): Promise<Parameters<typeof removeModule>[1]> => {
      await requireAdded(ctx, module, version);
      const targets = options.all
        ? await readBuiltTargets(ctx, module, version)
        : await resolveTargets(ctx, options);
      return { module, version, targets, mode, noDepmod: options.noDepmod };
    };
    if (options.dryRun) {
      // A dry run only reads: it takes no lock, so it can show what a running command would do next.
      const plan = planRemove(ctx.paths, await readRemoveFacts(ctx, await readRequest()));
      return renderPlan(io, options, {
        command: plan.command,
        steps: plan.uninstalled.flatMap(({ target, conf }) =>
          conf.scripts.postRemove === undefined
            ? []
            : [`run POST_REMOVE ${conf.scripts.postRemove} for ${target.release} (${target.arch})`],
        ),
        ops: plan.ops,
        depmod: options.noDepmod ? [] : plan.kernels,
      });
    }
    const result = await withMutation(ctx, async (locked) => removeModule(locked, await readRequest()));
    for (const o of result.outcomes) {
      if (options.json) writeJson(io, { type: mode, ...o });
      else if (o.skipped !== undefined && !options.quiet) io.out(`${o.skipped}\n`);
      else if (!options.quiet) {
        const done = [o.uninstalled ? 'Uninstalled' : '', o.unbuilt ? 'unbuilt' : '']
          .filter((w) => w !== '')
          .join(' and ');
        io.out(
          `${done.charAt(0).toUpperCase()}${done.slice(1)} ${module}/${version} for ${o.kernel} (${o.arch})\n`,
        );
      }
    }
    if (result.removedVersion) {
      if (options.json) writeJson(io, { type: 'removed', module, version });
      else if (!options.quiet)
        io.out(`Deleting module ${module}-${version} completely from the DKMS tree.\n`);
    }
    return 0;
  });
}
