import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installSystemFiles, runSystemScript, type SystemFiles } from '../../support/system-files.ts';
import {
  arch,
  copyFixture,
  exists,
  kernelOfFlavor,
  makeSigningKeyPair,
  makeTempDir,
  makeTestRoot,
  type TestRoot,
} from '../../support/test-root.ts';

/** A kernel of the root with no headers. */
const headerless = '6.1.0-999-amd64';

describe('/usr/lib/dkms/common.postinst, as a *-dkms package postinst runs it', () => {
  let t: TestRoot;
  let files: SystemFiles;
  let tmp: string;

  /** `common.postinst NAME VERSION /usr/share/NAME-dkms "" UPGRADE`, as dh_dkms's postinst calls it. */
  const commonPostinst = (name: string, version: string, upgrade = ''): ReturnType<typeof runSystemScript> =>
    runSystemScript(t.root, [
      files.file('usr/lib/dkms/common.postinst'),
      name,
      version,
      `/usr/share/${name}-dkms`,
      '',
      upgrade,
    ]);

  const statusLines = async (module: string): Promise<string[]> => {
    const { stdout } = await t.cli('status', module);
    return stdout.split('\n').filter((l) => l !== '');
  };

  beforeAll(async () => {
    tmp = await makeTempDir('kmf-common-postinst-');
    t = await makeTestRoot({ prefix: 'kmf-common-root-', signing: await makeSigningKeyPair(tmp) });
    await mkdir(path.join(t.installTree, headerless));
    files = await installSystemFiles(t.root);
  });
  afterAll(async () => {
    await t.cleanup();
    await files.cleanup();
    await rm(tmp, { recursive: true, force: true });
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
    const run = await commonPostinst('kmf-simple', '1.0');
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
  });

  it('configured again (an upgrade to a new revision): removes the version, registers and installs it again', async () => {
    const run = await commonPostinst('kmf-simple', '1.0', '1.0');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^Removing old kmf-simple-1.0 DKMS files...\n/);
    expect(run.stdout).toContain('Loading new kmf-simple-1.0 DKMS files...\n');
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
});
