import { copyFile, mkdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  arch,
  copyFixture,
  depmodOutputs,
  fixtureDir,
  kernelOfFlavor,
  makeTempDir,
  makeTestRoot,
  modinfo,
  run,
  sha256File,
  snapshotTree,
  statusLines,
  type TestRoot,
  exists,
} from '../../support/test-root.ts';

describe('two versions of one module on one kernel', () => {
  const M = 'kmf-simple';
  const KO = 'kmf_simple';
  let t: TestRoot;
  let kernel: string;
  let tmp: string;
  const link = (): Promise<string> => readlink(path.join(t.dkmsTree, M, `kernel-${kernel}-${arch}`));

  beforeAll(async () => {
    t = await makeTestRoot({ prefix: 'kmf-2ver-' });
    tmp = await makeTempDir('kmf-2ver-src-');
    kernel = kernelOfFlavor(t.kernels, 'amd64');
    const v2 = await copyFixture(M, path.join(tmp, `${M}-2.0`), {
      'dkms.conf': (s) => s.replace('PACKAGE_VERSION="1.0"', 'PACKAGE_VERSION="2.0"'),
      'kmf_simple.c': (s) => s.replace('MODULE_VERSION("1.0")', 'MODULE_VERSION("2.0")'),
    });
    for (const source of [fixtureDir(M), v2]) expect((await t.cli('add', source)).code).toBe(0);
  });
  afterAll(async () => {
    await t.cleanup();
    await rm(tmp, { recursive: true, force: true });
  });

  it('installs 1.0, then 2.0 over it: 2.0 is installed, 1.0 stays built', async () => {
    expect((await t.cli('install', `${M}/1.0`, '-k', kernel)).code).toBe(0);
    expect(await modinfo('version', t.installedKo(kernel, KO))).toBe('1.0');
    const { code, stderr } = await t.cli('install', `${M}/2.0`, '-k', kernel);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(await modinfo('version', t.installedKo(kernel, KO))).toBe('2.0');
    expect(await sha256File(t.installedKo(kernel, KO))).toBe(
      await sha256File(t.builtKo(M, '2.0', kernel, KO)),
    );
    expect(await link()).toBe(`2.0/${kernel}/${arch}`);
    expect(await statusLines(t)).toEqual([
      `${M}/1.0, ${kernel}, ${arch}: built`,
      `${M}/2.0, ${kernel}, ${arch}: installed`,
    ]);
  });

  it('refuses to install the older 1.0 over 2.0 (exit 6), changing nothing', async () => {
    const before = await Promise.all([snapshotTree(t.dkmsTree), snapshotTree(t.installTree)]);
    const { code, stderr } = await t.cli('install', `${M}/1.0`, '-k', kernel);
    expect(code).toBe(6);
    expect(stderr).toContain(
      `Module version 1.0 for ${KO}.ko is not newer than what is already found in kernel ${kernel} (2.0, `,
    );
    expect(stderr).toContain('You may override by specifying --force.');
    expect(await Promise.all([snapshotTree(t.dkmsTree), snapshotTree(t.installTree)])).toEqual(before);
  });

  it('installs 1.0 over 2.0 with --force', async () => {
    const { code } = await t.cli('install', `${M}/1.0`, '-k', kernel, '--force');
    expect(code).toBe(0);
    expect(await modinfo('version', t.installedKo(kernel, KO))).toBe('1.0');
    expect(await link()).toBe(`1.0/${kernel}/${arch}`);
    expect(await statusLines(t)).toEqual([
      `${M}/1.0, ${kernel}, ${arch}: installed`,
      `${M}/2.0, ${kernel}, ${arch}: built`,
    ]);
  });
});

