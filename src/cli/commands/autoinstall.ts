import type { Command } from 'commander';
import {
  runAutoinstall,
  describeAutoinstallPlan,
  planAutoinstallExitCode,
  readAutoinstallPlan,
  type AutoinstallEntry,
} from '../../commands/autoinstall.ts';
import { kernelPrerm, readKernelPrermPlan } from '../../commands/kernel-hooks.ts';
import { matchKernel, planMatchCommand } from '../../commands/match.ts';
import { withMutation } from '../../commands/mutation.ts';
import { planBuildExitCode } from '../../commands/build.ts';
import { resolveTargets } from '../../commands/targets.ts';
import type { Context } from '../../context.ts';
import { KmodError, exitCodes } from '../../errors.ts';
import type { KernelTarget } from '../../kernel/target.ts';
import { defineAction, type Dispatch } from '../command.ts';
import type { GlobalOptions } from '../global-options.ts';
import type { Io } from '../io.ts';
import { errorRecord, renderError, writeJson } from '../render.ts';
import { installSummaryEntry, renderInstallOutcomes } from './install.ts';
import { renderSummary } from '../progress.ts';
import { renderPlan } from '../render-plan.ts';
import { readSpec } from './module-spec.ts';
import { addCommandOptions, autoinstallOptions, refuseAllOption } from '../global-options.ts';

function renderAutoinstall(io: Io, options: GlobalOptions, entries: readonly AutoinstallEntry[]): void {
  if (options.json) {
    for (const e of entries) {
      writeJson(io, {
        type: 'autoinstall',
        module: e.module,
        version: e.version,
        kernel: e.kernel,
        arch: e.arch,
        result: e.result,
        missing: e.missing,
        error: e.error === undefined ? null : errorRecord(e.error),
      });
    }
    return;
  }
  for (const e of entries) {
    if (e.result === 'failed' && e.error !== undefined) renderError(io, false, e.error);
    if (e.result === 'missing-deps')
      io.err(
        `${e.module}/${e.version} autoinstall failed due to missing dependencies: ${e.missing.join(' ')}\n`,
      );
  }
  const kernels = [...new Set(entries.map((e) => e.kernel))];
  for (const kernel of kernels) {
    const of = (result: AutoinstallEntry['result']): string[] =>
      entries.filter((e) => e.kernel === kernel && e.result === result).map((e) => e.module);
    const line = (label: string, modules: string[]): void => {
      if (modules.length > 0 && !options.quiet)
        io.out(`Autoinstall on ${kernel} ${label} for module(s) ${modules.join(' ')}.\n`);
    };
    line('succeeded', of('installed'));
    line('was skipped', of('skipped'));
    const failed = entries.filter(
      (e) => e.kernel === kernel && (e.result === 'failed' || e.result === 'missing-deps'),
    );
    line(
      'failed',
      failed.map((e) => `${e.module}(${e.error?.exitCode ?? exitCodes.MISSING_DEPENDS})`),
    );
  }
  renderSummary(
    io,
    options,
    entries.map((e) => ({
      module: e.module,
      version: e.version,
      kernel: e.kernel,
      arch: e.arch,
      result:
        e.result === 'failed'
          ? `failed (exit ${e.error?.exitCode ?? '?'})`
          : e.result === 'missing-deps'
            ? `missing ${e.missing.join(' ')}`
            : e.result.replace('-', ' '),
      seconds: e.seconds,
      failed: e.result === 'failed' || e.result === 'missing-deps',
    })),
  );
  if (planAutoinstallExitCode(entries) !== 0)
    io.err(
      'Error! One or more modules failed to install during autoinstall.\nRefer to previous errors for more information.\n',
    );
}

/** The one kernel dkms's kernel_* and match actions take; exit 4 for none or several. */
async function oneTarget(ctx: Context, options: GlobalOptions, action: string): Promise<KernelTarget> {
  if (options.kernels.length !== 1) {
    throw new KmodError('KERNEL_COUNT', `The action ${action} needs exactly one kernel: -k <kernel>.`);
  }
  const [target] = await resolveTargets(ctx, options);
  if (target === undefined)
    throw new KmodError('KERNEL_COUNT', `The action ${action} needs exactly one kernel: -k <kernel>.`);
  return target;
}

