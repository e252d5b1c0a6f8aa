import type { Command } from 'commander';
import { withMutation } from '../../commands/mutation.ts';
import { requireModuleVersion } from '../../commands/module-arg.ts';
import { readBuiltTargets } from '../../commands/remove.ts';
import { loadTarball, makeTarball, readLoadTarballPlan, readMktarballPlan } from '../../commands/tarball.ts';
import { resolveTargets } from '../../commands/targets.ts';
import { KmodError } from '../../errors.ts';
import { parseSourceDateEpoch } from '../../package/package-info.ts';
import { defineAction, type Dispatch } from '../command.ts';
import type { Io } from '../io.ts';
import { writeJson } from '../render.ts';
import { readSpec } from './module-spec.ts';
import { addCommandOptions, moduleOptions } from '../global-options.ts';
import { renderPlan } from '../render-plan.ts';

interface MktarballOptions {
  sourceOnly: boolean | undefined;
  binariesOnly: boolean | undefined;
  archive: string | undefined;
}

export function registerTarballs(program: Command, io: Io, dispatch: Dispatch): void {
  const mk = program
    .command('mktarball')
    .description(
      'write a dkms tarball of a module: built modules for the kernels given (or --all) and the source',
    )
    .argument('[module]', 'module/version')
    .option('--source-only', 'only the source')
    .option('--binaries-only', 'only the built modules, with a dkms.conf stub')
    .option('--archive <file>', 'where to write it (default <dkmstree>/<module>/<version>/tarball/<name>)');
  addCommandOptions(mk, [...moduleOptions, 'all', 'dryRun']);
  defineAction<[string | undefined]>(mk, io, dispatch, async ({ options, ctx }, arg) => {
    const own = mk.opts<MktarballOptions>();
    const { module, version } = requireModuleVersion(await readSpec(arg, options), 'mktarball');
    const targets =
      own.sourceOnly === true
        ? []
        : options.all || options.kernels.length === 0
          ? await readBuiltTargets(ctx, module, version)
          : await resolveTargets(ctx, options);
    const request = {
      module,
      version,
      targets,
      sourceOnly: own.sourceOnly === true,
      binariesOnly: own.binariesOnly === true,
      archive: own.archive,
    };
    if (options.dryRun) return renderPlan(io, options, await readMktarballPlan(ctx, request));
    const sourceDateEpoch = parseSourceDateEpoch(process.env['SOURCE_DATE_EPOCH']);
    const file = await withMutation(ctx, (locked) => makeTarball(locked, { ...request, sourceDateEpoch }));
    if (options.json) writeJson(io, { type: 'result', command: 'mktarball', module, version, file });
    else if (!options.quiet) io.out(`Tarball location: ${file}\n`);
    return 0;
  });

  const ld = program
    .command('ldtarball')
    .description(
      'load a dkms tarball (or a plain source tarball): register the source and the prebuilt modules',
    )
    .argument('[file]', 'the tarball')
    .option('--archive <file>', 'the tarball (dkms spelling)');
  addCommandOptions(ld, ['kernel', 'arch', 'force', 'dryRun']);
  defineAction<[string | undefined]>(ld, io, dispatch, async ({ options, ctx }, arg) => {
    const file = arg ?? ld.opts<{ archive?: string }>().archive;
    if (file === undefined)
      throw new KmodError('MISSING_ARGS', 'ldtarball needs a tarball: kmodforge ldtarball <file>');
    const [target = { release: ctx.runningKernel, arch: ctx.hostArch }] = await resolveTargets(ctx, options);
    // A dry run takes no lock: it only reads the tarball (extracted to a temporary directory) and the trees.
    if (options.dryRun)
      return renderPlan(io, options, await readLoadTarballPlan(ctx, { file, force: options.force, target }));
    const result = await withMutation(ctx, (locked) =>
      loadTarball(locked, { file, force: options.force, target }),
    );
    if (options.json) writeJson(io, { type: 'result', command: 'ldtarball', ...result });
    else if (!options.quiet) {
      io.out(`Loaded ${result.module}/${result.version}\n`);
      for (const t of result.loaded)
        io.out(`Loaded ${result.module}/${result.version} for ${t.release} (${t.arch})\n`);
      for (const t of result.skipped)
        io.err(
          `Warning: ${result.module}/${result.version} for ${t.release} (${t.arch}) already exists. Skipping... (--force replaces it)\n`,
        );
    }
    return 0;
  });
}
