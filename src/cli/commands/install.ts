import type { Command } from 'commander';
import { installModule, type InstallOutcome } from '../../commands/install.ts';
import { planBuildExitCode } from '../../commands/build.ts';
import { defineAction, type Dispatch } from '../command.ts';
import type { GlobalOptions } from '../global-options.ts';
import type { Io } from '../io.ts';
import { errorRecord, formatErrorAsWarning, renderError, writeJson } from '../render.ts';
import { describeVerify, dryRunVerify, outcomeRecord, readVerifySettings } from './build.ts';
import { renderBuildVerifies } from './verify.ts';
import { onModuleAndKernels, dryRunModuleCommand } from './module-command.ts';
import { renderSummary } from '../progress.ts';
import type { SummaryEntry } from '../progress-model.ts';
import { addCommandOptions, buildOptions, refuseAllOption } from '../global-options.ts';

export function renderInstallOutcomes(
  io: Io,
  options: GlobalOptions,
  outcomes: readonly InstallOutcome[],
): void {
  for (const o of outcomes) {
    if (options.json) {
      writeJson(io, {
        type: 'install',
        module: o.module,
        version: o.version,
        kernel: o.kernel,
        arch: o.arch,
        status: o.status,
        files: o.files,
        build: o.build === undefined ? null : outcomeRecord(o.build),
        error: o.error === undefined ? null : errorRecord(o.error),
      });
      continue;
    }
    const where = `${o.module}/${o.version} for ${o.kernel} (${o.arch})`;
    switch (o.status) {
      case 'installed':
        if (!options.quiet) io.out(`Installed ${where}: ${o.files.join(' ')}\n`);
        break;
      case 'staged':
        if (!options.quiet) io.out(`Staged ${where}: ${o.files.join(' ')}\n`);
        break;
      case 'already-installed':
        if (!options.quiet)
          io.out(
            `Module ${o.module}/${o.version} already installed on kernel ${o.kernel} (${o.arch}), skip. You may override by specifying --force.\n`,
          );
        break;
      case 'excluded':
        if (o.error !== undefined) io.err(formatErrorAsWarning(io, o.error));
        break;
      case 'failed':
        if (o.error !== undefined) renderError(io, false, o.error);
        break;
    }
  }
}

/** An install's result in the summary table, with its build's when one ran. */
export function installSummaryEntry(o: InstallOutcome): SummaryEntry {
  const { module, version, kernel, arch } = o;
  const installed = o.status === 'already-installed' ? 'already installed' : o.status;
  const built = `${o.build?.status === 'built' ? `built, ${installed}` : installed}${describeVerify(o.verify)}`;
  const result =
    o.status === 'failed'
      ? `failed (exit ${o.error?.exitCode ?? '?'})`
      : o.status === 'excluded'
        ? 'skipped (BUILD_EXCLUSIVE)'
        : built;
  return { module, version, kernel, arch, result, seconds: o.build?.seconds, failed: o.status === 'failed' };
}

export function registerInstall(program: Command, io: Io, dispatch: Dispatch): void {
  const command = program
    .command('install')
    .description(
      'install a module into the kernels given, building it first where needed; --destdir stages it instead',
    )
    .argument('[module]', 'module/version, a source directory, or a dkms.conf path');
  addCommandOptions(command, [
    ...buildOptions,
    'noDepmod',
    'destDir',
    'dryRun',
    'verifyLoad',
    'verifyTimeout',
  ]);
  refuseAllOption(command);
  defineAction<[string | undefined]>(command, io, dispatch, async ({ options, ctx }, arg) => {
    const verify = readVerifySettings(options);
    if (options.dryRun)
      return verify === undefined
        ? dryRunModuleCommand(ctx, io, options, arg, 'install')
        : dryRunVerify(ctx, io, options, arg, 'install');
    const { noDepmod, destDir } = options;
    const outcomes = await onModuleAndKernels(ctx, options, arg, 'install', (locked, request) =>
      installModule(locked, { ...request, noDepmod, destDir, verify }),
    );
    renderBuildVerifies(
      io,
      options,
      outcomes.map((o) => o.verify),
      'results-only',
    );
    renderInstallOutcomes(io, options, outcomes);
    renderSummary(io, options, outcomes.map(installSummaryEntry));
    return planBuildExitCode(outcomes);
  });
}
