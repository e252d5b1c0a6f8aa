import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectRefused } from '../../support/refused.ts';
import {
  copyFixture,
  fixtureDir,
  kernelOfFlavor,
  makeTempDir,
  makeTestRoot,
  run,
  type TestRoot,
} from '../../support/test-root.ts';

describe('bad input is refused with dkms exit codes and changes nothing', () => {
  let t: TestRoot;
  let kernel: string;
  let tmp: string;

  beforeAll(async () => {
    t = await makeTestRoot({ prefix: 'kmf-bad-' });
    tmp = await makeTempDir('kmf-bad-src-');
    kernel = kernelOfFlavor(t.kernels, 'amd64');
    // Something in every tree, so "unchanged" means something.
    const { code, stderr } = await t.cli('install', fixtureDir('kmf-simple'), '-k', kernel);
    if (code !== 0) throw new Error(`install kmf-simple failed (${code}): ${stderr}`);
    await mkdir(path.join(t.sourceTree, 'kmf-noconf-1.0'));
    await writeFile(path.join(t.sourceTree, 'kmf-noconf-1.0', 'kmf_noconf.c'), '');
    await mkdir(path.join(tmp, 'empty'));
    await mkdir(path.join(tmp, 'invalid'));
    await writeFile(
      path.join(tmp, 'invalid', 'dkms.conf'),
      'PACKAGE_NAME="kmf-invalid"\nPACKAGE_VERSION="1.0"\nBUILT_MODULE_NAME[0]="kmf_invalid.ko"\nDEST_MODULE_LOCATION[0]="/updates"\n',
    );
  });
  afterAll(async () => {
    await t.cleanup();
    await rm(tmp, { recursive: true, force: true });
  });

  it('a source directory without dkms.conf: exit 4', async () => {
    const dir = path.join(tmp, 'empty');
    for (const command of ['add', 'build', 'install']) {
      const { stderr } = await expectRefused(t, 4, command, dir);
      expect(stderr).toContain(`${dir} must contain a dkms.conf file`);
    }
  });

  it('module/version whose source in /usr/src has no dkms.conf: exit 4', async () => {
    const { stderr } = await expectRefused(t, 4, 'add', 'kmf-noconf/1.0');
    expect(stderr).toContain(
      `could not locate dkms.conf: ${t.sourceTree}/kmf-noconf-1.0/dkms.conf does not exist`,
    );
  });

  it('an invalid dkms.conf: exit 8, naming file, line and directive', async () => {
    const dir = path.join(tmp, 'invalid');
    for (const command of ['add', 'build']) {
      const { stderr } = await expectRefused(t, 8, command, dir);
      expect(stderr).toContain(
        `${dir}/dkms.conf:3: BUILT_MODULE_NAME[0]: "kmf_invalid.ko" ends in .o or .ko; expected the module name without the suffix, e.g. "kmf_invalid"`,
      );
    }
  });

  it('a module/version that is not added: exit 3', async () => {
    const commands: string[][] = [
      ['build', '-k', kernel],
      ['install', '-k', kernel],
      ['uninstall', '-k', kernel],
      ['unbuild', '-k', kernel],
      ['remove', '--all'],
    ];
    for (const spec of ['kmf-nosuch/1.0', 'kmf-simple/9.9']) {
      for (const [command = '', ...rest] of commands) {
        const { stderr } = await expectRefused(t, 3, command, spec, ...rest);
        expect(stderr).toContain(
          `The module/version combo: ${spec.replace('/', '-')} is not located in the DKMS tree.`,
        );
      }
    }
  });

  it('a kernel without headers: exit 21', async () => {
    for (const command of ['build', 'install']) {
      const { stderr } = await expectRefused(t, 21, command, 'kmf-simple/1.0', '-k', '9.9.9-nope');
      expect(stderr).toContain(
        `Your kernel headers for kernel 9.9.9-nope cannot be found at ${t.installTree}/9.9.9-nope/build or ${t.installTree}/9.9.9-nope/source.`,
      );
    }
  });

  it('a module source directory that does not exist: exit 2', async () => {
    const { stderr } = await expectRefused(t, 2, 'add', 'kmf-nosuch/1.0');
    expect(stderr).toContain(
      `Could not find module source directory: ${t.sourceTree}/kmf-nosuch-1.0 does not exist.`,
    );
  });

  it('a patch outside patches/: exit 5', async () => {
    for (const patch of ['../../x.patch', 'sub/../../x.patch', '/etc/hostname']) {
      const { stderr } = await expectRefused(
        t,
        5,
        'build',
        'kmf-simple/1.0',
        '-k',
        kernel,
        '--force',
        '--directive',
        `PATCH[0]=${patch}`,
      );
      expect(stderr).toContain(`PATCH "${patch}" must name a file inside the patches/ directory`);
    }
  });
});

