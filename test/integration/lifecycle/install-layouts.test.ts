import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  arch,
  fixtureDir,
  kernelOfFlavor,
  makeTempDir,
  makeTestRoot,
  modinfo,
  sha256File,
  snapshotTree,
  statusLines,
  type TestRoot,
  exists,
} from '../../support/test-root.ts';

describe('installs of one root', () => {
  let t: TestRoot;
  let kernel: string;

  beforeAll(async () => {
    t = await makeTestRoot({ prefix: 'kmf-layout-' });
    kernel = kernelOfFlavor(t.kernels, 'amd64');
  });
  afterAll(async () => {
    await t.cleanup();
  });

  describe('two module records (kmf-multi): built in subdirectories, one installed under another name', () => {
    const M = 'kmf-multi';

    it('builds both and keeps them under their DEST_MODULE_NAME', async () => {
      const { code, stderr } = await t.cli('build', fixtureDir(M), '-k', kernel);
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(await modinfo('name', t.builtKo(M, '1.0', kernel, 'kmf_multi_a'))).toBe('kmf_multi_a');
      expect(await modinfo('name', t.builtKo(M, '1.0', kernel, 'kmf_multi_renamed'))).toBe('kmf_multi_b');
      expect(await exists(t.builtKo(M, '1.0', kernel, 'kmf_multi_b'))).toBe(false);
    });

    it('installs both', async () => {
      const { code, stdout } = await t.cli('install', `${M}/1.0`, '-k', kernel);
      expect(code).toBe(0);
      const files = [t.installedKo(kernel, 'kmf_multi_a'), t.installedKo(kernel, 'kmf_multi_renamed')];
      expect(stdout).toContain(`Installed ${M}/1.0 for ${kernel} (${arch}): ${files.join(' ')}\n`);
      expect(await sha256File(files[1] ?? '')).toBe(
        await sha256File(t.builtKo(M, '1.0', kernel, 'kmf_multi_renamed')),
      );
      const dep = (await readFile(path.join(t.installTree, kernel, 'modules.dep'), 'utf8')).split('\n');
      expect(dep).toEqual(
        expect.arrayContaining(['updates/dkms/kmf_multi_a.ko:', 'updates/dkms/kmf_multi_renamed.ko:']),
      );
      expect(await statusLines(t, M)).toEqual([`${M}/1.0, ${kernel}, ${arch}: installed`]);
    });

    it('uninstalls both', async () => {
      expect((await t.cli('uninstall', `${M}/1.0`, '-k', kernel)).code).toBe(0);
      expect(await exists(path.join(t.installTree, kernel, 'updates'))).toBe(false);
      expect(await readFile(path.join(t.installTree, kernel, 'modules.dep'), 'utf8')).not.toContain(
        'kmf_multi',
      );
      expect(await statusLines(t, M)).toEqual([`${M}/1.0, ${kernel}, ${arch}: built`]);
    });
  });

  describe('install --destdir', () => {
    const M = 'kmf-simple';
    let dest: string;

    beforeAll(async () => {
      dest = await makeTempDir('kmf-destdir-');
      expect((await t.cli('build', fixtureDir(M), '-k', kernel)).code).toBe(0);
    });
    afterAll(async () => {
      await rm(dest, { recursive: true, force: true });
    });

    it('stages the module under D/lib/modules/K/updates/dkms; the state and the system stay as they were', async () => {
      const before = await Promise.all([snapshotTree(t.dkmsTree), snapshotTree(t.installTree)]);
      const { code, stdout, stderr } = await t.cli('install', `${M}/1.0`, '-k', kernel, '--destdir', dest);
      expect(stderr).toBe('');
      expect(code).toBe(0);
      const staged = path.join(dest, 'lib', 'modules', kernel, 'updates', 'dkms', 'kmf_simple.ko');
      expect(stdout).toContain(`Staged ${M}/1.0 for ${kernel} (${arch}): ${staged}\n`);
      expect(await sha256File(staged)).toBe(await sha256File(t.builtKo(M, '1.0', kernel, 'kmf_simple')));
      expect((await snapshotTree(dest)).map((l) => l.split(' ')[0])).toEqual([
        'lib/',
        'lib/modules/',
        `lib/modules/${kernel}/`,
        `lib/modules/${kernel}/updates/`,
        `lib/modules/${kernel}/updates/dkms/`,
        `lib/modules/${kernel}/updates/dkms/kmf_simple.ko`,
      ]);
      expect(await Promise.all([snapshotTree(t.dkmsTree), snapshotTree(t.installTree)])).toEqual(before);
      expect(await statusLines(t, M)).toEqual([`${M}/1.0, ${kernel}, ${arch}: built`]);
    });
  });
});
