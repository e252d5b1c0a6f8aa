import type { Command } from 'commander';
import { planBuildExitCode } from '../../commands/build.ts';
import { matchKernel, planMatchCommand } from '../../commands/match.ts';
import { withMutation } from '../../commands/mutation.ts';
import { KmodError } from '../../errors.ts';
import { defineAction, type Dispatch } from '../command.ts';
import { addCommandOptions, autoinstallOptions } from '../global-options.ts';
import type { Io } from '../io.ts';
import { renderSummary } from '../progress.ts';
import { renderPlan } from '../render-plan.ts';
import { installSummaryEntry, renderInstallOutcomes } from './install.ts';
import { readSpec } from './module-spec.ts';
import { oneTarget } from './one-target.ts';

export function registerMatch(program: Command, io: Io, dispatch: Dispatch): void {
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
