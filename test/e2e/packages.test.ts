import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  listFilesWithHashes,
  makeDpkgRoot,
  makeKmodforgeShim,
  makeSigningKey,
  run,
  runChecker,
} from '../support/packages.ts';
import { makeTestRoot, type TestRoot } from '../support/test-root.ts';

const simple = path.resolve('test/fixtures/modules/kmf-simple');
const multi = path.resolve('test/fixtures/modules/kmf-multi');
let t: TestRoot;
let out: string;
let staged: string;

const onlyModules = (rel: string): boolean => rel.startsWith('lib/modules/') && /\.ko(\.\w+)?$/.test(rel);

beforeAll(async () => {
  t = await makeTestRoot({ prefix: 'kmf-pkg-' });
  out = await mkdtemp(path.join(os.tmpdir(), 'kmf-pkg-out-'));
  staged = await mkdtemp(path.join(os.tmpdir(), 'kmf-pkg-staged-'));
  const install = await t.cli('install', simple, '--all-kernels', '--destdir', staged);
  expect(install.code, install.stderr).toBe(0);
});
afterAll(async () => {
  await t.cleanup();
  await rm(out, { recursive: true, force: true });
  await rm(staged, { recursive: true, force: true });
});

describe('binary RPMs', () => {
  let signing: Awaited<ReturnType<typeof makeSigningKey>>;
  const rpmDir = (): string => path.join(out, 'rpm');

  beforeAll(async () => {
    signing = await makeSigningKey();
    process.env['GNUPGHOME'] = signing.gnupgHome;
    const made = await t.cli(
      'mkrpm',
      'kmf-simple/1.0',
      '--all-kernels',
      '--out',
      rpmDir(),
      '--gpg-key',
      signing.keyId,
    );
    delete process.env['GNUPGHOME'];
    expect(made.code, made.stderr).toBe(0);
  });

  it('makes one kmod package per kernel and one meta package per flavor', async () => {
    const files = (await readdir(rpmDir())).sort();
    expect(files).toEqual(
      [
        ...t.kernels.map((k) => `kmod-kmf-simple-${k}-1.0-1.x86_64.rpm`),
        ...t.kernels.map((k) => `kmod-kmf-simple-${k.replace(/^[\d.]+-\d+-/, '')}-1.0-1.noarch.rpm`),
      ].sort(),
    );
  });

  it("lists the modules under each kernel's module directory and requires exactly that kernel", async () => {
    for (const kernel of t.kernels) {
      const file = path.join(rpmDir(), `kmod-kmf-simple-${kernel}-1.0-1.x86_64.rpm`);
      expect((await run('rpm', ['-qpl', file])).stdout.trim().split('\n')).toEqual([
        `/lib/modules/${kernel}/updates/dkms/kmf_simple.ko`,
      ]);
      const requires = (await run('rpm', ['-qpR', file])).stdout;
      expect(requires).toContain(`kernel-uname-r = ${kernel}`);
      const provides = (await run('rpm', ['-qp', '--provides', file])).stdout;
      expect(provides).toContain('kmod(kmf_simple.ko) = 1.0-1');
      const scripts = (await run('rpm', ['-qp', '--scripts', file])).stdout;
      expect(scripts).toContain(`rpm.execute(depmod, "-a", "${kernel}")`);
    }
  });

  it('passes rpmlint without errors', async () => {
    const files = (await readdir(rpmDir())).map((f) => path.join(rpmDir(), f));
    const lint = await runChecker('rpmlint', files, { ...process.env, HOME: signing.rpmHome });
    expect(lint).toMatch(/ 0 errors, /);
  });

  it('installs with rpm --root exactly the files install --destdir stages', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'kmf-rpmroot-'));
    const files = (await readdir(rpmDir()))
      .filter((f) => f.endsWith('.x86_64.rpm'))
      .map((f) => path.join(rpmDir(), f));
    await run('rpm', ['--root', root, '-i', '--nodeps', ...files], { env: { ...process.env, HOME: root } });
    expect(await listFilesWithHashes(root, onlyModules)).toEqual(
      await listFilesWithHashes(staged, onlyModules),
    );
    await rm(root, { recursive: true, force: true });
  });

  it('names packages in the kmp and legacy styles', async () => {
    const kernel = t.kernels[0] ?? '';
    const flavor = kernel.replace(/^[\d.]+-\d+-/, '');
    for (const [style, name] of [
      ['kmp', `kmf-simple-kmp-${flavor}-1.0_k${kernel.replaceAll('-', '_')}-1.x86_64.rpm`],
      ['legacy', `kernel-module-kmf-simple-${flavor}-1.0-1.x86_64.rpm`],
    ] as const) {
      const dir = path.join(out, style);
      const made = await t.cli('mkrpm', 'kmf-simple/1.0', '-k', kernel, '--style', style, '--out', dir);
      expect(made.code, made.stderr).toBe(0);
      expect(await readdir(dir)).toEqual([name]);
    }
  });
});

