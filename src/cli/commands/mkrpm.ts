import { Option, type Command } from 'commander';
import { makeRpms, requirePackages } from '../../commands/mkrpm.ts';
import { withMutation } from '../../commands/mutation.ts';
import { resolveTargets } from '../../commands/targets.ts';
import { rpmStyles, type RpmStyle } from '../../package/naming.ts';
import { defineAction, type Dispatch } from '../command.ts';
import type { Io } from '../io.ts';
import { ensureAdded, readSpec } from './module-command.ts';
import { renderPackages } from './package-output.ts';

interface MkrpmOptions {
  style: RpmStyle;
  release: string;
  out: string | undefined;
  gpgKey: string | undefined;
}

export function registerMkrpm(program: Command, io: Io, dispatch: Dispatch): void {
  const command = program
    .command('mkrpm')
    .description('make one binary RPM per kernel (and per-flavor meta packages), building first where needed')
    .argument('[module]', 'module/version, a source directory, or a dkms.conf path')
    .addOption(new Option('--style <style>', 'package naming').choices(rpmStyles).default('kmod'))
    .option('--release <n>', 'the package release', '1')
    .option('--out <dir>', 'where to write the packages (default <dkmstree>/<module>/<version>/rpm)')
    .option('--gpg-key <id>', 'sign the packages with this GPG key (rpmsign; GNUPGHOME picks the keyring)');
  defineAction<[string | undefined]>(command, io, dispatch, async ({ options, ctx }, arg) => {
    const own = command.opts<MkrpmOptions>();
    const spec = await readSpec(arg, options);
    const targets = await resolveTargets(ctx, options);
    const result = await withMutation(ctx, async () => {
      const first = targets[0] ?? { release: ctx.runningKernel, arch: ctx.hostArch };
      const { module, version } = await ensureAdded(ctx, spec, options, first, 'mkrpm');
      return makeRpms(ctx, {
        module,
        version,
        targets,
        release: own.release,
        outDir: own.out,
        directives: options.directives,
        style: own.style,
        gpgKey: own.gpgKey,
        gnupgHome: process.env['GNUPGHOME'],
        sourceDateEpoch: process.env['SOURCE_DATE_EPOCH'],
      });
    });
    requirePackages(result);
    return renderPackages(io, options, 'rpm', result);
  });
}
