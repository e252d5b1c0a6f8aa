import { planVariableAssignments } from '../conf/eval-script.ts';
import os from 'node:os';
import { KmodError, type ErrorCode } from '../errors.ts';
import { baseEnv, runCommand, type RunResult } from '../exec/run.ts';
import { quoteCommand } from '../exec/quote.ts';
import { appendStepEnd, appendStepStart } from './build-log.ts';
import type { BuildPlan } from './build-plan.ts';
import type { JobServer } from './job-slots.ts';

export const makeTimeoutMs = 6 * 60 * 60 * 1000;
export const scriptTimeoutMs = 60 * 60 * 1000;

export function buildEnv(plan: BuildPlan, jobServer?: JobServer): Record<string, string> {
  return baseEnv({
    ...(jobServer === undefined ? {} : { MAKEFLAGS: jobServer.makeflags }),
    ...(plan.cc === undefined ? {} : { CC: plan.cc, KERNEL_CC: plan.cc }),
    ...(plan.extraSymbols.length === 0 ? {} : { KBUILD_EXTRA_SYMBOLS: plan.extraSymbols.join(' ') }),
  });
}

/**
 * Runs `script` in bash with dkms's variables set and cwd, logging it as one step; with a jobserver, every
 * make it starts joins it.
 */
export async function runLoggedBash(
  plan: BuildPlan,
  description: string,
  shown: string,
  script: string,
  timeoutMs: number,
  jobServer?: JobServer,
): Promise<RunResult> {
  const program = [
    ...planVariableAssignments(plan.vars),
    `cd ${quoteCommand([plan.buildDir])} || exit 15`,
    script,
  ].join('\n');
  return runLoggedStep(
    plan,
    description,
    shown,
    ['bash', '--noprofile', '--norc', '-c', program],
    timeoutMs,
    jobServer,
  );
}

/** Runs argv in the build directory with the build's environment, logging it as one step of make.log. */
async function runLoggedStep(
  plan: BuildPlan,
  description: string,
  shown: string,
  argv: readonly string[],
  timeoutMs: number,
  jobServer?: JobServer,
): Promise<RunResult> {
  const [file = '', ...args] = argv;
  await appendStepStart(plan.logFile, description, shown);
  const result = await runCommand(file, args, {
    cwd: plan.buildDir,
    env: buildEnv(plan, jobServer),
    logFile: plan.logFile,
    timeoutMs,
    // make's MAKEFLAGS names fd 3 for reading tokens and fd 4 for giving them back: one pipe.
    passFds: jobServer === undefined ? undefined : [jobServer.fd, jobServer.fd],
  });
  await appendStepEnd(
    plan.logFile,
    result.timedOut ? 'timeout' : (result.exitCode ?? result.signal ?? '?'),
    result.durationMs,
  );
  return result;
}

/**
 * The step of a build that failed, as data: a front end that speaks another tool's words (the `dkms`
 * command) says each differently. `exitStatus` is the shell's: the exit code, or 128 + signal number.
 */
export type FailedBuildStep =
  | { kind: 'patch-missing'; patch: string }
  | { kind: 'patch'; patch: string; exitStatus: number }
  | { kind: 'script'; script: 'PRE_BUILD' | 'POST_BUILD'; exitStatus: number }
  | { kind: 'make'; exitStatus: number }
  | { kind: 'module-missing'; index: number }
  | { kind: 'finish' };

/** A build's failure: a KmodError that also says which step failed. */
export class BuildStepError extends KmodError {
  readonly step: FailedBuildStep;

  constructor(
    code: ErrorCode,
    message: string,
    step: FailedBuildStep,
    options: { hint?: string | undefined } = {},
  ) {
    super(code, message, options);
    this.step = step;
  }
}

/** The exit status bash would report for a command's end: its code, 128 + the signal's number, or 1. */
export function shellExitStatus(result: RunResult): number {
  if (result.exitCode !== undefined) return result.exitCode;
  const signal =
    result.signal === undefined ? undefined : os.constants.signals[result.signal as NodeJS.Signals];
  return signal === undefined ? 1 : 128 + signal;
}

export function failure(
  plan: BuildPlan,
  code: 'BUILD_FAILED' | 'PATCH_FAILED' | 'PATCH_INVALID' | 'BUILT_MODULE_MISSING' | 'SIGN_FAILED',
  message: string,
  step: FailedBuildStep = { kind: 'finish' },
): BuildStepError {
  return new BuildStepError(
    code,
    `${plan.module}/${plan.version} for ${plan.kernel.release} (${plan.arch}): ${message}`,
    step,
    {
      hint: `the whole log is ${plan.logFile}`,
    },
  );
}

/** Runs a program (argv, no shell) as one logged build step. */
export function runLoggedCommand(
  plan: BuildPlan,
  description: string,
  argv: readonly string[],
  timeoutMs = scriptTimeoutMs,
): Promise<RunResult> {
  return runLoggedStep(plan, description, quoteCommand(argv), argv, timeoutMs);
}