describe('binary DEBs', () => {
  const debDir = (): string => path.join(out, 'deb');

  beforeAll(async () => {
    const made = await t.cli('mkdeb', 'kmf-simple/1.0', '--all-kernels', '--out', debDir());
    expect(made.code, made.stderr).toBe(0);
  });

  it('makes one package per kernel that depends on its linux-image and runs depmod for it', async () => {
    expect((await readdir(debDir())).sort()).toEqual(
      t.kernels.map((k) => `kmf-simple-modules-${k}_1.0-1_amd64.deb`).sort(),
    );
    for (const kernel of t.kernels) {
      const file = path.join(debDir(), `kmf-simple-modules-${kernel}_1.0-1_amd64.deb`);
      expect((await run('dpkg-deb', ['-f', file, 'Depends'])).stdout.trim()).toBe(`linux-image-${kernel}`);
      const info = (await run('dpkg-deb', ['-I', file, 'postinst'])).stdout;
      expect(info).toContain(`depmod -b "\${DPKG_ROOT:-/}" -a ${kernel}`);
    }
  });

  it('passes lintian without errors', async () => {
    const files = (await readdir(debDir())).map((f) => path.join(debDir(), f));
    const lint = await runChecker('lintian', ['--no-tag-display-limit', ...files]);
    expect(lint).not.toMatch(/^E: /m);
  });

  it('installs with dpkg --root exactly the files install --destdir stages, and depmod runs', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'kmf-dpkgroot-'));
    await makeDpkgRoot(root);
    for (const kernel of t.kernels)
      await run('mkdir', ['-p', path.join(root, 'lib/modules', kernel)]).then(() =>
        run('touch', [path.join(root, 'lib/modules', kernel, 'modules.dep')]),
      );
    const files = (await readdir(debDir())).map((f) => path.join(debDir(), f));
    await run('dpkg', [
      `--root=${root}`,
      '--force-script-chrootless',
      '--force-depends',
      '--log=/dev/null',
      '-i',
      ...files,
    ]);
    expect(await listFilesWithHashes(root, onlyModules)).toEqual(
      await listFilesWithHashes(staged, onlyModules),
    );
    for (const kernel of t.kernels)
      expect(await readFile(path.join(root, 'lib/modules', kernel, 'modules.dep'), 'utf8')).toContain(
        'updates/dkms/kmf_simple.ko',
      );
    await rm(root, { recursive: true, force: true });
  });
});

describe('the <name>-dkms source package', () => {
  let file: string;
  let target: TestRoot;

  beforeAll(async () => {
    const made = await t.cli('mkdeb', multi, '--source', '--out', path.join(out, 'dkms'));
    expect(made.code, made.stderr).toBe(0);
    file = path.join(out, 'dkms', 'kmf-multi-dkms_1.0-1_all.deb');
    target = await makeTestRoot({ prefix: 'kmf-dkmsdeb-' });
    await makeDpkgRoot(target.root);
  });
  afterAll(async () => {
    await target.cleanup();
  });

  it('ships the source under /usr/src and passes lintian without errors', async () => {
    const contents = (await run('dpkg-deb', ['-c', file])).stdout;
    expect(contents).toContain('./usr/src/kmf-multi-1.0/dkms.conf');
    const lint = await runChecker('lintian', [file]);
    expect(lint).not.toMatch(/^E: /m);
  });

  it('installs with dpkg and builds and installs the modules through kmodforge', async () => {
    const shim = await makeKmodforgeShim();
    const env = { ...process.env, PATH: `${shim}:${process.env['PATH'] ?? ''}` };
    await run(
      'dpkg',
      [
        `--root=${target.root}`,
        '--force-script-chrootless',
        '--force-depends',
        '--log=/dev/null',
        '-i',
        file,
      ],
      { env, maxBuffer: 1 << 26 },
    );
    const status = await target.cli('status');
    expect(status.stdout.trim().split('\n')).toEqual(
      target.kernels.map((k) => `kmf-multi/1.0, ${k}, x86_64: installed`),
    );
    for (const kernel of target.kernels)
      expect(existsSync(path.join(target.installTree, kernel, 'updates/dkms'))).toBe(true);
    await run(
      'dpkg',
      [`--root=${target.root}`, '--force-script-chrootless', '--log=/dev/null', '-r', 'kmf-multi-dkms'],
      { env, maxBuffer: 1 << 26 },
    );
    expect((await target.cli('status')).stdout).toBe('');
    await rm(shim, { recursive: true, force: true });
  });
});

