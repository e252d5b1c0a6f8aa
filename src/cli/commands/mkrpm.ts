import { Option, type Command } from 'commander';
import { makeRpms, requirePackages } from '../../commands/mkrpm.ts';
import { readMkrpmPlan } from '../../commands/read-package-plan.ts';
import { rpmStyles, type RpmStyle } from '../../package/naming.ts';
import { parseSourceDateEpoch } from '../../package/package-info.ts';
import { defineAction, type Dispatch } from '../command.ts';
import type { Io } from '../io.ts';
import { onModuleAndKernels } from './module-command.ts';
import { readPackageRequest, renderPackages } from './package-output.ts';
import { renderPlan } from '../render-plan.ts';
import { addCommandOptions, buildOptions } from '../global-options.ts';

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
  addCommandOptions(command, [...buildOptions, 'dryRun']);
  defineAction<[string | undefined]>(command, io, dispatch, async ({ options, ctx }, arg) => {
    const own = command.opts<MkrpmOptions>();
    if (options.dryRun) {
      const request = await readPackageRequest(ctx, options, arg, 'mkrpm');
      const { release, out: outDir, style, gpgKey } = own;
      return renderPlan(
        io,
        options,
        await readMkrpmPlan(ctx, { ...request, release, outDir, style, gpgKey }),
      );
    }
    // Checked before the module is added: a bad value must change nothing.
    const sourceDateEpoch = parseSourceDateEpoch(process.env['SOURCE_DATE_EPOCH']);
    const result = await onModuleAndKernels(ctx, options, arg, 'mkrpm', (locked, request) =>
      makeRpms(locked, {
        ...request,
        release: own.release,
        outDir: own.out,
        style: own.style,
        gpgKey: own.gpgKey,
        gnupgHome: process.env['GNUPGHOME'],
        sourceDateEpoch,
      }),
    );
    requirePackages(result);
    return renderPackages(io, options, 'rpm', result);
  });
}