/** autoinstall and kernel_postinst: the plan as a dry run, or its installs under the state lock. */
async function runAutoinstallAction(
  ctx: Context,
  io: Io,
  options: GlobalOptions,
  action: string,
  targets: KernelTarget[],
): Promise<number> {
  if (options.dryRun) {
    const plan = await readAutoinstallPlan(ctx, { targets });
    return renderPlan(io, options, {
      command: `${action} -k ${targets.map((t) => t.release).join(' -k ')}`,
      steps: describeAutoinstallPlan(plan),
      ops: [],
      depmod: options.noDepmod ? [] : plan.kernels,
    });
  }
  const entries = await runAutoinstall(ctx, { targets, noDepmod: options.noDepmod });
  renderAutoinstall(io, options, entries);
  return planAutoinstallExitCode(entries);
}

export function registerAutoinstall(program: Command, io: Io, dispatch: Dispatch): void {
  const auto = program
    .command('autoinstall')
    .description(
      'build and install the latest version of every AUTOINSTALL module not yet installed on the kernels given (default: the running kernel)',
    );
  addCommandOptions(auto, [...autoinstallOptions, 'allKernels', 'dryRun']);
  refuseAllOption(auto);
  defineAction<[]>(auto, io, dispatch, async ({ options, ctx }) =>
    runAutoinstallAction(ctx, io, options, 'autoinstall', await resolveTargets(ctx, options)),
  );

  const postinst = program
    .command('kernel_postinst')
    .alias('kernel-postinst')
    .description('after a kernel is installed: autoinstall for it (-k required)');
  addCommandOptions(postinst, [...autoinstallOptions, 'dryRun']);
  defineAction<[]>(postinst, io, dispatch, async ({ options, ctx }) =>
    runAutoinstallAction(ctx, io, options, 'kernel_postinst', [
      await oneTarget(ctx, options, 'kernel_postinst'),
    ]),
  );

  const prerm = program
    .command('kernel_prerm')
    .alias('kernel-prerm')
    .description('before a kernel is removed: unbuild every module built for it (-k required)');
  addCommandOptions(prerm, ['kernel', 'arch', 'dryRun']);
  defineAction<[]>(prerm, io, dispatch, async ({ options, ctx }) => {
    const target = await oneTarget(ctx, options, 'kernel_prerm');
    if (options.dryRun) {
      const parts = await readKernelPrermPlan(ctx, target);
      return renderPlan(io, options, {
        command: `kernel_prerm -k ${target.release}`,
        steps: [],
        ops: parts.flatMap((p) => p.plan.ops),
        depmod: parts.some((p) => p.plan.kernels.length > 0) ? [target.release] : [],
      });
    }
    const outcomes = await withMutation(ctx, (locked) => kernelPrerm(locked, target));
    for (const o of outcomes) {
      if (options.json) writeJson(io, { type: 'kernel_prerm', ...o });
      else if (!options.quiet) io.out(`Unbuilt ${o.module}/${o.version} for ${o.kernel} (${o.arch})\n`);
    }
    return 0;
  });

  const match = program
    .command('match')
    .description('install on -k every module installed on --templatekernel')
    .argument('[module]', 'only this module');
  addCommandOptions(match, [...autoinstallOptions, 'module', 'templateKernel', 'dryRun']);
  defineAction<[string | undefined]>(match, io, dispatch, async ({ options, ctx }, arg) => {
    if (options.templateKernel === undefined) {
      throw new KmodError('MISSING_ARGS', 'Invalid number of parameters passed.', {
        hint: 'Usage: match --templatekernel=<kernel-version> -k <kernel-version> [module]',
      });
    }
    const template = options.templateKernel;
    const target = await oneTarget(ctx, options, 'match');
    const spec = await readSpec(arg, options);
    const module = spec?.kind === 'registered' ? spec.module : undefined;
    const request = { template, target, module, noDepmod: options.noDepmod };
    if (options.dryRun) return renderPlan(io, options, await planMatchCommand(ctx, request));
    const outcomes = await withMutation(ctx, (locked) => matchKernel(locked, request));
    if (outcomes.length === 0 && !options.json && !options.quiet)
      io.out('There is nothing to be done for this match.\n');
    renderInstallOutcomes(io, options, outcomes);
    renderSummary(io, options, outcomes.map(installSummaryEntry));
    return planBuildExitCode(outcomes);
  });
}
