/**
 * build --verify and install --verify: the build is booted under QEMU (as `kmodforge verify`) before it is
 * installed. The kernel is the one verify finds by default, `apt-get download linux-image-K` into the verify
 * cache: the test puts the package test/support/linux-image.ts keeps there, so nothing is downloaded twice.
 */
import { execFile as execFileCallback } from 'node:child_process';
import { mkdir, readFile, symlink } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exitCodes } from '../../src/errors.ts';
import { isErrno } from '../../src/errors.ts';
import { installedKernels } from '../support/debian-dkms.ts';
import { fetchLinuxImage, sharedVerifyCache, shareVerifyCache } from '../support/linux-image.ts';
import {
  arch,
  copyFixture,
  exists,
  fixtureDir,
  kernelOfFlavor,
  makeTempDir,
  makeTestRoot,
  modinfo,
  statusLines,
  type TestRoot,
} from '../support/test-root.ts';

const execFile = promisify(execFileCallback);

const amd64 = kernelOfFlavor(installedKernels(), 'amd64');
let t: TestRoot;
let temp: string;

interface Line {
  type: string;
  status?: string;
  name?: string;
  reason?: string | null;
  error?: { code: string; exitCode: number } | null;
}

function jsonLines(stdout: string): Line[] {
  return stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Line);
}

/** The linux-image package in the verify cache's download directory, where verify looks before apt-get. */
async function seedKernelPackage(kernel: string): Promise<void> {
  const deb = await fetchLinuxImage(kernel);
  const debs = path.join(sharedVerifyCache, 'debs');
  await mkdir(debs, { recursive: true });
  await symlink(deb, path.join(debs, path.basename(deb))).catch((error: unknown) => {
    if (!isErrno(error, 'EEXIST')) throw error;
  });
}

/** kmf-simple as kmf-flaky/<version> (module kmf_flaky), whose init fails with -ENODEV when `fails`. */
function flaky(version: string, fails: boolean): Promise<string> {
  return copyFixture('kmf-simple', path.join(temp, `kmf-flaky-${version}`), {
    'dkms.conf': (text) =>
      text
        .replace('PACKAGE_NAME="kmf-simple"', 'PACKAGE_NAME="kmf-flaky"')
        .replace('PACKAGE_VERSION="1.0"', `PACKAGE_VERSION="${version}"`)
        .replace('BUILT_MODULE_NAME[0]="kmf_simple"', 'BUILT_MODULE_NAME[0]="kmf_flaky"'),
    Makefile: (text) =>
      text.replace('obj-m := kmf_simple.o', 'obj-m := kmf_flaky.o\nkmf_flaky-y := kmf_simple.o'),
    'kmf_simple.c': (text) =>
      text
        .replace('MODULE_VERSION("1.0")', `MODULE_VERSION("${version}")`)
        .replace('return 0;', fails ? 'return -ENODEV;' : 'return 0;'),
  });
}

beforeAll(async () => {
  await seedKernelPackage(amd64);
  t = await makeTestRoot({ prefix: 'kmf-verify-install-', kernels: [amd64] });
  await shareVerifyCache(t.root);
  temp = await makeTempDir('kmf-verify-install-src-');
});
afterAll(async () => {
  await t.cleanup();
  await execFile('rm', ['-rf', temp]);
});

describe('install --verify', () => {
  it('installs a module that loads, with its load results in --json', async () => {
    const run = await t.cli('install', fixtureDir('kmf-simple'), '-k', amd64, '--verify', '--json');
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const lines = jsonLines(run.stdout);
    expect(lines.filter((l) => l.type === 'load').map((l) => [l.name, l.status])).toEqual([
      ['kmf_simple', 'loaded'],
    ]);
    expect(lines.find((l) => l.type === 'install')).toMatchObject({ status: 'installed', error: null });
    expect(await exists(t.installedKo(amd64, 'kmf_simple'))).toBe(true);
  });

  it('installs nothing of a version that does not load, and the installed version stays', async () => {
    const first = await t.cli('install', await flaky('1.0', false), '-k', amd64);
    expect(first.code, first.stderr).toBe(0);
    const installed = t.installedKo(amd64, 'kmf_flaky');
    const before = await readFile(installed);
    const run = await t.cli('install', await flaky('2.0', true), '-k', amd64, '--verify', '--json');
    expect(run.code, run.stdout + run.stderr).toBe(exitCodes.LOAD_FAILED);
    const lines = jsonLines(run.stdout);
    expect(lines.filter((l) => l.type === 'load')).toMatchObject([
      { name: 'kmf_flaky', status: 'failed', reason: 'init returning -ENODEV' },
    ]);
    expect(lines.find((l) => l.type === 'install')).toMatchObject({
      status: 'failed',
      error: { code: 'LOAD_FAILED', exitCode: exitCodes.LOAD_FAILED },
    });
    expect(await readFile(installed)).toEqual(before);
    expect(await modinfo('version', installed)).toBe('1.0');
    // 2.0 stays built (it is), and 1.0 installed.
    expect(await statusLines(t, 'kmf-flaky')).toEqual([
      `kmf-flaky/1.0, ${amd64}, ${arch}: installed`,
      `kmf-flaky/2.0, ${amd64}, ${arch}: built`,
    ]);
  });

  it('prints the verify step in a dry run', async () => {
    const run = await t.cli('install', 'kmf-flaky/2.0', '-k', amd64, '--verify', '--dry-run');
    expect(run.code, run.stderr).toBe(0);
    const where = `kmf-flaky/2.0 for ${amd64} (${arch})`;
    expect(run.stdout).toContain(
      `  verify ${where}: boot ${amd64} under QEMU and load the modules; install them only if they all load\n`,
    );
  });
});

describe('build --verify', () => {
  it('keeps a build that does not load, exits 15 and says why', async () => {
    const run = await t.cli('build', fixtureDir('kmf-enodev'), '-k', amd64, '--verify');
    expect(run.code).toBe(exitCodes.LOAD_FAILED);
    expect(run.stdout).toMatch(
      new RegExp(
        `kmf-enodev/1.0, ${amd64}, ${arch}: FAILED .*\n  failed  kmf_enodev  init returning -ENODEV\n`,
      ),
    );
    expect(run.stderr).toContain(
      `kmf-enodev/1.0 does not load in ${amd64} (${arch}): kmf_enodev: init returning -ENODEV`,
    );
    expect(await exists(t.builtKo('kmf-enodev', '1.0', amd64, 'kmf_enodev'))).toBe(true);
  });

  it('refuses --verify-timeout without --verify', async () => {
    const run = await t.cli('build', 'kmf-enodev/1.0', '-k', amd64, '--verify-timeout', '30');
    expect(run.code).toBe(exitCodes.USAGE);
    expect(run.stderr).toContain('--verify-timeout is the time limit of --verify');
  });
});