describe('reproducible packages', () => {
  it('gives byte-identical .rpm and .deb files for the same inputs', async () => {
    const kernel = t.kernels[0] ?? '';
    const sums: string[][] = [];
    for (const round of [1, 2]) {
      const dir = path.join(out, `repro-${round}`);
      for (const cmd of ['mkrpm', 'mkdeb']) {
        const made = await t.cli(cmd, 'kmf-simple/1.0', '-k', kernel, '--out', dir);
        expect(made.code, made.stderr).toBe(0);
      }
      sums.push(await listFilesWithHashes(dir));
      await new Promise((r) => setTimeout(r, 1100));
    }
    expect(sums[0]?.length).toBe(3);
    expect(sums[1]).toEqual(sums[0]);
  });
});

describe('modules and userland from one source', () => {
  const userland = path.resolve('test/fixtures/modules/kmf-userland');
  const files = [
    'usr/bin/kmf-userland-ctl',
    'usr/lib/modprobe.d/kmf-userland.conf',
    'usr/lib/udev/rules.d/90-kmf-userland.rules',
  ];

  it('puts the userland in every kernel RPM, which rpm installs side by side', async () => {
    const dir = path.join(out, 'userland-rpm');
    const made = await t.cli('mkrpm', userland, '--all-kernels', '--out', dir);
    expect(made.code, made.stderr).toBe(0);
    const kernelRpms = t.kernels.map((k) => path.join(dir, `kmod-kmf-userland-${k}-1.0-1.x86_64.rpm`));
    for (const file of kernelRpms) {
      const listed = (await run('rpm', ['-qp', '--qf', '[%{FILEMODES:perms} %{FILENAMES}\n]', file])).stdout;
      expect(listed).toContain('-rwxr-xr-x /usr/bin/kmf-userland-ctl');
      expect(listed).toContain('-rw-r--r-- /usr/lib/udev/rules.d/90-kmf-userland.rules');
    }
    const root = await mkdtemp(path.join(os.tmpdir(), 'kmf-rpmroot-'));
    await run('rpm', ['--root', root, '-i', '--nodeps', ...kernelRpms], {
      env: { ...process.env, HOME: root },
    });
    for (const f of files) expect(existsSync(path.join(root, f))).toBe(true);
    expect((await run(path.join(root, 'usr/bin/kmf-userland-ctl'))).stdout).toBe('kmf-userland-ctl 1.0\n');
    await rm(root, { recursive: true, force: true });
  });

  it('puts the userland in <name>-common for dpkg, which every modules package depends on', async () => {
    const dir = path.join(out, 'userland-deb');
    const made = await t.cli('mkdeb', 'kmf-userland/1.0', '--all-kernels', '--out', dir);
    expect(made.code, made.stderr).toBe(0);
    const common = path.join(dir, 'kmf-userland-common_1.0-1_amd64.deb');
    expect((await run('dpkg-deb', ['-c', common])).stdout).toContain('./usr/bin/kmf-userland-ctl');
    for (const kernel of t.kernels) {
      const deb = path.join(dir, `kmf-userland-modules-${kernel}_1.0-1_amd64.deb`);
      expect((await run('dpkg-deb', ['-f', deb, 'Depends'])).stdout.trim()).toBe(
        `linux-image-${kernel}, kmf-userland-common (= 1.0-1)`,
      );
    }
    const lint = await runChecker('lintian', [common]);
    expect(lint).not.toMatch(/^E: /m);
    const root = await mkdtemp(path.join(os.tmpdir(), 'kmf-dpkgroot-'));
    await makeDpkgRoot(root);
    await run('dpkg', [
      `--root=${root}`,
      '--force-script-chrootless',
      '--force-depends',
      '--log=/dev/null',
      '-i',
      ...(await readdir(dir)).map((f) => path.join(dir, f)),
    ]);
    for (const f of files) expect(existsSync(path.join(root, f))).toBe(true);
    await rm(root, { recursive: true, force: true });
  });
});