// Debian and Ubuntu keep the in-tree module in place (dkms 3.0.10 never moves it there, and deletes
// original_module/ on uninstall), so kmodforge archives a copy; elsewhere it is moved away, as dkms does.
describe.each([
  { distro: 'debian', osRelease: undefined, location: 'updates/dkms', moved: false },
  { distro: 'fedora', osRelease: 'ID=fedora\nVERSION_ID=41\n', location: 'extra', moved: true },
])('replacing an in-tree module on $distro', ({ osRelease, location, moved }) => {
  const M = 'kmf-intree';
  const KO = 'kmf_intree';
  let t: TestRoot;
  let kernel: string;
  let tmp: string;
  let original: string;
  let originalHash: string;
  let pristine: string[];
  const installed = (): string => path.join(t.installTree, kernel, location, `${KO}.ko`);

  beforeAll(async () => {
    t = await makeTestRoot({ prefix: 'kmf-intree-' });
    if (osRelease !== undefined) await writeFile(path.join(t.root, 'etc/os-release'), osRelease);
    tmp = await makeTempDir('kmf-intree-src-');
    kernel = kernelOfFlavor(t.kernels, 'amd64');
    // The "in-tree" module: an older build (1.0) of the same source, made by hand with make.
    const old = await copyFixture(M, path.join(tmp, 'old'), {
      'kmf_intree.c': (s) => s.replace('MODULE_VERSION("2.0")', 'MODULE_VERSION("1.0")'),
    });
    await run('make', ['-C', path.join('/lib/modules', kernel, 'build'), `M=${old}`, 'modules']);
    original = path.join(t.installTree, kernel, 'kernel', 'drivers', 'misc', `${KO}.ko`);
    await mkdir(path.dirname(original), { recursive: true });
    await copyFile(path.join(old, `${KO}.ko`), original);
    await run('depmod', ['-a', '-b', t.root, kernel]);
    originalHash = await sha256File(original);
    pristine = await snapshotTree(t.installTree, { ignore: depmodOutputs });
  });
  afterAll(async () => {
    await t.cleanup();
    await rm(tmp, { recursive: true, force: true });
  });

  const archiveDir = (): string => path.join(t.dkmsTree, M, 'original_module', kernel, arch);

  it('installs 2.0: the in-tree 1.0 is archived in original_module/K/A with an .origin record', async () => {
    expect(await modinfo('version', original)).toBe('1.0');
    const { code, stderr } = await t.cli('install', fixtureDir(M), '-k', kernel);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(await exists(original)).toBe(!moved);
    const archived = path.join(archiveDir(), `${KO}.ko`);
    expect(await sha256File(archived)).toBe(originalHash);
    // The path as the system under the root knows it.
    expect(await readFile(`${archived}.origin`, 'utf8')).toBe(`/${path.relative(t.root, original)}\n`);
    expect(await modinfo('version', installed())).toBe('2.0');
    const dep = (await readFile(path.join(t.installTree, kernel, 'modules.dep'), 'utf8')).split('\n');
    expect(dep).toContain(`${location}/${KO}.ko:`);
    expect(dep).not.toContain(`kernel/drivers/misc/${KO}.ko:`);
    if (osRelease === undefined) {
      expect(await statusLines(t)).toEqual([
        `${M}/2.0, ${kernel}, ${arch}: installed (original_module exists)`,
      ]);
    }
  });

  it('uninstall leaves the original at its exact path, byte for byte', async () => {
    const { code } = await t.cli('uninstall', `${M}/2.0`, '-k', kernel);
    expect(code).toBe(0);
    expect(await sha256File(original)).toBe(originalHash);
    expect(await snapshotTree(t.installTree, { ignore: depmodOutputs })).toEqual(pristine);
    expect(await exists(path.join(t.dkmsTree, M, 'original_module'))).toBe(false);
    const dep = (await readFile(path.join(t.installTree, kernel, 'modules.dep'), 'utf8')).split('\n');
    expect(dep).toContain(`kernel/drivers/misc/${KO}.ko:`);
    expect(dep).not.toContain(`${location}/${KO}.ko:`);
    if (osRelease === undefined)
      expect(await statusLines(t)).toEqual([`${M}/2.0, ${kernel}, ${arch}: built`]);
  });

  it('remove --all of the installed module leaves the original in place too', async () => {
    expect((await t.cli('install', `${M}/2.0`, '-k', kernel)).code).toBe(0);
    expect(await exists(original)).toBe(!moved);
    const { code } = await t.cli('remove', `${M}/2.0`, '--all');
    expect(code).toBe(0);
    expect(await sha256File(original)).toBe(originalHash);
    expect(await snapshotTree(t.installTree, { ignore: depmodOutputs })).toEqual(pristine);
    expect(await exists(path.join(t.dkmsTree, M))).toBe(false);
  });
});
