import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  arch,
  copyFixture,
  fixtureDir,
  kernelOfFlavor,
  makeTestRoot,
  statusLines,
  type TestRoot,
} from '../../support/test-root.ts';

/**
 * kmf-scripts has PRE_BUILD, POST_BUILD, POST_ADD, PRE_INSTALL, POST_INSTALL and POST_REMOVE scripts that
 * each append their name to scripts.log in the registered source directory (<root>/usr/src/M-V). Each
 * test checks the lines the action added: which scripts ran, in which order, how often.
 */
describe('dkms.conf scripts', () => {
  const M = 'kmf-scripts';
  let t: TestRoot;
  let kernel: string;
  let seen = 0;

  const newLines = async (): Promise<string[]> => {
    const log = path.join(t.sourceTree, `${M}-1.0`, 'scripts.log');
    const text = await readFile(log, 'utf8').catch(() => '');
    const lines = text.split('\n').filter((l) => l !== '');
    const fresh = lines.slice(seen);
    seen = lines.length;
    return fresh;
  };
  const ok = async (...args: string[]): Promise<string> => {
    const { code, stdout, stderr } = await t.cli(...args);
    expect([args.join(' '), code, stderr]).toEqual([args.join(' '), 0, '']);
    return stdout;
  };

  beforeAll(async () => {
    t = await makeTestRoot({ prefix: 'kmf-scripts-' });
    kernel = kernelOfFlavor(t.kernels, 'amd64');
  });
  afterAll(async () => {
    await t.cleanup();
  });

  it('add runs POST_ADD', async () => {
    const stdout = await ok('add', fixtureDir(M));
    expect(stdout).toContain('Running the post_add script: scripts/post_add.sh');
    expect(await newLines()).toEqual(['post_add']);
  });

  it('build runs PRE_BUILD, then POST_BUILD', async () => {
    await ok('build', `${M}/1.0`, '-k', kernel);
    expect(await newLines()).toEqual(['pre_build', 'post_build']);
  });

  it('build of what is built runs nothing', async () => {
    await ok('build', `${M}/1.0`, '-k', kernel);
    expect(await newLines()).toEqual([]);
  });

  it('install runs PRE_INSTALL, then POST_INSTALL', async () => {
    await ok('install', `${M}/1.0`, '-k', kernel);
    expect(await newLines()).toEqual(['pre_install', 'post_install']);
  });

  it('uninstall runs POST_REMOVE', async () => {
    await ok('uninstall', `${M}/1.0`, '-k', kernel);
    expect(await newLines()).toEqual(['post_remove']);
  });

  it('unbuild of a module that is not installed runs nothing; building again runs the build scripts', async () => {
    await ok('unbuild', `${M}/1.0`, '-k', kernel);
    expect(await newLines()).toEqual([]);
    await ok('install', `${M}/1.0`, '-k', kernel);
    expect(await newLines()).toEqual(['pre_build', 'post_build', 'pre_install', 'post_install']);
  });

  // dkms 3.0.10 remove_module -> maybe_uninstall_module -> do_uninstall runs post_remove for every
  // kernel the module was installed on, before the version is deleted from the tree.
  it('remove of an installed module runs POST_REMOVE, as dkms does', async () => {
    await ok('remove', `${M}/1.0`, '--all');
    expect(await statusLines(t)).toEqual([]);
    expect(await newLines()).toEqual(['post_remove']);
  });
});

// A PRE_INSTALL that changes the kernel's tree runs before install looks at it, as in dkms 3.0.10; the
// install used to plan around an in-tree module the script had removed, and fail with exit 70.
describe('PRE_INSTALL runs before the kernel tree is read', () => {
  let t: TestRoot;
  afterAll(async () => {
    await t.cleanup();
  });

  it('installs although the script removed the module it would have shadowed', async () => {
    t = await makeTestRoot({ prefix: 'kmf-preinstall-' });
    const kernel = kernelOfFlavor(t.kernels, 'amd64');
    const inTree = path.join(t.installTree, kernel, 'kernel/drivers/misc/kmf_simple.ko');
    await mkdir(path.dirname(inTree), { recursive: true });
    await writeFile(inTree, 'the in-tree module\n');
    const source = await copyFixture('kmf-simple', path.join(t.root, 'src', 'kmf-simple'), {
      'dkms.conf': (text) => `${text}PRE_INSTALL="pre.sh"\n`,
    });
    await writeFile(path.join(source, 'pre.sh'), `#!/bin/sh\nrm -f '${inTree}'\n`, { mode: 0o755 });
    const { code, stderr } = await t.cli('install', source, '-k', kernel, '--force');
    expect([code, stderr]).toEqual([0, '']);
    expect(await statusLines(t, 'kmf-simple')).toEqual([`kmf-simple/1.0, ${kernel}, ${arch}: installed`]);
  });
});
