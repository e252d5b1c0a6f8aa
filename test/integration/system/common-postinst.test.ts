import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  headerless,
  makeSystemRoot,
  makeToolShims,
  runSystemScript,
  type SystemFiles,
  type ToolShims,
} from '../../support/system-files.ts';
import { arch, copyFixture, exists, kernelOfFlavor, type TestRoot } from '../../support/test-root.ts';

describe('/usr/lib/dkms/common.postinst, as a *-dkms package postinst runs it', () => {
  let t: TestRoot;
  let files: SystemFiles;
  let tmp: string;
  let cleanup: () => Promise<void>;
  let shims: ToolShims;

  /**
   * `common.postinst NAME VERSION TARBALL_ROOT "" UPGRADE`, as dh_dkms's postinst calls it (TARBALL_ROOT
   * /usr/share/NAME-dkms), with the depmod shim on PATH; `makes` adds the make shim (which waits for a
   * second build: only where two are due) and a budget of two builds at least, whatever the machine's
   * processors.
   */
  const commonPostinst = (
    name: string,
    version: string,
    options: { upgrade?: string; tarballRoot?: string; makes?: boolean } = {},
  ): ReturnType<typeof runSystemScript> =>
    runSystemScript(
      t.root,
      [
        files.file('usr/lib/dkms/common.postinst'),
        name,
        version,
        options.tarballRoot ?? `/usr/share/${name}-dkms`,
        '',
        options.upgrade ?? '',
      ],
      { env: { MAKEFLAGS: '-j4', ...shims.env({ makes: options.makes }) } },
    );

  const statusLines = async (module: string): Promise<string[]> => {
    const { stdout } = await t.cli('status', module);
    return stdout.split('\n').filter((l) => l !== '');
  };

  beforeAll(async () => {
    ({ t, files, tmp, cleanup } = await makeSystemRoot('kmf-common-'));
    shims = await makeToolShims(tmp);
  });
  afterAll(async () => {
    await cleanup();
  });
  beforeEach(async () => {
    await shims.reset();
  });

  it("without NAME or VERSION: dkms's message, exit 1", async () => {
    const run = await runSystemScript(t.root, [files.file('usr/lib/dkms/common.postinst'), 'kmf-simple']);
    expect(run).toEqual({
      code: 1,
      stdout: 'Need NAME, and VERSION defined\nARCH is optional\n',
      stderr: '',
    });
  });

  it('registers the source the package left in /usr/src and installs it for every kernel with headers', async () => {
    await copyFixture('kmf-simple', path.join(t.sourceTree, 'kmf-simple-1.0'));
    const run = await commonPostinst('kmf-simple', '1.0', { makes: true });
    expect(run.code, run.stderr).toBe(0);
    const [first, second, third] = t.kernels;
    expect(run.stdout).toContain('Loading new kmf-simple-1.0 DKMS files...\n');
    expect(run.stdout).toContain(
      `Module build for kernel ${headerless} was skipped since the\n` +
        'kernel headers for this kernel do not seem to be installed.\n',
    );
    expect(run.stdout).toContain(`Building for ${first}, ${second} and ${third}\n`);
    expect(await statusLines('kmf-simple')).toEqual(
      t.kernels.map((k) => `kmf-simple/1.0, ${k}, ${arch}: installed`),
    );
    for (const kernel of t.kernels) expect(await exists(t.installedKo(kernel, 'kmf_simple'))).toBe(true);
    // The kernels' builds ran in parallel, and depmod once for each kernel.
    expect(await shims.mostMakesAtOnce()).toBeGreaterThanOrEqual(2);
    expect((await shims.calls('depmod')).map((c) => c.split(' ').at(-1)).sort()).toEqual(t.kernels);
  });

  it('configured again (an upgrade to a new revision): removes the version, registers and installs it again', async () => {
    const run = await commonPostinst('kmf-simple', '1.0', { upgrade: '1.0' });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^Removing old kmf-simple-1.0 DKMS files...\n/);
    expect(run.stdout).toContain('Loading new kmf-simple-1.0 DKMS files...\n');
    expect(await statusLines('kmf-simple')).toEqual(
      t.kernels.map((k) => `kmf-simple/1.0, ${k}, ${arch}: installed`),
    );
  });

  it('a version left without its source link (half removed) is not registered: added again and installed', async () => {
    await rm(path.join(t.dkmsTree, 'kmf-simple', '1.0', 'source'));
    expect(await statusLines('kmf-simple')).toEqual([]);
    const run = await commonPostinst('kmf-simple', '1.0', { upgrade: '1.0' });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^Loading new kmf-simple-1.0 DKMS files...\n/);
    expect(await statusLines('kmf-simple')).toEqual(
      t.kernels.map((k) => `kmf-simple/1.0, ${k}, ${arch}: installed`),
    );
  });

  it('a kernel that BUILD_EXCLUSIVE rules out is skipped: exit 0, installed on the others', async () => {
    await copyFixture('kmf-exclusive', path.join(t.sourceTree, 'kmf-exclusive-1.0'));
    const run = await commonPostinst('kmf-exclusive', '1.0');
    expect(run.code, run.stderr).toBe(0);
    const rt = kernelOfFlavor(t.kernels, 'rt-amd64');
    expect(await statusLines('kmf-exclusive')).toEqual([`kmf-exclusive/1.0, ${rt}, ${arch}: installed`]);
  });

  it('a module that fails to build: its exit status, so that the package is left unconfigured', async () => {
    await copyFixture('kmf-broken', path.join(t.sourceTree, 'kmf-broken-1.0'));
    const run = await commonPostinst('kmf-broken', '1.0');
    expect(run.code).toBe(10);
    expect(run.stderr).toContain('make failed');
    expect(await statusLines('kmf-broken')).toEqual(['kmf-broken/1.0: added']);
  });

  it('/etc/dkms/no-autoinstall: nothing is done, exit 0', async () => {
    const flag = path.join(t.root, 'etc', 'dkms', 'no-autoinstall');
    await mkdir(path.dirname(flag), { recursive: true });
    await writeFile(flag, '');
    try {
      await copyFixture('kmf-multi', path.join(t.sourceTree, 'kmf-multi-1.0'));
      const run = await commonPostinst('kmf-multi', '1.0');
      expect(run).toEqual({
        code: 0,
        stdout: 'autoinstall for dkms modules has been disabled.\n',
        stderr: '',
      });
      expect(await statusLines('kmf-multi')).toEqual([]);
    } finally {
      await rm(flag);
    }
  });

  it("framework.conf's dkms_tree and install_tree: the module is built and installed there, for every kernel", async () => {
    // A version the default trees do not have, so that nothing there can stand in for the moved ones.
    await copyFixture('kmf-simple', path.join(t.sourceTree, 'kmf-simple-2.0'), {
      'dkms.conf': (text) => text.replace('PACKAGE_VERSION="1.0"', 'PACKAGE_VERSION="2.0"'),
    });
    const conf = path.join(t.root, 'etc', 'dkms', 'framework.conf');
    const installTree = path.join(t.root, 'srv/kmf/lib/modules');
    await mkdir(path.dirname(conf), { recursive: true });
    await writeFile(conf, 'dkms_tree="/var/lib/kmf-moved"\ninstall_tree="/srv/kmf/lib/modules"\n');
    for (const kernel of t.kernels) await mkdir(path.join(installTree, kernel), { recursive: true });
    try {
      const run = await commonPostinst('kmf-simple', '2.0');
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).not.toContain('binaries-only');
      const [first, second, third] = t.kernels;
      expect(run.stdout).toContain(`Building for ${first}, ${second} and ${third}\n`);
      expect(await statusLines('kmf-simple')).toEqual(
        t.kernels.map((k) => `kmf-simple/2.0, ${k}, ${arch}: installed`),
      );
      expect(await exists(path.join(t.root, 'var/lib/kmf-moved/kmf-simple/2.0/source'))).toBe(true);
      for (const kernel of t.kernels) {
        const ko = path.join(installTree, kernel, 'updates/dkms/kmf_simple.ko');
        expect(await exists(ko), ko).toBe(true);
      }
    } finally {
      await rm(conf);
    }
  });

  it('a binaries-only tarball: installed for the kernel it has modules for, the others named', async () => {
    const [first, second, third] = t.kernels;
    const tarballRoot = path.join(tmp, 'kmf-simple-dkms');
    await mkdir(tarballRoot);
    const tarball = path.join(tarballRoot, 'kmf-simple-1.0.dkms.tar.gz');
    const made = await t.cli(
      'mktarball',
      'kmf-simple/1.0',
      '-k',
      first ?? '',
      '--binaries-only',
      '--archive',
      tarball,
    );
    expect(made.code, made.stderr).toBe(0);
    expect((await t.cli('remove', 'kmf-simple/1.0', '--all')).code).toBe(0);
    await rm(path.join(t.sourceTree, 'kmf-simple-1.0'), { recursive: true });

    const run = await commonPostinst('kmf-simple', '1.0', { tarballRoot });
    expect(run.code, run.stderr).toBe(0);
    for (const kernel of [second, third, headerless])
      expect(run.stdout).toContain(
        'This package appears to be a binaries-only package\n' +
          ` you will not be able to build against kernel ${kernel ?? ''}\n` +
          ' since the package source was not provided\n',
      );
    expect(run.stdout).toContain(`Building for ${first ?? ''}\n`);
    expect(await statusLines('kmf-simple')).toEqual([`kmf-simple/1.0, ${first ?? ''}, ${arch}: installed`]);
  });
});
