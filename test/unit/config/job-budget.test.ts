import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createContext } from '../../../src/context.ts';

describe('the job budget', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'kmf-budget-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const budget = async (options: { jobs?: number; makeflagsJobs?: number }): Promise<number> =>
    (await createContext({ root, ...options })).jobs;

  it('is -j first, then framework.conf parallel_jobs, then MAKEFLAGS, then the CPUs', async () => {
    expect(await budget({})).toBe(os.availableParallelism());
    expect(await budget({ makeflagsJobs: 7 })).toBe(7);
    await mkdir(path.join(root, 'etc', 'dkms'), { recursive: true });
    await writeFile(path.join(root, 'etc', 'dkms', 'framework.conf'), 'parallel_jobs=5\n');
    expect(await budget({ makeflagsJobs: 7 })).toBe(5);
    expect(await budget({ jobs: 3, makeflagsJobs: 7 })).toBe(3);
  });
});
