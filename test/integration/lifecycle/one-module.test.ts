import { readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonLines } from '../../support/cli.ts';
import {
  arch,
  copyFixture,
  depmodOutputs,
  dkmsTreeFiles,
  fixtureDir,
  kernelOfFlavor,
  makeTestRoot,
  modinfo,
  sha256File,
  snapshotTree,
  statusLines,
  type TestRoot,
  exists,
} from '../../support/test-root.ts';

const M = 'kmf-simple';
const KO = 'kmf_simple';

describe('one module on every kernel: add, build, install, uninstall, unbuild, remove', () => {
  let t: TestRoot;
  let pristineInstallTree: string[];
  const line = (kernel: string, state: string): string => `${M}/1.0, ${kernel}, ${arch}: ${state}`;

  beforeAll(async () => {
    t = await makeTestRoot({ prefix: 'kmf-one-' });
    pristineInstallTree = await snapshotTree(t.installTree, { ignore: depmodOutputs });
  });
  afterAll(async () => {
    await t.cleanup();
  });

  it('adds a source directory: copied to <root>/usr/src/M-V and linked from the dkms tree', async () => {
    const { code, stdout, stderr } = await t.cli('add', fixtureDir(M));
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const source = path.join(t.sourceTree, `${M}-1.0`);
    expect(stdout).toBe(`Creating symlink ${t.dkmsTree}/${M}/1.0/source -> ${source}\n`);
    expect(await readlink(path.join(t.dkmsTree, M, '1.0', 'source'))).toBe(source);
    expect(await snapshotTree(source)).toEqual(await snapshotTree(fixtureDir(M)));
    expect(await statusLines(t)).toEqual([`${M}/1.0: added`]);
  });

  it('refuses to add the same module/version again (exit 3)', async () => {
    const { code, stderr } = await t.cli('add', fixtureDir(M));
    expect(code).toBe(3);
    expect(stderr).toContain(`DKMS tree already contains: ${M}-1.0`);
  });

  it('builds for every kernel with --all-kernels, against each kernel', async () => {
    const { code, stderr } = await t.cli('build', `${M}/1.0`, '--all-kernels');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(await statusLines(t)).toEqual(t.kernels.map((k) => line(k, 'built')));
    for (const kernel of t.kernels) {
      const ko = t.builtKo(M, '1.0', kernel, KO);
      expect((await modinfo('vermagic', ko)).startsWith(`${kernel} `)).toBe(true);
      expect(await modinfo('version', ko)).toBe('1.0');
      expect(await exists(path.join(t.dkmsTree, M, '1.0', kernel, arch, 'log', 'make.log'))).toBe(true);
    }
    // Building touches nothing of the kernels.
    expect(await snapshotTree(t.installTree, { ignore: depmodOutputs })).toEqual(pristineInstallTree);
  });

  it('does not rebuild what is built', async () => {
    const kernel = kernelOfFlavor(t.kernels, 'amd64');
    const before = await sha256File(t.builtKo(M, '1.0', kernel, KO));
    const { code, stdout } = await t.cli('build', `${M}/1.0`, '-k', kernel);
    expect(code).toBe(0);
    expect(stdout).toContain(
      `Module ${M}/1.0 already built for kernel ${kernel} (${arch}), skip. You may override by specifying --force.`,
    );
    expect(await sha256File(t.builtKo(M, '1.0', kernel, KO))).toBe(before);
  });

  it('installs for one kernel (-k) into updates/dkms, links kernel-K-A and runs depmod', async () => {
    const kernel = kernelOfFlavor(t.kernels, 'amd64');
    const { code, stdout, stderr } = await t.cli('install', `${M}/1.0`, '-k', kernel);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const ko = t.installedKo(kernel, KO);
    expect(stdout).toContain(`Installed ${M}/1.0 for ${kernel} (${arch}): ${ko}\n`);
    expect(await sha256File(ko)).toBe(await sha256File(t.builtKo(M, '1.0', kernel, KO)));
    expect((await modinfo('vermagic', ko)).startsWith(`${kernel} `)).toBe(true);
    expect(await readlink(path.join(t.dkmsTree, M, `kernel-${kernel}-${arch}`))).toBe(
      `1.0/${kernel}/${arch}`,
    );
    const dep = await readFile(path.join(t.installTree, kernel, 'modules.dep'), 'utf8');
    expect(dep.split('\n')).toContain(`updates/dkms/${KO}.ko:`);
    expect(await statusLines(t)).toEqual(t.kernels.map((k) => line(k, k === kernel ? 'installed' : 'built')));
    expect(await statusLines(t, M, '-k', kernel)).toEqual([line(kernel, 'installed')]);
  });

  it('installs on every kernel with --all-kernels, skipping the one it is installed on', async () => {
    const kernel = kernelOfFlavor(t.kernels, 'amd64');
    const { code, stdout } = await t.cli('install', `${M}/1.0`, '--all-kernels');
    expect(code).toBe(0);
    expect(stdout).toContain(`Module ${M}/1.0 already installed on kernel ${kernel} (${arch}), skip.`);
    for (const k of t.kernels) {
      expect((await modinfo('vermagic', t.installedKo(k, KO))).startsWith(`${k} `)).toBe(true);
      const dep = await readFile(path.join(t.installTree, k, 'modules.dep'), 'utf8');
      expect(dep.split('\n')).toContain(`updates/dkms/${KO}.ko:`);
    }
    expect(await statusLines(t)).toEqual(t.kernels.map((k) => line(k, 'installed')));
  });

  it('uninstalls from one kernel: the module is gone, depmod forgot it, it is still built', async () => {
    const kernel = kernelOfFlavor(t.kernels, 'amd64');
    const { code, stdout } = await t.cli('uninstall', `${M}/1.0`, '-k', kernel);
    expect(code).toBe(0);
    expect(stdout).toContain(`Uninstalled ${M}/1.0 for ${kernel} (${arch})\n`);
    expect(await exists(path.join(t.installTree, kernel, 'updates'))).toBe(false);
    expect(await exists(path.join(t.dkmsTree, M, `kernel-${kernel}-${arch}`))).toBe(false);
    expect(await readFile(path.join(t.installTree, kernel, 'modules.dep'), 'utf8')).not.toContain(KO);
    expect(await statusLines(t)).toEqual(t.kernels.map((k) => line(k, k === kernel ? 'built' : 'installed')));
  });

  it('unbuilds for one kernel: its build is gone', async () => {
    const kernel = kernelOfFlavor(t.kernels, 'amd64');
    const { code, stdout } = await t.cli('unbuild', `${M}/1.0`, '-k', kernel);
    expect(code).toBe(0);
    expect(stdout).toContain(`Unbuilt ${M}/1.0 for ${kernel} (${arch})\n`);
    expect(await exists(path.join(t.dkmsTree, M, '1.0', kernel))).toBe(false);
    expect(await statusLines(t)).toEqual(
      t.kernels.filter((k) => k !== kernel).map((k) => line(k, 'installed')),
    );
  });

  it('removes it from every kernel (--all): back to the trees it started from', async () => {
    const { code, stdout } = await t.cli('remove', `${M}/1.0`, '--all');
    expect(code).toBe(0);
    expect(stdout).toContain(`Deleting module ${M}-1.0 completely from the DKMS tree.\n`);
    expect(await statusLines(t)).toEqual([]);
    // Only the state lock and the signing key stay in the dkms tree; the registered source stays in /usr/src, as with dkms.
    expect(await snapshotTree(t.dkmsTree, { ignore: dkmsTreeFiles })).toEqual([]);
    expect(await snapshotTree(path.join(t.sourceTree, `${M}-1.0`))).toEqual(
      await snapshotTree(fixtureDir(M)),
    );
    expect(await snapshotTree(t.installTree, { ignore: depmodOutputs })).toEqual(pristineInstallTree);
    for (const k of t.kernels)
      expect(await readFile(path.join(t.installTree, k, 'modules.dep'), 'utf8')).not.toContain(KO);
  });
});

