import { describe, expect, it } from 'vitest';
import { archProblem, parseKernelTargets } from '../../../src/kernel/target.ts';
import { kernelReleaseProblem } from '../../../src/kernel/release.ts';

describe('parseKernelTargets', () => {
  it('takes the arch from K/A, then -a, then the release, then the host', () => {
    expect(
      parseKernelTargets(['6.1.0-56-amd64/i686', '6.1.0-56-arm64', '6.8.0-45-generic'], [], 'ppc64le'),
    ).toEqual([
      { release: '6.1.0-56-amd64', arch: 'i686' },
      { release: '6.1.0-56-arm64', arch: 'aarch64' },
      { release: '6.8.0-45-generic', arch: 'ppc64le' },
    ]);
  });

  it('applies one -a to every kernel and several -a one to one', () => {
    expect(parseKernelTargets(['a1.0', 'b1.0'], ['x'], 'h').map((t) => t.arch)).toEqual(['x', 'x']);
    expect(parseKernelTargets(['a1.0', 'b1.0'], ['x', 'y'], 'h').map((t) => t.arch)).toEqual(['x', 'y']);
  });

  it('refuses a mismatched -a count and empty parts', () => {
    expect(() => parseKernelTargets(['a', 'b', 'c'], ['x', 'y'], 'h')).toThrow('2 arches for 3 kernels');
    expect(() => parseKernelTargets(['6.1/'], [], 'h')).toThrow('-k "6.1/": expected a kernel release');
  });

  // Issue 8, defect 2: -a was taken as it came, so `-a ../../../x` built outside the tree and `-a ''`
  // replaced a build; `-k K/..` reached the file system.
  it.each([
    [['6.1.0-56-amd64'], ['../../../x'], '-a "../../../x": invalid arch'],
    [['6.1.0-56-amd64'], ['../../etc'], '-a "../../etc": invalid arch'],
    [['6.1.0-56-amd64'], [''], '-a "": invalid arch: it is empty'],
    [['6.1.0-56-amd64', '6.1.0-56-rt-amd64'], ['x86_64', '..'], '-a "..": invalid arch'],
    [['6.1.0-56-amd64/..'], [], '-k "6.1.0-56-amd64/..": invalid arch ".."'],
    [['6.1.0-56-amd64/a b'], [], 'invalid arch "a b"'],
    [['..'], ['x86_64'], 'invalid kernel release "..": it would be a path step'],
    [['-rf'], ['x86_64'], 'invalid kernel release "-rf": it must not begin with "-"'],
    [[`6.1.0-${'x'.repeat(70)}`], [], 'longer than the 64 bytes'],
    [['6.1.0\u0007'], [], 'control characters'],
  ])('refuses -k %j -a %j', (kernels, arches, message) => {
    expect(() => parseKernelTargets(kernels, arches, 'x86_64')).toThrow(message);
  });

  it('takes every arch uname -m and dpkg print', () => {
    for (const arch of [
      'x86_64',
      'i686',
      'aarch64',
      'armv7l',
      'ppc64le',
      's390x',
      'riscv64',
      'amd64',
      'mips64el',
    ])
      expect(archProblem(arch)).toBeUndefined();
    expect(kernelReleaseProblem('6.1.0-56-rt-amd64')).toBeUndefined();
    expect(kernelReleaseProblem('2.4.18-14host108')).toBeUndefined();
    expect(kernelReleaseProblem('6.5.0-1.fc39.x86_64+debug')).toBeUndefined();
  });
});
