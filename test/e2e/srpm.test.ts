/**
 * Source RPMs: `kmodforge mksrpm`, then `rpmbuild --rebuild` on a machine where neither kmodforge nor dkms
 * can run (both are shadowed on PATH by scripts that record the call and exit 127), for the installed
 * kernels, by kernel list, by flavor and by the seed's targetboard; the fixtures (with a userland
 * subpackage) and one real multi-module Debian package.
 */
import { execFile as execFileCallback } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDistro } from '../../src/conf/distro.ts';
import { readModuleConf } from '../../src/conf/read.ts';
import { planKernelCc, planMakeCommand } from '../../src/build/make-command.ts';
import { isOnPath } from '../../src/exec/which.ts';
import { readKernel } from '../../src/kernel/discover.ts';
import { kmodBuildScriptUrl } from '../../src/package/rpm/source-spec.ts';
import { resolvePaths } from '../../src/paths.ts';
import { ensureMokKeyPair } from '../../src/sign/mok.ts';
import { debianDkmsPackages, fetchDebianDkmsPackage } from '../support/debian-dkms.ts';
import { verifyModuleSignature } from '../support/module-signature.ts';
import { spawnCli } from '../support/spawn-cli.ts';
import {
  arch,
  fixtureDir,
  kernelOfFlavor,
  makeTempDir,
  makeTestRoot,
  modinfo,
  sha256File,
  type TestRoot,
} from '../support/test-root.ts';

const execFile = promisify(execFileCallback);
const hasRpmbuild = existsSync('/usr/bin/rpmbuild');
const sourceDateEpoch = '1700000000';
const helper = new URL(kmodBuildScriptUrl).pathname;

