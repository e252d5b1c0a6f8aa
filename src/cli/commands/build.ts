import type { Command } from 'commander';
import { buildModule, planBuildExitCode, type BuildOutcome } from '../../commands/build.ts';
import { planVerifySteps } from '../../commands/install.ts';
import { readModuleCommandPlan } from '../../commands/read-module-command.ts';
import { resolveTargets } from '../../commands/targets.ts';
import type { VerifySettings } from '../../commands/verify.ts';
import type { Context } from '../../context.ts';
import { KmodError } from '../../errors.ts';
import { defineAction, type Dispatch } from '../command.ts';
import type { Io } from '../io.ts';
import { errorRecord, formatErrorAsWarning, renderError, writeJson } from '../render.ts';
import { renderPlan } from '../render-plan.ts';
import type { GlobalOptions } from '../global-options.ts';
import { onModuleAndKernels, dryRunModuleCommand } from './module-command.ts';
import { readSpec } from './module-spec.ts';
import { renderBuildVerifies } from './verify.ts';
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

/** How a build --verify ended, after the build's result: loads, or does not. */
export function describeVerify(verify: BuildOutcome['verify']): string {
  if (verify === undefined) return '';
  if (verify.error === undefined) return ', loads';
  return verify.result === undefined ? ', not verified' : ', does not load';
}

export function buildSummaryEntry(o: BuildOutcome): SummaryEntry {
  const { module, version, kernel, arch, seconds } = o;
  return {
    module,
    version,
    kernel,
    arch,
    result: `${describeBuildResult(o)}${describeVerify(o.verify)}`,
    seconds,
    failed: o.status === 'failed' || o.verify?.error !== undefined,
  };
}

/** The --verify settings of build and install, or undefined without --verify. */
export function readVerifySettings(options: GlobalOptions): VerifySettings | undefined {
  if (!options.verify) {
    if (options.verifyTimeout !== undefined)
      throw new KmodError('USAGE', '--verify-timeout is the time limit of --verify: give --verify too');
    return undefined;
  }
  return { timeoutSeconds: options.verifyTimeout };
}

/** A dry run of build --verify or install --verify: the plan, with a verify step for each kernel. */
export async function dryRunVerify(
  ctx: Context,
  io: Io,
  options: GlobalOptions,
  arg: string | undefined,
  action: 'build' | 'install',
): Promise<number> {
  if (options.destDir !== undefined)
    throw new KmodError('USAGE', '--dry-run and --destdir: --destdir already leaves the system as it is');
  const targets = await resolveTargets(ctx, options);
  const plan = await readModuleCommandPlan(ctx, {
    action,
    spec: await readSpec(arg, options),
    targets,
    directives: options.directives,
    force: options.force,
    noDepmod: options.noDepmod,
  });
  return renderPlan(io, options, planVerifySteps(plan, targets, action === 'install'));
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
  addCommandOptions(command, [...buildOptions, 'dryRun', 'verifyLoad', 'verifyTimeout']);
  refuseAllOption(command);
  defineAction<[string | undefined]>(command, io, dispatch, async ({ options, ctx }, arg) => {
    const verify = readVerifySettings(options);
    if (options.dryRun)
      return verify === undefined
        ? dryRunModuleCommand(ctx, io, options, arg, 'build')
        : dryRunVerify(ctx, io, options, arg, 'build');
    const outcomes = await onModuleAndKernels(ctx, options, arg, 'build', (locked, request) =>
      buildModule(locked, { ...request, verify }),
    );
    renderOutcomes(io, options, outcomes);
    renderBuildVerifies(
      io,
      options,
      outcomes.map((o) => o.verify),
      'with-errors',
    );
    renderSummary(io, options, outcomes.map(buildSummaryEntry));
    return planBuildExitCode(outcomes);
  });
}
