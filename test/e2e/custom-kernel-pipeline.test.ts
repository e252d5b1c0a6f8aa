/**
 * The seed's pipeline on the custom kernel that `kmodforge mkkernel` packages (test/support/custom-kernel.ts,
 * built once and cached): the module's source RPM rebuilt by rpmbuild alone with the seed's
 * `--define 'targetboard host108'`, where the kernel's devel package is installed; the module packaged for
 * it as a deb, and `kmodforge verify` booting it from its linux-image package.
 *
 * rpmbuild finds kernels under the system's own paths, so it runs in a private mount namespace where the
 * kernel-devel package's files are overlaid on /lib/modules and /usr/src: the real system is not touched,
 * and its own kernels stay visible beside the custom one, for the targetboard to pass over.
 */
import { execFile as execFileCallback } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonLines, runCli } from '../support/cli.ts';
import { customFlavor, customKernel, unpackIntoRoot, type CustomKernel } from '../support/custom-kernel.ts';
import { shareVerifyCache } from '../support/linux-image.ts';
import { arch, fixtureDir, modinfo } from '../support/test-root.ts';

const execFile = promisify(execFileCallback);
const hasRpmbuild = existsSync('/usr/bin/rpmbuild');

/** The first run of the day compiles the kernel: minutes on a small machine. */
const buildTimeoutMs = 3 * 3600_000;

let kernel: CustomKernel;
let tmp: string;

function unpackedRoot(name: string, format: 'rpm' | 'deb', files: readonly string[]): Promise<string> {
  return unpackIntoRoot(path.join(tmp, name), format, files);
}

async function addAndBuild(root: string): Promise<void> {
  const added = await runCli('--root', root, 'add', fixtureDir('kmf-simple'));
  expect(added.code, added.stderr).toBe(0);
  const built = await runCli('--root', root, 'build', 'kmf-simple/1.0', '-k', kernel.release);
  expect(built.code, built.stderr).toBe(0);
}

// $1 is the directory the kernel-devel package was unpacked into: its lib/modules and usr/src go over
// the system's (read-only overlays, so nothing is written to either).
const overlayAndRun = `set -e
devel=$1
shift
mount -t overlay overlay -o "lowerdir=$devel/lib/modules:/lib/modules" /lib/modules
mount -t overlay overlay -o "lowerdir=$devel/usr/src:/usr/src" /usr/src
exec "$@"`;

beforeAll(async () => {
  kernel = await customKernel();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'kmf-custom-pipeline-'));
}, buildTimeoutMs);
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe.skipIf(!hasRpmbuild)("the source RPM rebuilt with --define 'targetboard host108'", () => {
  it('gives the module package of the custom kernel, built against its kernel-devel', async () => {
    const root = await unpackedRoot('srpm-root', 'rpm', []);
    const added = await runCli('--root', root, 'add', fixtureDir('kmf-simple'));
    expect(added.code, added.stderr).toBe(0);
    const made = await runCli('--root', root, 'mksrpm', 'kmf-simple/1.0', '--out', tmp);
    expect(made.code, made.stderr).toBe(0);
    const srpm = path.join(tmp, 'kmf-simple-kmod-1.0-1.src.rpm');

    const devel = await unpackedRoot('devel', 'rpm', [kernel.rpm.devel]);
    const top = path.join(tmp, 'rpmbuild');
    const home = path.join(tmp, 'home');
    await mkdir(home);
    const started = performance.now();
    await execFile(
      'unshare',
      [
        '--mount',
        '--propagation',
        'private',
        'sh',
        '-c',
        overlayAndRun,
        'sh',
        devel,
        'rpmbuild',
        '--rebuild',
        srpm,
        '--define',
        `_topdir ${top}`,
        '--define',
        `targetboard ${customFlavor}`,
      ],
      { env: { ...process.env, HOME: home }, maxBuffer: 64 << 20 },
    );
    console.log(
      `rpmbuild --rebuild --define 'targetboard host108': ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );

    const rpmDir = path.join(top, 'RPMS', arch);
    // Only the custom kernel is of flavor host108: the system's Debian kernels are passed over.
    expect(await readdir(rpmDir)).toEqual([`kmod-kmf-simple-${kernel.release}-1.0-1.${arch}.rpm`]);
    const rpm = path.join(rpmDir, `kmod-kmf-simple-${kernel.release}-1.0-1.${arch}.rpm`);
    const { stdout: requires } = await execFile('rpm', ['-qp', '-R', rpm]);
    expect(requires.split('\n')).toContain(`kernel-uname-r = ${kernel.release}`);
    const files = path.join(tmp, 'files');
    await mkdir(files);
    await execFile('sh', ['-c', 'rpm2cpio "$0" | cpio -idm --quiet', rpm], { cwd: files });
    const ko = path.join(files, 'lib/modules', kernel.release, 'updates/dkms/kmf_simple.ko');
    expect((await modinfo('vermagic', ko)).startsWith(`${kernel.release} `)).toBe(true);
  });
});

describe('the module on deb, for the custom kernel', () => {
  let root: string;

  beforeAll(async () => {
    root = await unpackedRoot('deb-root', 'deb', [kernel.deb.image, kernel.deb.devel]);
    await shareVerifyCache(root);
    await addAndBuild(root);
  });

  it('mkdeb names the kernel package by the release, mkdeb --source the dkms package', async () => {
    const out = path.join(tmp, 'debs');
    const made = await runCli('--root', root, 'mkdeb', 'kmf-simple/1.0', '-k', kernel.release, '--out', out);
    expect(made.code, made.stderr).toBe(0);
    const source = await runCli('--root', root, 'mkdeb', 'kmf-simple/1.0', '--source', '--out', out);
    expect(source.code, source.stderr).toBe(0);
    expect((await readdir(out)).sort()).toEqual(
      [`kmf-simple-dkms_1.0-1_all.deb`, `kmf-simple-modules-${kernel.release}_1.0-1_amd64.deb`].sort(),
    );
  });

  it('verify boots the custom kernel from its linux-image package and loads the module', async () => {
    const started = performance.now();
    const run = await runCli(
      '--root',
      root,
      '--json',
      'verify',
      'kmf-simple/1.0',
      '-k',
      kernel.release,
      '--kernel-package',
      kernel.deb.image,
      '--timeout',
      '90',
    );
    const seconds = (performance.now() - started) / 1000;
    console.log(`verify on ${kernel.release}: ${seconds.toFixed(1)} s`);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const lines = jsonLines(run.stdout);
    expect(lines.filter((l) => l['type'] === 'load').map((l) => [l['name'], l['status']])).toEqual([
      ['kmf_simple', 'loaded'],
    ]);
    expect(lines.find((l) => l['type'] === 'result')).toMatchObject({ ok: true, boot: 'pvh' });
    // The guest powered itself off: a kernel that only halts keeps QEMU until the 90 s limit.
    expect(seconds).toBeLessThan(60);
  });
});
