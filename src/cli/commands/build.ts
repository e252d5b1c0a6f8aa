import type { Command } from 'commander';
import { buildModule, planBuildExitCode, type BuildOutcome } from '../../commands/build.ts';
import { defineAction, type Dispatch } from '../command.ts';
import type { Io } from '../io.ts';
import { errorRecord, formatErrorAsWarning, renderError, writeJson } from '../render.ts';
import type { GlobalOptions } from '../global-options.ts';
import { onModuleAndKernels, dryRunModuleCommand } from './module-command.ts';
import { renderSummary } from '../progress.ts';
import type { SummaryEntry } from '../progress-model.ts';
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

/** A build's result in the summary table. */
export function describeBuildResult(o: BuildOutcome): string {
  switch (o.status) {
    case 'built':
      return o.result?.cache?.restored === true ? 'restored from the build cache' : 'built';
    case 'already-built':
      return 'already built';
    case 'excluded':
      return 'skipped (BUILD_EXCLUSIVE)';
    case 'failed':
      return `failed (exit ${o.error?.exitCode ?? '?'})`;
  }
}

export function buildSummaryEntry(o: BuildOutcome): SummaryEntry {
  const { module, version, kernel, arch, seconds } = o;
  return {
    module,
    version,
    kernel,
    arch,
    result: describeBuildResult(o),
    seconds,
    failed: o.status === 'failed',
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
    renderSummary(io, options, outcomes.map(buildSummaryEntry));
    return planBuildExitCode(outcomes);
  });
}
