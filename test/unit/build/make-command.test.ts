import { describe, expect, it } from 'vitest';
import { planErrorExcerpt, formatElapsed } from '../../../src/build/build-log.ts';
import { planKernelCc, planMakeCommand } from '../../../src/build/make-command.ts';
import { parseKernelConfig, planConfigFacts } from '../../../src/kernel/kconfig.ts';

const gcc = planConfigFacts(
  'c',
  parseKernelConfig('CONFIG_CC_VERSION_TEXT="gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0"\n'),
);
const clang = planConfigFacts(
  'c',
  parseKernelConfig('CONFIG_CC_IS_CLANG=y\nCONFIG_CC_VERSION_TEXT="Debian clang version 16.0.6"\n'),
);

describe('planMakeCommand', () => {
  it('adds KERNELRELEASE to a leading make, as dkms does, and -j only where no jobserver limits it', () => {
    expect(
      planMakeCommand('make -C /k M=/b', {
        jobs: 3,
        jobserver: true,
        kernel: 'K',
        config: gcc,
        defaultCc: 'gcc-12',
      }),
    ).toBe('make KERNELRELEASE=K -C /k M=/b CC=gcc-12');
    expect(
      planMakeCommand('make -C /k M=/b', {
        jobs: 3,
        jobserver: false,
        kernel: 'K',
        config: gcc,
        defaultCc: 'gcc-12',
      }),
    ).toBe('make -j3 KERNELRELEASE=K -C /k M=/b CC=gcc-12');
    expect(
      planMakeCommand("'make' all", {
        jobs: 3,
        jobserver: true,
        kernel: 'K',
        config: gcc,
        defaultCc: undefined,
      }),
    ).toBe("'make' all");
    expect(
      planMakeCommand('./build.sh', {
        jobs: 3,
        jobserver: true,
        kernel: 'K',
        config: undefined,
        defaultCc: undefined,
      }),
    ).toBe('./build.sh');
    expect(
      planMakeCommand('make', {
        jobs: 0,
        jobserver: false,
        kernel: 'K',
        config: undefined,
        defaultCc: undefined,
      }),
    ).toBe('make -j KERNELRELEASE=K');
  });

  it('builds with LLVM=1 for a clang kernel', () => {
    expect(
      planMakeCommand('make -C /k M=/b', {
        jobs: 1,
        jobserver: true,
        kernel: 'K',
        config: clang,
        defaultCc: undefined,
      }),
    ).toBe('make KERNELRELEASE=K -C /k M=/b LLVM=1');
  });

  it('takes CC from CONFIG_CC_VERSION_TEXT', () => {
    expect(planKernelCc(gcc)).toBe('gcc-12');
    expect(planKernelCc(clang)).toBeUndefined();
    expect(planKernelCc(undefined)).toBeUndefined();
  });
});

describe('make.log helpers', () => {
  it('picks the first compiler error lines with context', () => {
    const output = [
      'make: Entering directory',
      '  CC [M]  /b/bad.o',
      '/b/bad.c: In function init:',
      '/b/bad.c:3:5: error: unknown type name foo',
      '    3 | foo x;',
      'make[1]: *** [scripts/Makefile.build:250: /b/bad.o] Error 1',
      'make: Leaving directory',
    ].join('\n');
    expect(planErrorExcerpt(output)).toBe(
      [
        '/b/bad.c: In function init:',
        '/b/bad.c:3:5: error: unknown type name foo',
        '    3 | foo x;',
        'make[1]: *** [scripts/Makefile.build:250: /b/bad.o] Error 1',
      ].join('\n'),
    );
  });

  it('formats elapsed time as dkms does', () => {
    expect(formatElapsed(3_723_400)).toBe('01:02:03');
  });
});
