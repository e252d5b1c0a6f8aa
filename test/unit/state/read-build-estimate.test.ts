import { mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolvePaths, type Paths } from '../../../src/paths.ts';
import { readBuildEstimate } from '../../../src/state/read-build-estimate.ts';

describe('readBuildEstimate', () => {
  let dir: string;
  let paths: Paths;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kmf-estimate-'));
    paths = resolvePaths({ dkmsTree: dir });
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A build record as run-build writes it, dated `minutesAgo`. */
  async function record(
    version: string,
    kernel: string,
    seconds: number | string,
    minutesAgo: number,
  ): Promise<void> {
    const built = path.join(dir, 'm', version, kernel, 'x86_64');
    await mkdir(built, { recursive: true });
    const file = path.join(built, 'kmodforge.json');
    await writeFile(file, JSON.stringify({ kmodforge: '1', seconds }));
    const when = new Date(Date.now() - minutesAgo * 60_000);
    await utimes(file, when, when);
  }

  const target = { release: '6.1.0-28-amd64', arch: 'x86_64' };

  it('is null for a module never built', async () => {
    expect(await readBuildEstimate(paths, 'm', target)).toBeNull();
    await mkdir(path.join(dir, 'm', '1.0', 'source'), { recursive: true });
    expect(await readBuildEstimate(paths, 'm', target)).toBeNull();
  });

  it('takes the most recent build of the module for the same kernel and arch', async () => {
    await record('1.0', '6.1.0-28-amd64', 10, 30);
    await record('2.0', '6.1.0-28-rt-amd64', 20, 1);
    expect(await readBuildEstimate(paths, 'm', target)).toBe(10);
    await record('2.0', '6.1.0-28-amd64', 12, 2);
    expect(await readBuildEstimate(paths, 'm', target)).toBe(12);
  });

  it('else the most recent build of any version for any kernel', async () => {
    await record('1.0', '6.1.0-27-amd64', 10, 30);
    await record('2.0', '6.1.0-28-rt-amd64', 20, 1);
    // Neither the kernel link nor the original_module archive is a version.
    await symlink('2.0/6.1.0-28-rt-amd64/x86_64', path.join(dir, 'm', 'kernel-6.1.0-28-rt-amd64-x86_64'));
    await mkdir(path.join(dir, 'm', 'original_module', '6.1.0-28-amd64', 'x86_64'), { recursive: true });
    expect(await readBuildEstimate(paths, 'm', target)).toBe(20);
  });

  it('passes over a record it cannot read', async () => {
    await record('1.0', '6.1.0-28-amd64', 'soon', 1);
    await record('1.0', '6.1.0-27-amd64', 7, 5);
    expect(await readBuildEstimate(paths, 'm', target)).toBe(7);
  });
});
