import { describe, expect, it } from 'vitest';
import { planModprobeKernels } from '../../../src/install/modprobe.ts';

describe('planModprobeKernels', () => {
  it('loads modules only for the running kernel, when it is among those installed', () => {
    expect(planModprobeKernels(['6.1.0-1-amd64', '6.1.0-2-amd64'], '6.1.0-2-amd64', '/')).toEqual([
      '6.1.0-2-amd64',
    ]);
    expect(planModprobeKernels(['6.1.0-1-amd64'], '6.1.0-2-amd64', '/')).toEqual([]);
    expect(planModprobeKernels([], '6.1.0-2-amd64', '/')).toEqual([]);
  });

  it('loads nothing under another root, whose /sys is not its own', () => {
    expect(planModprobeKernels(['6.1.0-2-amd64'], '6.1.0-2-amd64', '/tmp/root')).toEqual([]);
  });
});
