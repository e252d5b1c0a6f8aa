import type { Command } from 'commander';
import { addModule } from '../../commands/add.ts';
import { resolveTargets } from '../../commands/targets.ts';
import { KmodError } from '../../errors.ts';
import { withMutation } from '../../commands/mutation.ts';
import { defineAction, type Dispatch } from '../command.ts';
import type { Io } from '../io.ts';
import { writeJson } from '../render.ts';
import { dryRunModuleCommand } from './module-command.ts';
import { readSpec } from './module-spec.ts';
import { addCommandOptions, moduleOptions, refuseAllOption } from '../global-options.ts';

export function registerAdd(program: Command, io: Io, dispatch: Dispatch): void {
  const command = program
    .command('add')
    .description('register a module: module/version in the source tree, a source directory, or its dkms.conf')
    .argument('[module]', 'module/version, a source directory, or a dkms.conf path');
  addCommandOptions(command, [...moduleOptions, 'directive', 'kernelSourceDir', 'dryRun']);
  refuseAllOption(command);
  defineAction<[string | undefined]>(command, io, dispatch, async ({ options, ctx }, arg) => {
    if (options.dryRun) return dryRunModuleCommand(ctx, io, options, arg, 'add');
    const spec = await readSpec(arg, options);
    if (spec === undefined)
      throw new KmodError('MISSING_ARGS', 'Arguments <module> and <module-version> are not specified.');
    const [target] = await resolveTargets(ctx, { ...options, allKernels: false });
    if (target === undefined) throw new KmodError('MISSING_ARGS', 'no kernel to check dkms.conf against');
    const result = await withMutation(ctx, (locked) =>
      addModule(locked, spec, { target, directives: options.directives }),
    );
    if (options.json) writeJson(io, { type: 'result', command: 'add', ...result });
    else if (!options.quiet)
      io.out(
        `Creating symlink ${ctx.paths.dkmsTree}/${result.module}/${result.version}/source -> ${result.sourceDir}\n`,
      );
    return 0;
  });
}
