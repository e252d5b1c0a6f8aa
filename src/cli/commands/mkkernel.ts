import path from 'node:path';
import { Option, type Command } from 'commander';
import { makeKernel, readMkkernelPlan, type MkkernelResult } from '../../commands/mkkernel.ts';
import { KmodError } from '../../errors.ts';
import {
  kernelPackageFormats,
  planDefaultKernelFormat,
  type KernelPackageFormat,
} from '../../package/kernel/release-plan.ts';
import { defineAction, type Dispatch } from '../command.ts';
import { addCommandOptions, type GlobalOptions } from '../global-options.ts';
import type { Io } from '../io.ts';
import { renderPlan } from '../render-plan.ts';
import { formatErrorAsWarning, writeJson } from '../render.ts';
import { renderPackages } from './package-output.ts';

interface MkkernelCliOptions {
  flavor: string;
  config: string | undefined;
  format: KernelPackageFormat | undefined;
  release: string;
  out: string | undefined;
  withModules: boolean | undefined;
}

export function registerMkkernel(program: Command, io: Io, dispatch: Dispatch): void {
  const command = program
    .command('mkkernel')
    .description(
      'build a kernel from its source tree and package it with its own binrpm-pkg/bindeb-pkg, the flavor ending its release (6.1.192-1host108), with a devel package to build modules against',
    )
    .argument(
      '<sourcedir>',
      'the kernel source tree (left as it is: the build happens in <out>/build-<release>)',
    )
    .requiredOption(
      '--flavor <name>',
      'the flavor, which ends the release as the local version (e.g. host108)',
    )
    .option('--config <file>', 'the .config to build with (default: the architecture defconfig)')
    .addOption(
      new Option('--format <format>', 'rpm or deb (default: deb on Debian and Ubuntu, else rpm)').choices(
        kernelPackageFormats,
      ),
    )
    .option('--release <n>', 'the release number before the flavor', '1')
    .option(
      '--out <dir>',
      'where to write the packages, the log and the build tree (default: the current directory)',
    )
    .option('--with-modules', 'also package every AUTOINSTALL module registered here for the new kernel');
  addCommandOptions(command, ['jobs', 'dryRun']);
  defineAction<[string]>(command, io, dispatch, async ({ options, ctx }, sourceDir) => {
    const own = command.opts<MkkernelCliOptions>();
    const request = {
      sourceDir: path.resolve(sourceDir),
      flavor: own.flavor,
      release: own.release,
      format: own.format ?? planDefaultKernelFormat(ctx.distro.id),
      configFile: own.config === undefined ? undefined : path.resolve(own.config),
      outDir: path.resolve(own.out ?? '.'),
      withModules: own.withModules === true,
    };
    if (options.dryRun) return renderPlan(io, options, await readMkkernelPlan(ctx, request));
    return renderMkkernel(io, options, await makeKernel(ctx, request));
  });
}

function renderMkkernel(io: Io, options: GlobalOptions, result: MkkernelResult): number {
  for (const p of result.packages) {
    if (options.json)
      writeJson(io, {
        type: result.format,
        kernel: result.release,
        arch: result.arch,
        name: p.name,
        file: p.file,
      });
    else if (!options.quiet) io.out(`Wrote ${p.file}\n`);
  }
  let exitCode = 0;
  for (const m of result.modules) {
    if (m.result !== undefined) {
      exitCode = Math.max(exitCode, renderPackages(io, options, result.format, m.result));
      continue;
    }
    const error = m.error ?? new KmodError('BUILD_FAILED', `${m.module}/${m.version} was not packaged`);
    io.err(formatErrorAsWarning(io, error));
    exitCode = Math.max(exitCode, error.exitCode);
  }
  if (!options.json && !options.quiet) io.out(`Build log: ${result.log}\n`);
  return exitCode;
}