describe.skipIf(process.getuid?.() !== 0)('a read-only dkms tree: exit 1, nothing changes', () => {
  const mounted: string[] = [];
  const roots: TestRoot[] = [];
  let tmp: string;

  const mountReadOnly = async (dir: string, how: 'tmpfs' | 'bind'): Promise<void> => {
    await mkdir(dir, { recursive: true });
    if (how === 'tmpfs') await run('mount', ['-t', 'tmpfs', '-o', 'ro', 'tmpfs', dir]);
    else await run('mount', ['--bind', '-o', 'ro', dir, dir]);
    mounted.push(dir);
  };

  beforeAll(async () => {
    tmp = await makeTempDir('kmf-ro-src-');
  });
  afterAll(async () => {
    for (const dir of mounted.reverse()) await run('umount', [dir]).catch(() => run('umount', ['-l', dir]));
    for (const t of roots) await t.cleanup();
    await rm(tmp, { recursive: true, force: true });
  });

  it('an empty tree (a read-only tmpfs): add', async () => {
    const t = await makeTestRoot({ prefix: 'kmf-ro-empty-' });
    roots.push(t);
    await mountReadOnly(t.dkmsTree, 'tmpfs');
    const { stderr } = await expectRefused(t, 1, 'add', fixtureDir('kmf-simple'));
    expect(stderr).toContain(`No write access to DKMS tree at ${t.dkmsTree}`);
  });

  describe('a tree with an installed module (bind-mounted read-only)', () => {
    let t: TestRoot;
    let kernel: string;

    beforeAll(async () => {
      t = await makeTestRoot({ prefix: 'kmf-ro-full-' });
      roots.push(t);
      kernel = kernelOfFlavor(t.kernels, 'amd64');
      const { code, stderr } = await t.cli('install', fixtureDir('kmf-simple'), '-k', kernel);
      if (code !== 0) throw new Error(`install kmf-simple failed (${code}): ${stderr}`);
      await mountReadOnly(t.dkmsTree, 'bind');
    });

    it.each([
      [
        'build for another kernel',
        () => ['build', 'kmf-simple/1.0', '-k', kernelOfFlavor(t.kernels, 'rt-amd64')],
      ],
      ['install --force', () => ['install', 'kmf-simple/1.0', '-k', kernel, '--force']],
      ['uninstall', () => ['uninstall', 'kmf-simple/1.0', '-k', kernel]],
      ['remove --all', () => ['remove', 'kmf-simple/1.0', '--all']],
    ])('%s', async (_name, args) => {
      const { stderr } = await expectRefused(t, 1, ...args());
      expect(stderr).toContain(`No write access to DKMS tree at ${t.dkmsTree}`);
    });

    // Issue 8, defect 7: a file system that refuses a write was a bug with a stack trace (exit 70);
    // mktarball now takes the state lock first, as every command that writes into the tree does.
    it('mktarball into the read-only tree: exit 1, naming the tree', async () => {
      const { stderr } = await expectRefused(t, 1, 'mktarball', 'kmf-simple/1.0', '-k', kernel);
      expect(stderr).toContain(`No write access to DKMS tree at ${t.dkmsTree}`);
    });

    it('add of a new version (nothing is copied to the source tree either)', async () => {
      const v2 = await copyFixture('kmf-simple', path.join(tmp, 'kmf-simple-2.0'), {
        'dkms.conf': (s) => s.replace('PACKAGE_VERSION="1.0"', 'PACKAGE_VERSION="2.0"'),
      });
      const { stderr } = await expectRefused(t, 1, 'add', v2);
      expect(stderr).toContain(`No write access to DKMS tree at ${t.dkmsTree}`);
    });
  });
});
