import { describe, expect, it } from 'vitest';
import type { BuildPlan } from '../../../src/build/build-plan.ts';
import {
  formatSize,
  planCacheKey,
  planCacheKeyInputs,
  planCompilerCommand,
  planEviction,
  planKeyMakeCommand,
  type CacheKeyFacts,
  type SourceEntry,
} from '../../../src/build/cache-plan.ts';
import { kconfig, makeBuildPlan, signing } from '../../support/build-plan.ts';

const plan = makeBuildPlan;

const makefile: SourceEntry = {
  path: Buffer.from('Makefile').toString('hex'),
  kind: 'file',
  mode: 0o644,
  content: 'a'.repeat(64),
};
const source: SourceEntry = {
  path: Buffer.from('m.c').toString('hex'),
  kind: 'file',
  mode: 0o644,
  content: 'b'.repeat(64),
};
const gcc = { path: '/usr/bin/x86_64-linux-gnu-gcc-12', size: 1000, mtimeMs: 1 };

const facts: CacheKeyFacts = {
  source: [makefile, source],
  kernelConfig: 'c'.repeat(64),
  kernelSymvers: 'd'.repeat(64),
  compiler: { command: 'gcc-12', binary: gcc },
  extraSymbols: [],
  certificate: 'e'.repeat(64),
};

const key = (p: BuildPlan, f: CacheKeyFacts = facts): string => planCacheKey(planCacheKeyInputs(p, f));

describe('planCacheKey', () => {
  it('is a sha256, the same for the same inputs', () => {
    expect(key(plan())).toMatch(/^[0-9a-f]{64}$/);
    expect(key(plan())).toBe(key(plan()));
  });

  it('does not depend on the job count, nor on the kernel the machine runs', () => {
    expect(key(plan({ jobs: 1 }))).toBe(key(plan({ jobs: 16 })));
    expect(key(plan({ vars: { parallel_jobs: '1', current_kernel: '6.1.0-99-amd64' } }))).toBe(key(plan()));
  });

  it.each<[string, CacheKeyFacts]>([
    ['a source file', { ...facts, source: [makefile, { ...source, content: 'f'.repeat(64) }] }],
    ['a file mode', { ...facts, source: [makefile, { ...source, mode: 0o755 }] }],
    [
      'a new file',
      { ...facts, source: [...facts.source, { path: '78', kind: 'file', mode: 0o644, content: '' }] },
    ],
    ["the kernel's .config", { ...facts, kernelConfig: '0'.repeat(64) }],
    ["the headers' Module.symvers", { ...facts, kernelSymvers: undefined }],
    ['the compiler binary', { ...facts, compiler: { command: 'gcc-12', binary: { ...gcc, mtimeMs: 2 } } }],
    ['the signing certificate', { ...facts, certificate: '1'.repeat(64) }],
  ])('changes with %s', (_, changed) => {
    expect(key(plan(), changed)).not.toBe(key(plan()));
  });

  it('changes with the compiler version, the make command, signing and where the module is compiled', () => {
    const base = key(plan());
    expect(key(plan({ config: kconfig().replace('12.2.0-14+deb12u1', '12.2.0-14') }))).not.toBe(base);
    expect(key(plan({ config: kconfig('CONFIG_MODULE_COMPRESS_XZ=y\n') }))).not.toBe(base);
    expect(key(plan({ signing: { kind: 'skip', reason: 'no' } }))).not.toBe(base);
    expect(key(plan({ signing: { ...signing, hash: 'sha512' } }))).not.toBe(base);
    expect(key(plan({ vars: { dkms_tree: '/elsewhere' } }))).not.toBe(base);
    const moved = plan();
    expect(key({ ...moved, buildDir: '/other/build' })).not.toBe(base);
    expect(key({ ...moved, makeCommand: `${moved.makeCommand} V=1` })).not.toBe(base);
  });
});

describe('planKeyMakeCommand', () => {
  it('drops the job count of a leading make only', () => {
    expect(planKeyMakeCommand('make -j4 KERNELRELEASE=K -C /k')).toBe('make KERNELRELEASE=K -C /k');
    expect(planKeyMakeCommand('make -j KERNELRELEASE=K')).toBe('make KERNELRELEASE=K');
    expect(planKeyMakeCommand('make KERNELRELEASE=K')).toBe('make KERNELRELEASE=K');
    expect(planKeyMakeCommand("'make' -j4 all")).toBe("'make' -j4 all");
  });
});

describe('planCompilerCommand', () => {
  it("is CC when the plan exports one, else kbuild's default for the kernel", () => {
    expect(planCompilerCommand(plan())).toBe('gcc-12');
    const clang = plan({ config: 'CONFIG_CC_IS_CLANG=y\nCONFIG_CC_VERSION_TEXT="clang 16"\n' });
    expect(planCompilerCommand(clang)).toBe('clang');
    expect(planCompilerCommand({ ...plan(), cc: undefined })).toBe('gcc');
  });
});

describe('planEviction', () => {
  const entries = [
    { key: 'c', size: 30, lastUsed: 300 },
    { key: 'a', size: 10, lastUsed: 100 },
    { key: 'b', size: 20, lastUsed: 200 },
    { key: 'a2', size: 5, lastUsed: 100 },
  ];

  it('evicts nothing within the limit', () => {
    expect(planEviction(entries, 65)).toEqual([]);
    expect(planEviction([], 0)).toEqual([]);
  });

  it('evicts the least recently used first, the key breaking ties, until the rest fit', () => {
    expect(planEviction(entries, 64)).toEqual(['a']);
    expect(planEviction(entries, 50)).toEqual(['a', 'a2']);
    expect(planEviction(entries, 30)).toEqual(['a', 'a2', 'b']);
  });

  it('evicts an entry larger than the limit, the newest included', () => {
    expect(planEviction(entries, 0)).toEqual(['a', 'a2', 'b', 'c']);
    expect(planEviction([{ key: 'x', size: 11, lastUsed: 1 }], 10)).toEqual(['x']);
  });
});

describe('formatSize', () => {
  it('says bytes in binary units', () => {
    expect(formatSize(0)).toBe('0 B');
    expect(formatSize(1023)).toBe('1023 B');
    expect(formatSize(4096)).toBe('4.0 KiB');
    expect(formatSize(1.5 * 2 ** 20)).toBe('1.5 MiB');
    expect(formatSize(2 ** 30)).toBe('1.0 GiB');
  });
});
