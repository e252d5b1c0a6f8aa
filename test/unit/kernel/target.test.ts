import { describe, expect, it } from 'vitest';
import { parseKernelTargets } from '../../../src/kernel/target.ts';

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
});
