import type { Command } from 'commander';
import { buildModule, planBuildExitCode, type BuildOutcome } from '../../commands/build.ts';
import { defineAction, type Dispatch } from '../command.ts';
import type { Io } from '../io.ts';
import { errorRecord, formatErrorAsWarning, renderError, writeJson } from '../render.ts';
import type { GlobalOptions } from '../global-options.ts';
import { onModuleAndKernels, dryRunModuleCommand } from './module-command.ts';
import { addCommandOptions, buildOptions, refuseAllOption } from '../global-options.ts';

export function outcomeRecord(o: BuildOutcome) {
  return {
    module: o.module,
    version: o.version,
    kernel: o.kernel,
    arch: o.arch,
    status: o.status,
    seconds: o.seconds ?? null,
    error: o.error === undefined ? null : errorRecord(o.error),
  };
}

/** Text for outcomes the build events did not already report. */
export function renderOutcomes(io: Io, options: GlobalOptions, outcomes: readonly BuildOutcome[]): void {
  for (const o of outcomes) {
    if (options.json) {
      writeJson(io, { type: 'build', ...outcomeRecord(o) });
      continue;
    }
    if (o.status === 'already-built' && !options.quiet) {
      io.out(
        `Module ${o.module}/${o.version} already built for kernel ${o.kernel} (${o.arch}), skip. You may override by specifying --force.\n`,
      );
    } else if (o.status === 'excluded' && o.error !== undefined) {
      io.err(formatErrorAsWarning(io, o.error));
    } else if (o.status === 'failed' && o.error !== undefined) {
      renderError(io, false, o.error);
    }
  }
}

export function registerBuild(program: Command, io: Io, dispatch: Dispatch): void {
  const command = program
    .command('build')
    .description(
      'build a module for the kernels given (-k, --all-kernels; default the running kernel), in parallel',
    )
    .argument('[module]', 'module/version, a source directory, or a dkms.conf path');
  addCommandOptions(command, [...buildOptions, 'dryRun']);
  refuseAllOption(command);
  defineAction<[string | undefined]>(command, io, dispatch, async ({ options, ctx }, arg) => {
    if (options.dryRun) return dryRunModuleCommand(ctx, io, options, arg, 'build');
    const outcomes = await onModuleAndKernels(ctx, options, arg, 'build', buildModule);
    renderOutcomes(io, options, outcomes);
    return planBuildExitCode(outcomes);
  });
}