interface Exec {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program and returns how it ended, without throwing. */
async function exec(
  file: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<Exec> {
  try {
    const { stdout, stderr } = await execFile(file, [...args], { maxBuffer: 256 * 1024 * 1024, ...options });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number | string; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

async function ok(
  file: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
) {
  const result = await exec(file, args, options);
  if (result.code !== 0)
    throw new Error(`${file} ${args.join(' ')} exited ${result.code}:\n${result.stdout}${result.stderr}`);
  return result.stdout;
}

const isRt = (kernel: string): boolean => kernel.includes('-rt-');

describe.skipIf(!hasRpmbuild)('source RPMs rebuilt by rpmbuild alone', () => {
  let t: TestRoot;
  let tmp: string;
  /** PATH for rpmbuild: the shadow directory first. */
  let buildPath: string;
  let forbiddenLog: string;
  let home: string;
  let gost: { name: string; version: string };

  const srpmOf = (module: string, version: string): string =>
    path.join(t.dkmsTree, module, version, 'rpm', `${module}-kmod-${version.replaceAll('-', '_')}-1.src.rpm`);

  /**
   * kmodforge mksrpm with SOURCE_DATE_EPOCH set, as it ships (the bundle), which must find kmod-build.sh
   * and source.spec.in beside its chunks.
   */
  async function mksrpm(...args: string[]): Promise<Awaited<ReturnType<TestRoot['cli']>>> {
    const run = await spawnCli(['--root', t.root, 'mksrpm', ...args], {
      env: { SOURCE_DATE_EPOCH: sourceDateEpoch },
    });
    return { ...run, code: run.code ?? -1 };
  }

  /** rpmbuild --rebuild in a private _topdir with dkms and kmodforge shadowed; the RPMs it wrote. */
  async function rebuild(
    srpm: string,
    defines: Readonly<Record<string, string>>,
  ): Promise<Exec & { rpms: string[]; seconds: number }> {
    const top = await mkdtemp(path.join(tmp, 'top-'));
    const args = [
      '--rebuild',
      srpm,
      '--define',
      `_topdir ${top}`,
      ...Object.entries(defines).flatMap(([name, value]) => ['--define', `${name} ${value}`]),
    ];
    const started = performance.now();
    const result = await exec('rpmbuild', args, { env: { ...process.env, PATH: buildPath, HOME: home } });
    const seconds = (performance.now() - started) / 1000;
    const rpmDir = path.join(top, 'RPMS', os.machine());
    const rpms = existsSync(rpmDir) ? (await readdir(rpmDir)).sort().map((f) => path.join(rpmDir, f)) : [];
    return { ...result, rpms, seconds };
  }

  /** The package's files, extracted with rpm2cpio | cpio into a fresh directory. */
  async function extract(rpm: string): Promise<string> {
    const dir = await mkdtemp(path.join(tmp, 'x-'));
    await ok('bash', ['-c', 'rpm2cpio "$1" | cpio -idm --quiet', 'extract', rpm], { cwd: dir });
    return dir;
  }

  const query = async (rpm: string, ...args: string[]): Promise<string[]> =>
    (await ok('rpm', ['-qp', ...args, rpm])).split('\n').filter((l) => l !== '');

  beforeAll(async () => {
    t = await makeTestRoot({ prefix: 'kmf-srpm-' });
    tmp = await makeTempDir('kmf-srpm-tmp-');
    home = path.join(tmp, 'home');
    await mkdir(home);
    const shadow = path.join(tmp, 'shadow');
    await mkdir(shadow);
    forbiddenLog = path.join(tmp, 'forbidden.log');
    for (const tool of ['dkms', 'kmodforge']) {
      const file = path.join(shadow, tool);
      await writeFile(file, `#!/bin/sh\necho "${tool} $*" >>'${forbiddenLog}'\nexit 127\n`);
      await chmod(file, 0o755);
    }
    buildPath = `${shadow}:${process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin'}`;
    for (const tool of ['dkms', 'kmodforge']) {
      const found = await ok('bash', ['-c', `command -v ${tool}`], { env: { PATH: buildPath } });
      expect(found.trim()).toBe(path.join(shadow, tool));
    }
    for (const fixture of ['kmf-simple', 'kmf-patched', 'kmf-exclusive']) {
      const add = await t.cli('add', fixtureDir(fixture));
      expect(add.code, add.stderr).toBe(0);
      const made = await mksrpm(`${fixture}/1.0`);
      expect(made.code, made.stderr).toBe(0);
    }
    const fetched = await fetchDebianDkmsPackage('gost-crypto-dkms');
    gost = { name: fetched.packageName, version: fetched.packageVersion };
    const add = await t.cli('add', fetched.sourceDir);
    expect(add.code, add.stderr).toBe(0);
    const made = await mksrpm(`${gost.name}/${gost.version}`);
    expect(made.code, made.stderr).toBe(0);
  });
  afterAll(async () => {
    // Nothing that ran under rpmbuild called dkms or kmodforge.
    expect(existsSync(forbiddenLog) ? await readFile(forbiddenLog, 'utf8') : '').toBe('');
    await t.cleanup();
    await rm(tmp, { recursive: true, force: true });
  });

  it('writes <dkmstree>/M/V/rpm/M-kmod-V-1.src.rpm with the source, dkms.conf, kmod-build.sh and the spec', async () => {
    const srpm = srpmOf('kmf-patched', '1.0');
    const { stdout } = await t.cli('mksrpm', 'kmf-patched/1.0', '--out', path.join(tmp, 'again'));
    expect(stdout).toBe(`Wrote ${path.join(tmp, 'again', 'kmf-patched-kmod-1.0-1.src.rpm')}\n`);
    expect(await query(srpm, '-l')).toEqual([
      'dkms.conf',
      'kmf-patched-1.0.tar.gz',
      'kmf-patched-kmod.spec',
      'kmod-build.sh',
    ]);
    expect(
      await query(srpm, '--qf', '%{NAME} %{VERSION} %{RELEASE} %{LICENSE} %{BUILDHOST} %{BUILDTIME}\n'),
    ).toEqual([`kmf-patched-kmod 1.0 1 GPL-2.0-or-later reproducible ${sourceDateEpoch}`]);
    const dir = await extract(srpm);
    const listing = (await ok('tar', ['-tzvf', path.join(dir, 'kmf-patched-1.0.tar.gz')])).split('\n');
    const names = listing.filter((l) => l !== '').map((l) => l.split(/\s+/).slice(5).join(' '));
    expect(names).toEqual([
      'kmf-patched-1.0/',
      'kmf-patched-1.0/Makefile',
      'kmf-patched-1.0/dkms.conf',
      'kmf-patched-1.0/kmf_patched.c',
      'kmf-patched-1.0/patches/',
      'kmf-patched-1.0/patches/0001-always.patch',
      'kmf-patched-1.0/patches/0002-rt-only.patch',
    ]);
    expect(listing.filter((l) => l !== '').every((l) => l.includes(' 0/0 '))).toBe(true);
    expect(await readFile(path.join(dir, 'kmod-build.sh'), 'utf8')).toBe(await readFile(helper, 'utf8'));
    expect(await readFile(path.join(dir, 'dkms.conf'), 'utf8')).toBe(
      await readFile(path.join(fixtureDir('kmf-patched'), 'dkms.conf'), 'utf8'),
    );
  });

  it('gives a byte-identical .src.rpm for the same source and SOURCE_DATE_EPOCH', async () => {
    const out = path.join(tmp, 'repeat');
    const made = await mksrpm('kmf-patched/1.0', '--out', out);
    expect(made.code, made.stderr).toBe(0);
    expect(await sha256File(path.join(out, 'kmf-patched-kmod-1.0-1.src.rpm'))).toBe(
      await sha256File(srpmOf('kmf-patched', '1.0')),
    );
  });

  it('refuses a module that is not added (exit 3) and a release with "-" (exit 2)', async () => {
    expect((await t.cli('mksrpm', 'nope/1.0')).code).toBe(3);
    const bad = await t.cli('mksrpm', 'kmf-simple/1.0', '--release', '1-2');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--release "1-2"');
  });

  it('rebuilds kmf-simple for every kernel: one kmod-kmf-simple-K per kernel, built against K', async () => {
    const r = await rebuild(srpmOf('kmf-simple', '1.0'), { kernels: t.kernels.join(' ') });
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    console.log(`rpmbuild --rebuild kmf-simple for ${t.kernels.length} kernels: ${r.seconds.toFixed(1)} s`);
    expect(r.rpms.map((f) => path.basename(f))).toEqual(
      t.kernels.map((k) => `kmod-kmf-simple-${k}-1.0-1.${os.machine()}.rpm`).sort(),
    );
    for (const k of t.kernels) {
      const rpm = r.rpms.find((f) => path.basename(f).startsWith(`kmod-kmf-simple-${k}-1.0`)) ?? '';
      expect(await query(rpm, '-l')).toEqual([`/lib/modules/${k}/updates/dkms/kmf_simple.ko`]);
      expect(await query(rpm, '-R')).toContain(`kernel-uname-r = ${k}`);
      expect(await query(rpm, '--provides')).toEqual(
        expect.arrayContaining(['kmod(kmf_simple.ko) = 1.0-1', 'kmf-simple-kmod = 1.0-1']),
      );
      const scripts = (await query(rpm, '--scripts')).join('\n');
      expect(scripts).toContain('postinstall scriptlet (using <lua>)');
      expect(scripts).toContain(`pcall(rpm.execute, d, "-a", "${k}")`);
      const ko = path.join(await extract(rpm), 'lib/modules', k, 'updates/dkms/kmf_simple.ko');
      expect((await modinfo('vermagic', ko)).startsWith(`${k} `)).toBe(true);
      expect(await modinfo('version', ko)).toBe('1.0');
      // STRIP defaults to yes: strip -g, although the kernels build modules with debug info.
      expect(await ok('readelf', ['-S', '-W', ko])).not.toContain('.debug_');
    }
  });

  it('kmf-scripts: PRE_BUILD and POST_BUILD run in the build directory of each kernel', async () => {
    const add = await t.cli('add', fixtureDir('kmf-scripts'));
    expect(add.code, add.stderr).toBe(0);
    expect((await mksrpm('kmf-scripts/1.0')).code).toBe(0);
    const k = kernelOfFlavor(t.kernels, 'cloud-amd64');
    const r = await rebuild(srpmOf('kmf-scripts', '1.0'), { kernels: k });
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    expect(r.stderr).toContain('kmod-build.sh: running PRE_BUILD: scripts/pre_build.sh');
    expect(r.stderr).toContain('kmod-build.sh: running POST_BUILD: scripts/post_build.sh');
    expect(r.stderr.indexOf('running PRE_BUILD')).toBeLessThan(r.stderr.indexOf('running POST_BUILD'));
    expect(await query(r.rpms[0] ?? '', '-l')).toEqual([`/lib/modules/${k}/updates/dkms/kmf_scripts.ko`]);
  });

  it('kmf-patched: PATCH[0] in every package, PATCH[1] (PATCH_MATCH "-rt-") in the rt one only', async () => {
    expect(t.kernels.filter(isRt)).toHaveLength(1);
    const r = await rebuild(srpmOf('kmf-patched', '1.0'), { kernels: t.kernels.join(' ') });
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    console.log(`rpmbuild --rebuild kmf-patched for ${t.kernels.length} kernels: ${r.seconds.toFixed(1)} s`);
    expect(r.rpms).toHaveLength(t.kernels.length);
    for (const k of t.kernels) {
      const rpm = r.rpms.find((f) => path.basename(f).startsWith(`kmod-kmf-patched-${k}-1.0`)) ?? '';
      const ko = path.join(await extract(rpm), 'lib/modules', k, 'updates/dkms/kmf_patched.ko');
      expect((await modinfo('vermagic', ko)).startsWith(`${k} `)).toBe(true);
      expect([k, await modinfo('kmf_patch0', ko)]).toEqual([k, 'applied']);
      expect([k, await modinfo('kmf_patch1', ko)]).toEqual([k, isRt(k) ? 'applied' : 'no']);
    }
    expect(r.stdout + r.stderr).toContain('kmod-build.sh: applying patch 0002-rt-only.patch');
  });

  it("--define 'flavors rt-amd64' builds exactly the rt kernel", async () => {
    const rt = kernelOfFlavor(t.kernels, 'rt-amd64');
    const r = await rebuild(srpmOf('kmf-patched', '1.0'), { flavors: 'rt-amd64' });
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    expect(r.rpms.map((f) => path.basename(f))).toEqual([`kmod-kmf-patched-${rt}-1.0-1.${os.machine()}.rpm`]);
    const ko = path.join(await extract(r.rpms[0] ?? ''), 'lib/modules', rt, 'updates/dkms/kmf_patched.ko');
    expect(await modinfo('kmf_patch1', ko)).toBe('applied');
  });

  it("--define 'flavors amd64 cloud-amd64' builds those two flavors, not rt-amd64", async () => {
    const r = await rebuild(srpmOf('kmf-simple', '1.0'), { flavors: 'amd64 cloud-amd64' });
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    expect(r.rpms.map((f) => path.basename(f))).toEqual(
      [kernelOfFlavor(t.kernels, 'amd64'), kernelOfFlavor(t.kernels, 'cloud-amd64')]
        .map((k) => `kmod-kmf-simple-${k}-1.0-1.${os.machine()}.rpm`)
        .sort(),
    );
  });

  it("--define 'targetboard rt-amd64' (the seed's idiom) builds that flavor's kernels, as flavors does", async () => {
    const rt = kernelOfFlavor(t.kernels, 'rt-amd64');
    const r = await rebuild(srpmOf('kmf-simple', '1.0'), { targetboard: 'rt-amd64' });
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    expect(r.rpms.map((f) => path.basename(f))).toEqual([`kmod-kmf-simple-${rt}-1.0-1.${os.machine()}.rpm`]);
    const ko = path.join(await extract(r.rpms[0] ?? ''), 'lib/modules', rt, 'updates/dkms/kmf_simple.ko');
    expect((await modinfo('vermagic', ko)).startsWith(`${rt} `)).toBe(true);
    const none = await rebuild(srpmOf('kmf-simple', '1.0'), { targetboard: 'host108' });
    expect(none.code).not.toBe(0);
    expect(none.stderr).toContain(
      'kmod-build.sh: error: no installed kernel with headers is of flavor host108 (',
    );
  });

  it('kmf-userland: USERLAND_BUILD and USERLAND_FILE make kmf-userland-kmod-common, which each kernel package requires', async () => {
    const add = await t.cli('add', fixtureDir('kmf-userland'));
    expect(add.code, add.stderr).toBe(0);
    expect((await mksrpm('kmf-userland/1.0')).code).toBe(0);
    const kernels = [kernelOfFlavor(t.kernels, 'amd64'), kernelOfFlavor(t.kernels, 'cloud-amd64')];
    const r = await rebuild(srpmOf('kmf-userland', '1.0'), { kernels: kernels.join(' ') });
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    expect(r.stderr).toContain('kmod-build.sh: running USERLAND_BUILD: make -C tools');
    const common = `kmf-userland-kmod-common-1.0-1.${os.machine()}.rpm`;
    expect(r.rpms.map((f) => path.basename(f))).toEqual(
      [common, ...kernels.map((k) => `kmod-kmf-userland-${k}-1.0-1.${os.machine()}.rpm`)].sort(),
    );
    const commonRpm = r.rpms.find((f) => path.basename(f) === common) ?? '';
    expect(
      await query(commonRpm, '--qf', '[%{FILEMODES:perms} %{FILEUSERNAME}:%{FILEGROUPNAME} %{FILENAMES}\n]'),
    ).toEqual([
      '-rwxr-xr-x root:root /usr/bin/kmf-userland-ctl',
      '-rw-r--r-- root:root /usr/lib/modprobe.d/kmf-userland.conf',
      '-rw-r--r-- root:root /usr/lib/udev/rules.d/90-kmf-userland.rules',
    ]);
    for (const k of kernels) {
      const rpm = r.rpms.find((f) => path.basename(f).startsWith(`kmod-kmf-userland-${k}-1.0`)) ?? '';
      expect(await query(rpm, '-l')).toEqual([`/lib/modules/${k}/updates/dkms/kmf_userland.ko`]);
      expect(await query(rpm, '-R')).toEqual(
        expect.arrayContaining([`kernel-uname-r = ${k}`, 'kmf-userland-kmod-common = 1.0-1']),
      );
    }
    const dir = await extract(commonRpm);
    const ctl = path.join(dir, 'usr/bin/kmf-userland-ctl');
    expect(await ok(ctl, [])).toBe('kmf-userland-ctl 1.0\n');
    // ELF programs are stripped, as kmodforge's own packages strip them.
    expect(await ok('readelf', ['-S', '-W', ctl])).not.toMatch(/\.symtab|\.comment/);
    expect(await readFile(path.join(dir, 'usr/lib/modprobe.d/kmf-userland.conf'), 'utf8')).toBe(
      await readFile(path.join(fixtureDir('kmf-userland'), 'kmf-userland.conf'), 'utf8'),
    );
    // rpm installs the userland and every kernel's modules together.
    const root = await mkdtemp(path.join(tmp, 'root-'));
    await ok('rpm', ['-i', '--root', root, '--nodeps', '--noplugins', ...r.rpms]);
    expect(existsSync(path.join(root, 'usr/lib/udev/rules.d/90-kmf-userland.rules'))).toBe(true);
  });

  it('a module without USERLAND_FILE gets no userland package and no requirement of one', async () => {
    const k = kernelOfFlavor(t.kernels, 'amd64');
    const r = await rebuild(srpmOf('kmf-simple', '1.0'), { kernels: k });
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    expect(r.rpms.map((f) => path.basename(f))).toEqual([`kmod-kmf-simple-${k}-1.0-1.${os.machine()}.rpm`]);
    expect((await query(r.rpms[0] ?? '', '-R')).filter((req) => req.includes('kmod-common'))).toEqual([]);
  });

  it('BUILD_EXCLUSIVE_KERNEL: only the rt kernel gets a package; nothing left to build fails, saying why', async () => {
    const rt = kernelOfFlavor(t.kernels, 'rt-amd64');
    const all = await rebuild(srpmOf('kmf-exclusive', '1.0'), { kernels: t.kernels.join(' ') });
    expect(all.code, all.stderr.slice(-3000)).toBe(0);
    expect(all.rpms.map((f) => path.basename(f))).toEqual([
      `kmod-kmf-exclusive-${rt}-1.0-1.${os.machine()}.rpm`,
    ]);
    const amd64 = kernelOfFlavor(t.kernels, 'amd64');
    expect(all.stderr).toContain(
      `kmod-build.sh: no package for ${amd64}: kernel ${amd64} does not match BUILD_EXCLUSIVE_KERNEL="-rt-amd64$"`,
    );
    const none = await rebuild(srpmOf('kmf-exclusive', '1.0'), { kernels: amd64 });
    expect(none.code).not.toBe(0);
    expect(none.rpms).toEqual([]);
    expect(none.stderr).toContain('kmod-build.sh: error: no kernel to build kmf-exclusive/1.0 for');
  });

  it('without a define, builds for the running kernel, or says that it has no headers', async () => {
    const running = os.release();
    const r = await rebuild(srpmOf('kmf-simple', '1.0'), {});
    if (existsSync(`/lib/modules/${running}/build/include`)) {
      expect(r.code, r.stderr.slice(-3000)).toBe(0);
      expect(r.rpms.map((f) => path.basename(f))).toEqual([
        `kmod-kmf-simple-${running}-1.0-1.${os.machine()}.rpm`,
      ]);
    } else {
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(`kmod-build.sh: error: no headers for kernel ${running}`);
    }
  });

  it('fails clearly for a kernel without headers', async () => {
    const r = await rebuild(srpmOf('kmf-simple', '1.0'), { kernels: '9.9.9-1-nope' });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('kmod-build.sh: error: no headers for kernel 9.9.9-1-nope');
  });

  it('signs with kmod_sign_key/kmod_sign_cert and the kernel sign-file, after strip', async () => {
    const key = path.join(tmp, 'keys', 'mok.key');
    const cert = path.join(tmp, 'keys', 'mok.der');
    await ensureMokKeyPair(key, cert);
    const k = kernelOfFlavor(t.kernels, 'amd64');
    const r = await rebuild(srpmOf('kmf-simple', '1.0'), {
      kernels: k,
      kmod_sign_key: key,
      kmod_sign_cert: cert,
    });
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    expect(r.stderr).toMatch(/kmod-build\.sh: signing kmf_simple\.ko with \S+sign-file sha256/);
    const ko = path.join(await extract(r.rpms[0] ?? ''), 'lib/modules', k, 'updates/dkms/kmf_simple.ko');
    await verifyModuleSignature(ko, cert);
    expect(await modinfo('sig_hashalgo', ko)).toBe('sha256');
  });

  it('gost-crypto-dkms (six modules, MAKE with ${dkms_tree}): all six for the amd64 kernel', async () => {
    const k = kernelOfFlavor(t.kernels, 'amd64');
    const r = await rebuild(srpmOf(gost.name, gost.version), { kernels: k });
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    console.log(`rpmbuild --rebuild ${gost.name} for one kernel: ${r.seconds.toFixed(1)} s`);
    expect(r.rpms.map((f) => path.basename(f))).toEqual([
      `kmod-${gost.name}-${k}-${gost.version}-1.${os.machine()}.rpm`,
    ]);
    const rpm = r.rpms[0] ?? '';
    const modules = [
      'gost28147_generic',
      'gosthash94_generic',
      'kuznyechik_generic',
      'magma_generic',
      'streebog_generic',
      'gost-test',
    ];
    expect(await query(rpm, '-l')).toEqual(
      modules.map((m) => `/lib/modules/${k}/updates/dkms/${m}.ko`).sort(),
    );
    expect(await query(rpm, '--provides')).toEqual(
      expect.arrayContaining(modules.map((m) => `kmod(${m}.ko) = ${gost.version}-1`)),
    );
    const dir = await extract(rpm);
    for (const m of modules) {
      const vermagic = await modinfo('vermagic', path.join(dir, 'lib/modules', k, 'updates/dkms', `${m}.ko`));
      expect([m, vermagic.startsWith(`${k} `)]).toEqual([m, true]);
    }
  });

  it('installs into an empty --root (no /bin/sh, no depmod): the Lua scriptlets pass', async () => {
    const k = kernelOfFlavor(t.kernels, 'amd64');
    const r = await rebuild(srpmOf('kmf-simple', '1.0'), { kernels: k });
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const root = await mkdtemp(path.join(tmp, 'root-'));
    await ok('rpm', ['-i', '--root', root, '--nodeps', '--noplugins', r.rpms[0] ?? '']);
    expect(existsSync(path.join(root, 'lib/modules', k, 'updates/dkms/kmf_simple.ko'))).toBe(true);
    await ok('rpm', ['-e', '--root', root, '--nodeps', '--noplugins', `kmod-kmf-simple-${k}`]);
    expect(existsSync(path.join(root, 'lib/modules', k, 'updates/dkms/kmf_simple.ko'))).toBe(false);
  });

  it('rpmlint: the only errors are no-signature; signed with a throwaway key, none', async () => {
    const k = kernelOfFlavor(t.kernels, 'rt-amd64');
    const r = await rebuild(srpmOf('kmf-patched', '1.0'), { kernels: k });
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const lintDir = await mkdtemp(path.join(tmp, 'lint-'));
    const files = [srpmOf('kmf-patched', '1.0'), r.rpms[0] ?? ''];
    for (const f of files) await copyFile(f, path.join(lintDir, path.basename(f)));
    const copies = files.map((f) => path.join(lintDir, path.basename(f)));
    const lint = async (env: NodeJS.ProcessEnv): Promise<string[]> => {
      const result = await exec('rpmlint', copies, { env: { ...process.env, ...env } });
      return result.stdout.split('\n').filter((l) => /: [EW]: /.test(l));
    };
    const unsigned = await lint({ HOME: home });
    console.log(`rpmlint (unsigned):\n${unsigned.join('\n')}`);
    expect(unsigned.filter((l) => l.includes(': E: ') && !l.endsWith(': E: no-signature'))).toEqual([]);

    // A distributor signs packages; rpmlint then checks the signature against its rpm database.
    const gnupg = path.join(lintDir, 'gnupg');
    await mkdir(gnupg, { mode: 0o700 });
    const gpgEnv = { ...process.env, GNUPGHOME: gnupg };
    await ok(
      'gpg',
      [
        '--batch',
        '--passphrase',
        '',
        '--quick-gen-key',
        'kmf test <t@kmodforge.invalid>',
        'rsa2048',
        'sign',
        'never',
      ],
      { env: gpgEnv },
    );
    const gpg = (await ok('bash', ['-c', 'command -v gpg'])).trim();
    await ok(
      'rpmsign',
      ['--addsign', '--define', '_gpg_name kmf test', '--define', `__gpg ${gpg}`, ...copies],
      { env: gpgEnv },
    );
    const lintHome = path.join(lintDir, 'home');
    await mkdir(path.join(lintHome), { recursive: true });
    await writeFile(path.join(lintHome, '.rpmmacros'), `%_dbpath ${path.join(lintDir, 'db')}\n`);
    await writeFile(
      path.join(lintDir, 'key.asc'),
      await ok('gpg', ['--armor', '--export', 'kmf test'], { env: gpgEnv }),
    );
    await ok('rpm', ['--initdb'], { env: { ...process.env, HOME: lintHome } });
    await ok('rpm', ['--import', path.join(lintDir, 'key.asc')], { env: { ...process.env, HOME: lintHome } });
    await ok('gpgconf', ['--kill', 'gpg-agent'], { env: gpgEnv });
    const signed = await lint({ HOME: lintHome });
    console.log(`rpmlint (signed):\n${signed.join('\n')}`);
    expect(signed.filter((l) => l.includes(': E: '))).toEqual([]);
  });

  describe('kmod-build.sh reads dkms.conf as kmodforge does', () => {
    const work = '/tmp/kmf-parity-work';
    const sourceTree = '/tmp/kmf-parity-src';

    /** kmod-build.sh resolve <K>: its tab-separated lines. */
    async function helperResolve(
      confPath: string,
      name: string,
      version: string,
      kernel: string,
    ): Promise<Exec> {
      return exec('bash', [helper, 'resolve', kernel], {
        env: {
          PATH: process.env['PATH'] ?? '',
          HOME: home,
          KMF_NAME: name,
          KMF_VERSION: version,
          KMF_CONF: confPath,
          KMF_SOURCE_TREE: sourceTree,
          KMF_WORK: work,
          KMF_ARCH: arch,
          KMF_JOBS: '3',
        },
      });
    }

    /** The same lines from kmodforge's own reading of the file. */
    async function kmodforgeResolve(
      confPath: string,
      name: string,
      version: string,
      kernel: string,
    ): Promise<string> {
      const paths = resolvePaths({ sourceTree });
      const info = await readKernel(paths, kernel);
      const conf = await readModuleConf({
        confPath,
        paths,
        kernel: info,
        arch,
        distro: await readDistro('/'),
        module: { name, version },
        dkmsTreeVar: path.join(work, kernel, 'tree'),
        parallelJobs: 3,
      });
      const cc = planKernelCc(info.config);
      const make = planMakeCommand(conf.make.command, {
        jobs: 3,
        jobserver: false,
        kernel,
        config: info.config,
        defaultCc: conf.make.index === undefined && cc !== undefined && isOnPath(cc) ? cc : undefined,
      });
      return [
        `excluded\t${conf.exclusion?.reason ?? ''}`,
        `make_directive\t${conf.make.index ?? ''}\t${conf.make.command}`,
        `make\t${make}`,
        ...conf.patches.map((p) => `patch\t${p}`),
        ...conf.modules.map(
          (m) =>
            `module\t${m.index}\t${m.builtName}\t${m.builtLocation}\t${m.destName}\t${m.destLocation}\t${m.strip ? 'yes' : 'no'}`,
        ),
        `pre_build\t${conf.scripts.preBuild ?? ''}`,
        `post_build\t${conf.scripts.postBuild ?? ''}`,
        `userland_build\t${conf.userland?.build ?? ''}`,
        ...(conf.userland?.files ?? []).map(
          (f) => `userland\t${f.source}\t${f.dest}\t${f.mode.toString(8).padStart(4, '0')}`,
        ),
        '',
      ].join('\n');
    }

    /**
     * Compares both readings for every kernel, with the name and version of a registered module (as
     * builds read it); where kmodforge rejects the file, kmod-build.sh must fail too. Returns how many
     * kernels resolved.
     */
    async function compare(confPath: string, name: string, version: string): Promise<number> {
      let resolved = 0;
      for (const kernel of t.kernels) {
        let expected: string | undefined;
        try {
          expected = await kmodforgeResolve(confPath, name, version, kernel);
        } catch {
          expected = undefined;
        }
        const got = await helperResolve(confPath, name, version, kernel);
        if (expected === undefined) {
          expect([confPath, kernel, got.code === 0]).toEqual([confPath, kernel, false]);
          continue;
        }
        expect([confPath, kernel, got.stdout, got.stderr.includes('error'), got.code]).toEqual([
          confPath,
          kernel,
          expected,
          false,
          0,
        ]);
        resolved++;
      }
      return resolved;
    }

    it('for every fixture and kernel', async () => {
      const fixtures = await readdir(path.join(fixtureDir('kmf-simple'), '..'));
      let resolved = 0;
      for (const f of fixtures) {
        const confPath = path.join(fixtureDir(f), 'dkms.conf');
        const text = await readFile(confPath, 'utf8');
        // The fixtures assign both literally.
        const value = (key: string): string =>
          new RegExp(`^${key}="?([^"\\n]*)"?$`, 'm').exec(text)?.[1] ?? '';
        resolved += await compare(confPath, value('PACKAGE_NAME'), value('PACKAGE_VERSION'));
      }
      // Every fixture but bad-conf is a valid dkms.conf.
      expect(resolved).toBe((fixtures.length - 1) * t.kernels.length);
    });

    it("for the Debian packages' dkms.conf files and every kernel", async () => {
      let resolved = 0;
      for (const pkg of debianDkmsPackages) {
        const fetched = await fetchDebianDkmsPackage(pkg);
        resolved += await compare(fetched.confPath, fetched.packageName, fetched.packageVersion);
      }
      console.log(`kmod-build.sh resolve agreed with kmodforge on ${resolved} (package, kernel) pairs`);
      expect(resolved).toBeGreaterThan(0);
    });
  });
});
