import type { Command } from 'commander';
import { makeSourceRpm, readMksrpmPlan } from '../../commands/mksrpm.ts';
import { readModuleSpec, requireModuleVersion } from '../../commands/module-arg.ts';
import { parseSourceDateEpoch } from '../../package/package-info.ts';
import { defineAction, type Dispatch } from '../command.ts';
import type { Io } from '../io.ts';
import { writeJson } from '../render.ts';
import { addCommandOptions } from '../global-options.ts';
import { renderPlan } from '../render-plan.ts';
import { withMutation } from '../../commands/mutation.ts';

export function registerMksrpm(program: Command, io: Io, dispatch: Dispatch): void {
  const command = program
    .command('mksrpm')
    .description(
      'make a source RPM that `rpmbuild --rebuild` turns into kmod-<module>-<kernel> packages, without kmodforge or dkms',
    )
    .argument('[module]', 'module/version, as added')
    .option('--release <n>', 'the rpm Release of the packages', '1')
    .option('--out <dir>', 'where to write the .src.rpm (default <dkmstree>/<module>/<version>/rpm)')
    .option('--license <spdx>', "the rpm License (default: from the sources' MODULE_LICENSE)");
  addCommandOptions(command, ['module', 'moduleVersion', 'dryRun']);
  defineAction<[string | undefined]>(command, io, dispatch, async ({ options, ctx }, arg) => {
    const { module, version } = requireModuleVersion(
      await readModuleSpec(arg, options.module, options.moduleVersion),
      'mksrpm',
    );
    const own = command.opts<{ release: string; out?: string; license?: string }>();
    if (options.dryRun)
      return renderPlan(
        io,
        options,
        await readMksrpmPlan(ctx, { module, version, release: own.release, outDir: own.out }),
      );
    const request = {
      module,
      version,
      release: own.release,
      outDir: own.out,
      license: own.license,
      sourceDateEpoch: parseSourceDateEpoch(process.env['SOURCE_DATE_EPOCH']),
      generator: `kmodforge ${program.version() ?? ''}`.trim(),
    };
    const result = await withMutation(ctx, (locked) => makeSourceRpm(locked, request));
    if (options.json) writeJson(io, { type: 'result', command: 'mksrpm', ...result });
    else if (!options.quiet) io.out(`Wrote ${result.srpm}\n`);
    return 0;
  });
}
