import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  arch,
  copyFixture,
  fixtureDir,
  kernelOfFlavor,
  makeTempDir,
  makeTestRoot,
  modinfo,
  sha256File,
  snapshotTree,
  statusLines,
  type TestRoot,
} from '../../support/test-root.ts';

const M = 'kmf-patched';
const KO = 'kmf_patched';
const isRt = (kernel: string): boolean => kernel.includes('-rt-');

describe('PATCH and PATCH_MATCH', () => {
  let t: TestRoot;
  let kernel: string;
  let tmp: string;
  const trees = async (): Promise<string[][]> =>
    Promise.all([t.dkmsTree, t.sourceTree, t.installTree].map((d) => snapshotTree(d)));

  beforeAll(async () => {
    t = await makeTestRoot({ prefix: 'kmf-patch-' });
    tmp = await makeTempDir('kmf-patch-src-');
    kernel = kernelOfFlavor(t.kernels, 'amd64');
    expect((await t.cli('add', fixtureDir(M))).code).toBe(0);
    const { code, stderr } = await t.cli('build', `${M}/1.0`, '--all-kernels');
    if (code !== 0) throw new Error(`build --all-kernels failed (${code}): ${stderr}`);
  });
  afterAll(async () => {
    await t.cleanup();
    await rm(tmp, { recursive: true, force: true });
  });

  it('applies PATCH[0] for every kernel and PATCH[1] (PATCH_MATCH "-rt-") only for the rt kernel', async () => {
    expect(t.kernels.filter(isRt)).toHaveLength(1);
    for (const k of t.kernels) {
      const ko = t.builtKo(M, '1.0', k, KO);
      expect([k, await modinfo('kmf_patch0', ko)]).toEqual([k, 'applied']);
      expect([k, await modinfo('kmf_patch1', ko)]).toEqual([k, isRt(k) ? 'applied' : 'no']);
    }
  });

  it('records each patch it applied in the kept make.log', async () => {
    for (const k of t.kernels) {
      const log = await readFile(path.join(t.dkmsTree, M, '1.0', k, arch, 'log', 'make.log'), 'utf8');
      expect(log).toContain('# applying patch 0001-always.patch');
      expect([k, log.includes('# applying patch 0002-rt-only.patch')]).toEqual([k, isRt(k)]);
    }
  });

  it('refuses a PATCH that leaves patches/ (exit 5), changing nothing', async () => {
    const source = await copyFixture(M, path.join(tmp, `${M}-1.1`), {
      'dkms.conf': (s) =>
        `${s.replace('PACKAGE_VERSION="1.0"', 'PACKAGE_VERSION="1.1"')}PATCH[2]="../x.patch"\n`,
    });
    await writeFile(path.join(source, 'x.patch'), '');
    expect((await t.cli('add', source)).code).toBe(0);
    const before = await trees();
    const { code, stderr } = await t.cli('build', `${M}/1.1`, '-k', kernel);
    expect(code).toBe(5);
    expect(stderr).toContain(
      'PATCH "../x.patch" must name a file inside the patches/ directory, without ".." or a leading "/"',
    );
    expect(await trees()).toEqual(before);
    expect(await statusLines(t, M, '-k', kernel)).toEqual([
      `${M}/1.0, ${kernel}, ${arch}: built`,
      `${M}/1.1: added`,
    ]);
  });

  it('refuses an absolute PATCH path (exit 5), changing nothing', async () => {
    const before = await trees();
    const { code, stderr } = await t.cli(
      'build',
      `${M}/1.0`,
      '-k',
      kernel,
      '--force',
      '--directive',
      'PATCH[2]=/etc/hostname',
    );
    expect(code).toBe(5);
    expect(stderr).toContain('PATCH "/etc/hostname" must name a file inside the patches/ directory');
    expect(await trees()).toEqual(before);
  });

  it('fails on a missing patch (exit 5), keeping the build it had', async () => {
    const ko = t.builtKo(M, '1.0', kernel, KO);
    const hash = await sha256File(ko);
    // The failed build's own work area (with its make.log) is all that may change.
    const work = /(^|\/)\.kmodforge-build(\/|$)/;
    const before = await snapshotTree(t.dkmsTree, { ignore: work });
    const { code, stderr } = await t.cli(
      'build',
      `${M}/1.0`,
      '-k',
      kernel,
      '--force',
      '--directive',
      'PATCH[2]=0003-missing.patch',
    );
    expect(code).toBe(5);
    expect(stderr).toContain('patch 0003-missing.patch as specified in dkms.conf cannot be found in');
    expect(await snapshotTree(t.dkmsTree, { ignore: work })).toEqual(before);
    expect(await sha256File(ko)).toBe(hash);
    expect(await modinfo('kmf_patch0', ko)).toBe('applied');
  });
});
