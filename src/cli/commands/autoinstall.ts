import type { Command } from 'commander';
import {
  runAutoinstall,
  describeAutoinstallPlan,
  planAutoinstallExitCode,
  readAutoinstallPlan,
  type AutoinstallEntry,
} from '../../commands/autoinstall.ts';
import { resolveTargets } from '../../commands/targets.ts';
import type { Context } from '../../context.ts';
import { exitCodes } from '../../errors.ts';
import type { KernelTarget } from '../../kernel/target.ts';
import { defineAction, type Dispatch } from '../command.ts';
import type { GlobalOptions } from '../global-options.ts';
import type { Io } from '../io.ts';
import { errorRecord, renderError, writeJson } from '../render.ts';
import { renderSummary } from '../progress.ts';
import { renderPlan } from '../render-plan.ts';
import { oneTarget } from './one-target.ts';
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
}
