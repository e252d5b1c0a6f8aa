/**
 * kmodforge as the system's dkms, on this machine: its .deb replaces the dkms package, then real Debian
 * `*-dkms` packages are installed and purged with apt-get, and the kernel hooks are run for real.
 *
 * This changes the live system (/usr/sbin/dkms, /var/lib/dkms, /lib/modules/<K>/updates/dkms), so it is its
 * own vitest project, run after every other test (scripts/test.sh), and afterAll puts the system back: the
 * dkms packages are purged, kmodforge's package is purged and the dkms package that was installed before is
 * installed again.
 */
import { execFile as execFileCallback } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchDebianDkmsPackage, installedKernels, repoRoot } from '../support/debian-dkms.ts';

const execFile = promisify(execFileCallback);

async function sh(
  command: string,
  args: readonly string[],
  cwd?: string,
): Promise<{ stdout: string; stderr: string }> {
  return execFile(command, args, {
    cwd,
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive', LC_ALL: 'C' },
    maxBuffer: 256 * 1024 * 1024,
  });
}

async function installedVersion(pkg: string): Promise<string | undefined> {
  try {
    const { stdout } = await sh('dpkg-query', ['-W', '-f=${db:Status-Status} ${Version}', pkg]);
    const [status, version] = stdout.split(' ');
    return status === 'installed' ? version : undefined;
  } catch {
    return undefined;
  }
}

async function findFiles(dir: string, name: RegExp): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const entries = await readdir(dir, { recursive: true });
  return entries.filter((e) => name.test(path.basename(e))).sort();
}

const kernels = installedKernels();
/** Whether a kernel's .config sets an option (y or m). */
function kernelHas(kernel: string, option: string): boolean {
  const config = path.join('/lib/modules', kernel, 'build', '.config');
  return existsSync(config) && new RegExp(`^${option}=[ym]$`, 'm').test(readFileSync(config, 'utf8'));
}

const packages = [
  {
    deb: 'v4l2loopback-dkms',
    module: 'v4l2loopback',
    files: ['v4l2loopback.ko'],
    // Its dkms.conf makes itself BUILD_EXCLUSIVE to kernels with video support (not cloud-amd64).
    kernels: kernels.filter((k) => kernelHas(k, 'CONFIG_VIDEO_DEV')),
  },
  {
    deb: 'gost-crypto-dkms',
    module: 'gost-crypto',
    files: ['gost28147_generic.ko', 'kuznyechik_generic.ko', 'gost-test.ko'],
    kernels,
  },
];

/** The files of the dkms package that kmodforge's package takes over. */
const systemFiles = [
  '/etc/kernel/postinst.d/dkms',
  '/etc/kernel/header_postinst.d/dkms',
  '/etc/kernel/prerm.d/dkms',
  '/usr/lib/dkms/common.postinst',
];

/** Holds the dkms package that was installed, to put it back. */
let keep: string;
let dkmsBefore: string | undefined;
/** The machine's module signing key pair, which the builds here create when it is missing. */
const signingFiles = ['/var/lib/dkms/mok.key', '/var/lib/dkms/mok.pub'];
let signingBefore: boolean;
let kmodforgeDeb: string;

beforeAll(async () => {
  keep = await mkdtemp(path.join(os.tmpdir(), 'kmf-system-'));
  dkmsBefore = await installedVersion('dkms');
  signingBefore = signingFiles.every((f) => existsSync(f));
  if (dkmsBefore !== undefined) await sh('apt-get', ['download', `dkms=${dkmsBefore}`], keep);
  await sh('npm', ['run', '--silent', 'deb']);
  const built = (await readdir(path.join(repoRoot, 'dist-packages'))).filter((f) =>
    /^kmodforge_.*\.deb$/.test(f),
  );
  expect(built).toHaveLength(1);
  kmodforgeDeb = path.join(repoRoot, 'dist-packages', built[0] ?? '');
  await sh('apt-get', ['install', '-y', '--no-install-recommends', kmodforgeDeb]);
}, 900_000);