describe('module/version form, -m/-v, and --json records', () => {
  let t: TestRoot;
  let kernel: string;

  beforeAll(async () => {
    t = await makeTestRoot({ prefix: 'kmf-json-' });
    kernel = kernelOfFlavor(t.kernels, 'amd64');
    await copyFixture(M, path.join(t.sourceTree, `${M}-1.0`));
  });
  afterAll(async () => {
    await t.cleanup();
  });

  const base = (): Record<string, unknown> => ({ module: M, version: '1.0', kernel, arch });

  it('adds module/version from <root>/usr/src/M-V', async () => {
    const { code, stdout } = await t.cli('add', `${M}/1.0`, '--json');
    expect(code).toBe(0);
    expect(jsonLines(stdout)).toEqual([
      {
        type: 'result',
        command: 'add',
        module: M,
        version: '1.0',
        sourceDir: path.join(t.sourceTree, `${M}-1.0`),
        added: true,
      },
    ]);
    expect(await statusLines(t)).toEqual([`${M}/1.0: added`]);
  });

  it('builds with -k, reporting events and one build record', async () => {
    const { code, stdout } = await t.cli('build', `${M}/1.0`, '-k', kernel, '--json');
    expect(code).toBe(0);
    const records = jsonLines(stdout);
    // A first build has no estimate; every event has its time.
    expect(records).toContainEqual({
      type: 'build-start',
      ...base(),
      estimateSeconds: null,
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as unknown,
    });
    expect(records).toContainEqual(expect.objectContaining({ type: 'build-done', ...base(), ok: true }));
    const builds = records.filter((r) => r['type'] === 'build');
    expect(builds).toEqual([
      expect.objectContaining({
        ...base(),
        status: 'built',
        seconds: expect.any(Number) as unknown,
        error: null,
      }),
    ]);
  });

  it('installs with -m and -v, reporting the files', async () => {
    const { code, stdout } = await t.cli('install', '-m', M, '-v', '1.0', '-k', kernel, '--json');
    expect(code).toBe(0);
    const installs = jsonLines(stdout).filter((r) => r['type'] === 'install');
    expect(installs).toEqual([
      expect.objectContaining({
        ...base(),
        status: 'installed',
        files: [t.installedKo(kernel, KO)],
        build: expect.objectContaining({ status: 'already-built' }) as unknown,
        error: null,
      }),
    ]);
  });

  it('prints status records', async () => {
    const { code, stdout } = await t.cli('status', '--json');
    expect(code).toBe(0);
    expect(jsonLines(stdout)).toEqual([{ ...base(), state: 'installed', notes: [] }]);
  });

  it('uninstalls, then reports the kernel as skipped when asked again', async () => {
    const first = await t.cli('uninstall', `${M}/1.0`, '-k', kernel, '--json');
    expect(first.code).toBe(0);
    expect(jsonLines(first.stdout).filter((r) => r['type'] === 'uninstall')).toEqual([
      expect.objectContaining({ ...base(), uninstalled: true, unbuilt: false }),
    ]);
    const again = await t.cli('uninstall', `${M}/1.0`, '-k', kernel);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(
      `Module ${M} 1.0 is not installed for kernel ${kernel} (${arch}). Skipping...\n`,
    );
  });

  it('unbuilds, then removes: the version is deleted', async () => {
    const unbuild = await t.cli('unbuild', `${M}/1.0`, '-k', kernel, '--json');
    expect(unbuild.code).toBe(0);
    expect(jsonLines(unbuild.stdout).filter((r) => r['type'] === 'unbuild')).toEqual([
      expect.objectContaining({ ...base(), uninstalled: false, unbuilt: true }),
    ]);
    expect(await statusLines(t)).toEqual([`${M}/1.0: added`]);
    const remove = await t.cli('remove', `${M}/1.0`, '-k', kernel, '--json');
    expect(remove.code).toBe(0);
    const records = jsonLines(remove.stdout);
    expect(records).toContainEqual(
      expect.objectContaining({
        type: 'remove',
        ...base(),
        skipped: `Module ${M} 1.0 is not built for kernel ${kernel} (${arch}). Skipping...`,
      }),
    );
    expect(records).toContainEqual({ type: 'removed', module: M, version: '1.0' });
    expect(await statusLines(t)).toEqual([]);
    expect(await snapshotTree(t.dkmsTree, { ignore: dkmsTreeFiles })).toEqual([]);
  });
});
