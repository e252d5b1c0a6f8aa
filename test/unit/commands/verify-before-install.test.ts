import { describe, expect, it } from 'vitest';
import { planBuildExitCode } from '../../../src/commands/build.ts';
import type { CommandPlan } from '../../../src/commands/command-plan.ts';
import { planVerifySteps } from '../../../src/commands/install.ts';
import { describeLoadFailure, type VerifyResult } from '../../../src/commands/verify.ts';
import { KmodError, exitCodes } from '../../../src/errors.ts';

const k1 = { release: '6.1.0-1-amd64', arch: 'x86_64' };
const k2 = { release: '6.1.0-1-rt-amd64', arch: 'x86_64' };
const where = (k: typeof k1): string => `m/1.0 for ${k.release} (${k.arch})`;

function plan(command: string, steps: string[]): CommandPlan {
  return { command, steps, ops: [], depmod: [] };
}

describe('planVerifySteps', () => {
  it("puts each kernel's verify after its build and before its install", () => {
    const result = planVerifySteps(
      plan('install m/1.0', [
        `build ${where(k1)} in /b1: make`,
        `then install ${where(k1)}: /lib/modules/x/m.ko`,
        `build ${where(k2)} in /b2: make`,
        `then install ${where(k2)}: /lib/modules/y/m.ko`,
      ]),
      [k1, k2],
      true,
    );
    expect(result.steps).toEqual([
      `build ${where(k1)} in /b1: make`,
      `verify ${where(k1)}: boot ${k1.release} under QEMU and load the modules; install them only if they all load`,
      `then install ${where(k1)}: /lib/modules/x/m.ko`,
      `build ${where(k2)} in /b2: make`,
      `verify ${where(k2)}: boot ${k2.release} under QEMU and load the modules; install them only if they all load`,
      `then install ${where(k2)}: /lib/modules/y/m.ko`,
    ]);
  });

  it('verifies no kernel that is excluded, failing, or (for install) already installed', () => {
    const steps = [`skip ${where(k1)}: BUILD_EXCLUSIVE`, `${where(k2)} is already installed`];
    expect(planVerifySteps(plan('install m/1.0', steps), [k1, k2], true).steps).toEqual(steps);
    expect(
      planVerifySteps(plan('build m/1.0', [`fail ${where(k1)}: no headers`]), [k1], false).steps,
    ).toEqual([`fail ${where(k1)}: no headers`]);
  });

  it('verifies a build that is there before its PRE_INSTALL, or at the end', () => {
    expect(
      planVerifySteps(plan('install m/1.0', [`run PRE_INSTALL pre.sh for ${where(k1)}`]), [k1, k2], true)
        .steps,
    ).toEqual([
      `verify ${where(k1)}: boot ${k1.release} under QEMU and load the modules; install them only if they all load`,
      `run PRE_INSTALL pre.sh for ${where(k1)}`,
      `verify ${where(k2)}: boot ${k2.release} under QEMU and load the modules; install them only if they all load`,
    ]);
  });
});

function result(modules: VerifyResult['modules']): VerifyResult {
  return {
    module: 'm',
    version: '1.0',
    kernel: k1.release,
    arch: k1.arch,
    ok: false,
    modules,
    end: 'powered-off',
    endDetail: null,
    taint: 0,
    notes: [],
    unresolved: [],
    boot: 'pvh',
    trusted: null,
    seconds: 3,
  };
}

describe('describeLoadFailure', () => {
  it("names each module that did not load, in the kernel's words", () => {
    const error = describeLoadFailure(
      result([
        {
          name: 'dep',
          origin: 'dependency',
          status: 'loaded',
          reason: null,
          taint: '',
          file: 'd.ko',
          log: [],
        },
        {
          name: 'm',
          origin: 'built',
          status: 'failed',
          reason: 'init returning -ENODEV',
          taint: null,
          file: 'm.ko',
          log: [],
        },
      ]),
      'not installed',
    );
    expect(error.code).toBe('LOAD_FAILED');
    expect(error.exitCode).toBe(exitCodes.LOAD_FAILED);
    expect(error.message).toBe(`m/1.0 does not load in ${k1.release} (x86_64): m: init returning -ENODEV`);
    expect(error.hint).toBe('not installed');
  });
});

describe('planBuildExitCode', () => {
  const loadFailed = new KmodError('LOAD_FAILED', 'does not load');
  it("is a failed verify's code when every build is there", () => {
    expect(
      planBuildExitCode([
        { status: 'built', error: undefined, verify: { error: undefined } },
        { status: 'already-built', error: undefined, verify: { error: loadFailed } },
      ]),
    ).toBe(exitCodes.LOAD_FAILED);
  });
  it("is a failed build's before a failed verify's", () => {
    expect(
      planBuildExitCode([
        { status: 'built', error: undefined, verify: { error: loadFailed } },
        { status: 'failed', error: new KmodError('BUILD_FAILED', 'make failed') },
      ]),
    ).toBe(exitCodes.BUILD_FAILED);
  });
});