afterAll(async () => {
  await sh('apt-get', ['purge', '-y', ...packages.map((p) => p.deb)]).catch(() => undefined);
  await sh('apt-get', ['purge', '-y', 'kmodforge']).catch(() => undefined);
  const saved = (await readdir(keep)).filter((f) => f.endsWith('.deb'));
  if (saved.length > 0)
    await sh('apt-get', [
      'install',
      '-y',
      '--no-install-recommends',
      ...saved.map((f) => path.join(keep, f)),
    ]);
  if (!signingBefore) await Promise.all(signingFiles.map((f) => rm(f, { force: true })));
  await rm(keep, { recursive: true, force: true });
}, 900_000);

describe('the kmodforge package in place of dkms', () => {
  it("replaced the dkms package: /usr/sbin/dkms, the hooks and common.postinst are kmodforge's", async () => {
    expect(await installedVersion('dkms')).toBeUndefined();
    expect(await installedVersion('kmodforge')).toBeDefined();
    const { stdout } = await sh('/usr/sbin/dkms', ['--version']);
    expect(stdout).toBe('dkms-3.0.10\n');
    expect(realpathSync('/usr/sbin/dkms')).toBe('/usr/bin/kmodforge');
    // dkms's own hooks call `dkms` too, which is now the front end: only their words tell them apart.
    for (const file of systemFiles) expect(readFileSync(file, 'utf8')).toContain('/usr/bin/kmodforge');
  });

  it.each(packages)(
    'apt-get install ./$deb builds and installs it for every kernel with headers',
    async (pkg) => {
      const fetched = await fetchDebianDkmsPackage(pkg.deb);
      await sh('apt-get', ['install', '-y', '--no-install-recommends', fetched.deb]);
      expect(pkg.kernels.length).toBeGreaterThan(0);
      for (const kernel of pkg.kernels) {
        const installed = await findFiles(path.join('/lib/modules', kernel, 'updates', 'dkms'), /\.ko/);
        for (const file of pkg.files)
          expect(installed.some((f) => path.basename(f).startsWith(file))).toBe(true);
      }
    },
    900_000,
  );

  it('dkms status and kmodforge status print the same lines', async () => {
    const dkms = await sh('/usr/sbin/dkms', ['status']);
    const kmodforge = await sh('/usr/bin/kmodforge', ['status']);
    expect(kmodforge.stdout).toBe(dkms.stdout);
    for (const pkg of packages)
      for (const kernel of pkg.kernels)
        expect(dkms.stdout).toMatch(new RegExp(`^${pkg.module}/[^,]+, ${kernel}, x86_64: installed$`, 'm'));
  });

  it('the kernel hooks remove and rebuild the modules of a kernel', async () => {
    const kernel = kernels[0] ?? '';
    await sh('/etc/kernel/prerm.d/dkms', [kernel]);
    expect(await findFiles(path.join('/lib/modules', kernel, 'updates', 'dkms'), /\.ko/)).toEqual([]);
    await sh('/etc/kernel/postinst.d/dkms', [kernel]);
    const installed = await findFiles(path.join('/lib/modules', kernel, 'updates', 'dkms'), /\.ko/);
    for (const pkg of packages.filter((p) => p.kernels.includes(kernel)))
      for (const file of pkg.files)
        expect(installed.some((f) => path.basename(f).startsWith(file))).toBe(true);
  }, 900_000);

  it('apt-get purge removes the modules', async () => {
    await sh('apt-get', ['purge', '-y', ...packages.map((p) => p.deb)]);
    for (const kernel of kernels)
      expect(await findFiles(path.join('/lib/modules', kernel, 'updates'), /\.ko/)).toEqual([]);
    for (const pkg of packages) expect(existsSync(path.join('/var/lib/dkms', pkg.module))).toBe(false);
  }, 900_000);
});
