import { describe, expect, it } from 'vitest';
import { parseKernelConfig, planConfigFacts, planConfigMachine } from '../../../src/kernel/kconfig.ts';

const debian = `#
# Automatically generated file; DO NOT EDIT.
CONFIG_CC_VERSION_TEXT="gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0"
CONFIG_CC_IS_GCC=y
CONFIG_MODULE_SIG=y
# CONFIG_MODULE_SIG_FORCE is not set
CONFIG_MODULE_SIG_ALL=y
CONFIG_MODULE_SIG_HASH="sha256"
CONFIG_MODULE_COMPRESS_NONE=y
# CONFIG_PREEMPT_RT is not set
`;

describe('kernel .config facts', () => {
  it('reads compression, signing, compiler and RT from a Debian config', () => {
    const facts = planConfigFacts('/x/.config', parseKernelConfig(debian));
    expect(facts).toMatchObject({
      compression: 'none',
      signing: { enabled: true, hash: 'sha256', force: false, all: true },
      compiler: { clang: false, lld: false, versionText: 'gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0' },
      preemptRt: false,
    });
  });

  it.each([
    ['CONFIG_MODULE_COMPRESS_GZIP=y', 'gzip'],
    ['CONFIG_MODULE_COMPRESS_XZ=y', 'xz'],
    ['CONFIG_MODULE_COMPRESS_ZSTD=y', 'zstd'],
  ] as const)('%s compresses modules with %s', (line, compression) => {
    expect(planConfigFacts('c', parseKernelConfig(line)).compression).toBe(compression);
  });

  it('reads a clang/lld RT kernel without signing', () => {
    const facts = planConfigFacts(
      'c',
      parseKernelConfig('CONFIG_CC_IS_CLANG=y\nCONFIG_LD_IS_LLD=y\nCONFIG_PREEMPT_RT=y\n'),
    );
    expect(facts.compiler).toEqual({ clang: true, lld: true, versionText: undefined });
    expect(facts.preemptRt).toBe(true);
    expect(facts.signing).toEqual({ enabled: false, hash: undefined, force: false, all: false });
  });
});

describe('the machine a .config builds for', () => {
  it.each([
    ['CONFIG_64BIT=y\nCONFIG_X86_64=y\n', 'x86_64'],
    ['CONFIG_X86_32=y\n', 'i686'],
    ['CONFIG_ARM64=y\nCONFIG_64BIT=y\n', 'aarch64'],
    ['CONFIG_PPC64=y\nCONFIG_CPU_LITTLE_ENDIAN=y\n', 'ppc64le'],
    ['CONFIG_PPC64=y\nCONFIG_CPU_BIG_ENDIAN=y\n', 'ppc64'],
    ['CONFIG_S390=y\n', 's390x'],
    ['CONFIG_RISCV=y\nCONFIG_64BIT=y\n', 'riscv64'],
    ['CONFIG_ARM=y\n', undefined],
    ['CONFIG_MODULES=y\n# CONFIG_X86_64 is not set\n', undefined],
  ])('%j is %s', (text, machine) => {
    expect(planConfigMachine(parseKernelConfig(text))).toBe(machine);
  });
});
