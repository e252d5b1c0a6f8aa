import { readFile } from 'node:fs/promises';
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
} from '../../support/test-root.ts';

/**
 * kmf-consumer uses a symbol kmf-provider exports (BUILD_DEPENDS[0]=kmf-provider); its Makefile does not
 * name the provider's Module.symvers: kmodforge hands it to make in KBUILD_EXTRA_SYMBOLS.
 */
describe('BUILD_DEPENDS', () => {
  let t: TestRoot;
  let kernel: string;

  beforeAll(async () => {
    t = await makeTestRoot({ prefix: 'kmf-deps-' });
    kernel = kernelOfFlavor(t.kernels, 'amd64');
    for (const m of ['kmf-provider', 'kmf-consumer']) {
      const { code, stderr } = await t.cli('add', fixtureDir(m));
      if (code !== 0) throw new Error(`add ${m} failed (${code}): ${stderr}`);
    }
  });
  afterAll(async () => {
    await t.cleanup();
  });

  const buildConsumer = (...extra: string[]) => t.cli('build', 'kmf-consumer/1.0', '-k', kernel, ...extra);

  it('refuses to build the consumer while the provider is not even built (exit 13), changing nothing', async () => {
    const before = await snapshotTree(t.dkmsTree);
    const { code, stderr } = await buildConsumer();
    expect(code).toBe(13);
    expect(stderr).toContain(
      `kmf-consumer/1.0 for ${kernel} (${arch}): BUILD_DEPENDS module kmf-provider is not installed for this kernel`,
    );
    expect(await snapshotTree(t.dkmsTree)).toEqual(before);
    expect(await statusLines(t, 'kmf-consumer')).toEqual(['kmf-consumer/1.0: added']);
  });

  it('still refuses while the provider is built but not installed', async () => {
    expect((await t.cli('build', 'kmf-provider/1.0', '-k', kernel)).code).toBe(0);
    const { code } = await buildConsumer();
    expect(code).toBe(13);
    expect(await statusLines(t, 'kmf-consumer')).toEqual(['kmf-consumer/1.0: added']);
  });

  it('builds without the provider with --force: no dependency is recorded', async () => {
    const { code, stderr } = await buildConsumer('--force');
    expect(stderr).not.toContain('Error!');
    expect(code).toBe(0);
    expect(await modinfo('depends', t.builtKo('kmf-consumer', '1.0', kernel, 'kmf_consumer'))).toBe('');
    expect((await t.cli('unbuild', 'kmf-consumer/1.0', '-k', kernel)).code).toBe(0);
  });

  it('builds once the provider is installed, against its Module.symvers', async () => {
    expect((await t.cli('install', 'kmf-provider/1.0', '-k', kernel)).code).toBe(0);
    const { code, stderr } = await buildConsumer();
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const ko = t.builtKo('kmf-consumer', '1.0', kernel, 'kmf_consumer');
    expect((await modinfo('depends', ko)).split(',')).toContain('kmf_provider');
    expect(await statusLines(t)).toEqual([
      `kmf-consumer/1.0, ${kernel}, ${arch}: built`,
      `kmf-provider/1.0, ${kernel}, ${arch}: installed`,
    ]);
  });

  it('installs the consumer: depmod records its dependency on the provider', async () => {
    expect((await t.cli('install', 'kmf-consumer/1.0', '-k', kernel)).code).toBe(0);
    const dep = await readFile(path.join(t.installTree, kernel, 'modules.dep'), 'utf8');
    expect(dep.split('\n')).toContain('updates/dkms/kmf_consumer.ko: updates/dkms/kmf_provider.ko');
  });
});
