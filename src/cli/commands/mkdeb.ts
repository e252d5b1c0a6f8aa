import type { Command } from 'commander';
import { makeDebs, makeDkmsDeb, readDkmsDebPlan, readMkdebPlan } from '../../commands/mkdeb.ts';
import { requirePackages } from '../../commands/mkrpm.ts';
import { parseSourceDateEpoch } from '../../package/package-info.ts';
import { defineAction, type Dispatch } from '../command.ts';
import type { Io } from '../io.ts';
import { onModuleAndKernels } from './module-command.ts';
import { readPackageRequest, renderPackages } from './package-output.ts';
import { renderPlan } from '../render-plan.ts';
import { addCommandOptions, buildOptions } from '../global-options.ts';

interface MkdebOptions {
  release: string;
  out: string | undefined;
  source: boolean | undefined;
}

export function registerMkdeb(program: Command, io: Io, dispatch: Dispatch): void {
  const command = program
    .command('mkdeb')
    .description(
      'make one binary .deb per kernel, building first where needed; --source: a <name>-dkms source package',
    )
    .argument('[module]', 'module/version, a source directory, or a dkms.conf path')
    .option('--release <n>', 'the Debian revision', '1')
    .option('--out <dir>', 'where to write the packages (default <dkmstree>/<module>/<version>/deb)')
    .option('--source', 'make the <name>-dkms package that builds the module where it is installed');
  addCommandOptions(command, [...buildOptions, 'dryRun']);
  defineAction<[string | undefined]>(command, io, dispatch, async ({ options, ctx }, arg) => {
    const own = command.opts<MkdebOptions>();
    if (options.dryRun) {
      const source = own.source === true;
      const request = await readPackageRequest(ctx, options, arg, 'mkdeb', source ? 'none' : 'targets');
      const { release, out: outDir } = own;
      const plan = source
        ? await readDkmsDebPlan(ctx, { ...request, release, outDir })
        : await readMkdebPlan(ctx, { ...request, release, outDir });
      return renderPlan(io, options, plan);
    }
    // Checked before the module is added: a bad value must change nothing.
    const sourceDateEpoch = parseSourceDateEpoch(process.env['SOURCE_DATE_EPOCH']);
    const result = await onModuleAndKernels(
      ctx,
      options,
      arg,
      'mkdeb',
      (locked, request) => {
        const common = {
          ...request,
          release: own.release,
          outDir: own.out,
          sourceDateEpoch,
        };
        return own.source === true ? makeDkmsDeb(locked, common) : makeDebs(locked, common);
      },
      own.source === true ? 'none' : 'targets',
    );
    requirePackages(result);
    return renderPackages(io, options, 'deb', result);
  });
}
