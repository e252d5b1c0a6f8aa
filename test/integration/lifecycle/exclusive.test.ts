import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  arch,
  fixtureDir,
  kernelOfFlavor,
  makeTestRoot,
  modinfo,
  snapshotTree,
  statusLines,
  type TestRoot,
  exists,
} from '../../support/test-root.ts';

const M = 'kmf-exclusive';
const KO = 'kmf_exclusive';

describe('BUILD_EXCLUSIVE_KERNEL="-rt-amd64$"', () => {
  let t: TestRoot;
  let rt: string;
  let others: string[];

  beforeAll(async () => {
    t = await makeTestRoot({ prefix: 'kmf-excl-' });
    rt = kernelOfFlavor(t.kernels, 'rt-amd64');
    others = t.kernels.filter((k) => k !== rt);
    expect((await t.cli('add', fixtureDir(M))).code).toBe(0);
  });
  afterAll(async () => {
    await t.cleanup();
  });

  it('skips one excluded kernel with exit 77, changing nothing', async () => {
    const [other = ''] = others;
    const before = await snapshotTree(t.dkmsTree);
    const { code, stderr } = await t.cli('build', `${M}/1.0`, '-k', other);
    expect(code).toBe(77);
    expect(stderr).toContain(
      `for module ${M} includes a BUILD_EXCLUSIVE directive which does not match this kernel/arch/config: kernel ${other} does not match BUILD_EXCLUSIVE_KERNEL="-rt-amd64$".`,
    );
    expect(await snapshotTree(t.dkmsTree)).toEqual(before);
    expect(await statusLines(t)).toEqual([`${M}/1.0: added`]);
  });

  it('builds for all kernels with exit 77: built for the rt kernel only', async () => {
    const { code, stderr } = await t.cli('build', `${M}/1.0`, '--all-kernels');
    expect(code).toBe(77);
    for (const k of others) expect(stderr).toContain(`kernel ${k} does not match BUILD_EXCLUSIVE_KERNEL`);
    expect(stderr).not.toContain(`kernel ${rt} does not match`);
    expect(stderr).not.toContain('Error!');
    expect((await modinfo('vermagic', t.builtKo(M, '1.0', rt, KO))).startsWith(`${rt} `)).toBe(true);
    for (const k of others) expect(await exists(path.join(t.dkmsTree, M, '1.0', k))).toBe(false);
    expect(await statusLines(t)).toEqual([`${M}/1.0, ${rt}, ${arch}: built`]);
  });

  it('installs for all kernels with exit 77: installed on the rt kernel only', async () => {
    const { code } = await t.cli('install', `${M}/1.0`, '--all-kernels');
    expect(code).toBe(77);
    expect(await exists(t.installedKo(rt, KO))).toBe(true);
    for (const k of others) expect(await exists(path.join(t.installTree, k, 'updates'))).toBe(false);
    expect(await statusLines(t)).toEqual([`${M}/1.0, ${rt}, ${arch}: installed`]);
  });
});
