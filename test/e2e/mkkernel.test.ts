import { execFile as execFileCallback } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonLines, runCli } from '../support/cli.ts';
import { customFlavor, customKernel, unpackIntoRoot, type CustomKernel } from '../support/custom-kernel.ts';

const execFile = promisify(execFileCallback);
const simple = path.resolve('test/fixtures/modules/kmf-simple');
const arch = os.machine();

/** The first build compiles a kernel: minutes on a small machine (see the report in the README). */
const buildTimeoutMs = 3 * 3600_000;

let kernel: CustomKernel;
const scratch: string[] = [];

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  scratch.push(dir);
  return dir;
}

async function unpackedRoot(format: 'rpm' | 'deb', files: readonly string[]): Promise<string> {
  return unpackIntoRoot(await tempDir(`kmf-mkkernel-${format}-`), format, files);
}

beforeAll(async () => {
  kernel = await customKernel();
}, buildTimeoutMs);
afterAll(async () => {
  for (const dir of scratch) await rm(dir, { recursive: true, force: true });
});

describe.each(['rpm', 'deb'] as const)('mkkernel --flavor host108 --format %s', (format) => {
  let root: string;

  beforeAll(async () => {
    const files = kernel[format];
    root = await unpackedRoot(format, [files.image, files.devel]);
  });

  it('names the packages as the family does, the release ending in the flavor', () => {
    expect(kernel.release).toMatch(/^6\.1\.\d+-1host108$/);
    const version = kernel.release.replace(/-1host108$/, '');
    const names = [kernel[format].image, kernel[format].devel].map((f) => path.basename(f));
    expect(names).toEqual(
      format === 'rpm'
        ? [`kernel-${version}-1host108.${arch}.rpm`, `kernel-devel-${version}-1host108.${arch}.rpm`]
        : [
            `linux-image-${kernel.release}_${version}-1host108_amd64.deb`,
            `linux-headers-${kernel.release}_${version}-1host108_amd64.deb`,
          ],
    );
  });

  it('unpacks into a kernel that kmodforge lists with its flavor and headers', async () => {
    const listed = await runCli('--root', root, '--json', 'kernels');
    expect(listed.code, listed.stderr).toBe(0);
    const found = jsonLines(listed.stdout).find((k) => k['release'] === kernel.release);
    expect(found).toMatchObject({ flavor: customFlavor, arch });
    expect(found?.['headers']).toBe(
      path.join(
        root,
        format === 'rpm' ? 'usr/src/kernels' : 'usr/src',
        `${format === 'rpm' ? '' : 'linux-headers-'}${kernel.release}`,
      ),
    );
    const image = await readdir(path.join(root, 'boot'));
    expect(image).toContain(`vmlinuz-${kernel.release}`);
  });

  it('builds a module against it with its vermagic', async () => {
    const added = await runCli('--root', root, 'add', simple);
    expect(added.code, added.stderr).toBe(0);
    const built = await runCli('--root', root, 'build', 'kmf-simple/1.0', '-k', kernel.release);
    expect(built.code, built.stderr).toBe(0);
    const ko = path.join(root, 'var/lib/dkms/kmf-simple/1.0', kernel.release, arch, 'module/kmf_simple.ko');
    const { stdout } = await execFile('modinfo', ['-F', 'vermagic', ko]);
    expect(stdout.trim().split(/\s+/)).toEqual([kernel.release, 'mod_unload', 'modversions']);
  });

  if (format === 'rpm')
    it('names the module package of mkrpm --style legacy as the seed does', async () => {
      const out = await tempDir('kmf-mkkernel-legacy-');
      const made = await runCli(
        '--root',
        root,
        'mkrpm',
        'kmf-simple/1.0',
        '-k',
        kernel.release,
        '--style',
        'legacy',
        '--out',
        out,
      );
      expect(made.code, made.stderr).toBe(0);
      expect(await readdir(out)).toEqual([`kernel-module-kmf-simple-1.0-1host108.${arch}.rpm`]);
    });
});

describe('mkkernel --with-modules', () => {
  it(
    'packages every AUTOINSTALL module for the new kernel beside it',
    async () => {
      const root = await tempDir('kmf-mkkernel-modules-');
      await mkdir(path.join(root, 'var/lib/dkms'), { recursive: true });
      const added = await runCli('--root', root, 'add', simple);
      expect(added.code, added.stderr).toBe(0);
      // An --out of its own, so the shared out/ keeps only the kernel's packages, with a link to the cached
      // build tree: nothing is compiled again, only packaged. A copy would be rebuilt whole: kbuild resolves
      // the link, but objtool's dependency files name the tree's absolute path, and every object needs
      // objtool. Beside the cache, so the packages move out of the build tree by rename.
      const out = await mkdtemp(path.join(path.dirname(kernel.outDir), 'with-modules-'));
      scratch.push(out);
      const buildTree = `build-${kernel.release}`;
      await symlink(path.join(kernel.outDir, buildTree), path.join(out, buildTree));
      const started = performance.now();
      const run = await runCli(
        '--root',
        root,
        '--json',
        'mkkernel',
        kernel.sourceDir,
        '--flavor',
        customFlavor,
        '--config',
        kernel.config,
        '--format',
        'rpm',
        '--out',
        out,
        '--with-modules',
      );
      console.log(
        `mkkernel --with-modules on the built tree: ${((performance.now() - started) / 1000).toFixed(1)} s`,
      );
      expect(run.code, run.stderr).toBe(0);
      const packages = jsonLines(run.stdout).filter((l) => l['type'] === 'rpm');
      expect(packages.map((l) => path.dirname(String(l['file'])))).toEqual(packages.map(() => out));
      const names = packages.map((l) => l['name']);
      expect(names).toEqual(
        expect.arrayContaining([
          'kernel',
          'kernel-devel',
          `kmod-kmf-simple-${kernel.release}`,
          'kmod-kmf-simple-host108',
        ]),
      );
      const ko = path.join(root, 'var/lib/dkms/kmf-simple/1.0', kernel.release, arch, 'module/kmf_simple.ko');
      const { stdout } = await execFile('modinfo', ['-F', 'vermagic', ko]);
      expect(stdout.trim().split(/\s+/)[0]).toBe(kernel.release);
    },
    buildTimeoutMs,
  );
});

describe('mkkernel --dry-run', () => {
  const dryRun = (root: string, out: string, ...more: string[]) =>
    runCli(
      '--root',
      root,
      'mkkernel',
      kernel.sourceDir,
      '--flavor',
      customFlavor,
      '--format',
      'rpm',
      '--out',
      out,
      '-j',
      '2',
      '--dry-run',
      ...more,
    );

  it('prints the release, the makes, the packages, the log and the modules, and writes nothing', async () => {
    const root = await tempDir('kmf-mkkernel-dry-root-');
    await mkdir(path.join(root, 'var/lib/dkms'), { recursive: true });
    const added = await runCli('--root', root, 'add', simple);
    expect(added.code, added.stderr).toBe(0);
    const tree = (): Promise<string[]> => readdir(path.join(root, 'var/lib/dkms'), { recursive: true });
    const before = await tree();
    const out = await tempDir('kmf-mkkernel-dry-out-');
    const run = await dryRun(root, out, '--config', kernel.config, '--with-modules');
    expect(run.code, run.stderr).toBe(0);
    const { release } = kernel;
    const version = release.replace(/-1host108$/, '');
    const build = path.join(out, `build-${release}`);
    const make = `make -C ${kernel.sourceDir} O=${build}`;
    const vars = 'LOCALVERSION=-1host108 KBUILD_BUILD_VERSION=1host108';
    expect(run.stdout.split('\n')).toEqual([
      `Dry run of mkkernel ${release}: nothing is changed.`,
      `  build Linux ${version} from ${kernel.sourceDir} as ${release} (${arch}) in ${build}`,
      `  configure: copy ${kernel.config} to ${build}/.config`,
      `  configure: ${kernel.sourceDir}/scripts/config --file ${build}/.config --set-str LOCALVERSION '' --disable LOCALVERSION_AUTO`,
      `  configure: ${make} olddefconfig`,
      `  configure: ${make} -s ${vars} kernelrelease`,
      `  write ${build}/kmodforge-mkspec: the kernel's mkspec with Version ${version} and Release 1host108`,
      `  compile: ${make} -j2 ${vars}`,
      `  binrpm-pkg: ${make} -j2 ${vars} MKSPEC=${build}/kmodforge-mkspec 'RPMOPTS=--define '\\''_topdir ${build}/kmodforge-rpmbuild'\\''' binrpm-pkg`,
      `  stage the module build tree in ${build}/kmodforge-devel/usr/src/kernels/${release}`,
      `  write ${out}/kernel-${version}-1host108.${arch}.rpm`,
      `  write ${out}/kernel-headers-${version}-1host108.${arch}.rpm`,
      `  write ${out}/kernel-devel-${version}-1host108.${arch}.rpm`,
      `  log every command's output to ${out}/mkkernel-${release}-rpm.log`,
      `  package kmf-simple/1.0 for ${release} (${arch}) in ${out}`,
      '',
    ]);
    expect(await readdir(out)).toEqual([]);
    expect(await tree()).toEqual(before);
  });

  it('--json gives the plan as data', async () => {
    const out = await tempDir('kmf-mkkernel-dry-json-');
    const run = await runCli(
      '--root',
      out,
      '--json',
      'mkkernel',
      kernel.sourceDir,
      '--flavor',
      customFlavor,
      '--format',
      'deb',
      '--out',
      out,
      '--dry-run',
    );
    expect(run.code, run.stderr).toBe(0);
    const [plan, ...more] = jsonLines(run.stdout);
    expect(more).toEqual([]);
    expect(plan).toMatchObject({ type: 'plan', command: `mkkernel ${kernel.release}`, ops: [], depmod: [] });
    const steps = plan?.['steps'] as string[];
    // No --config: the architecture's defconfig, which enables modules.
    expect(steps[1]).toMatch(/^configure: make .* defconfig$/);
    expect(steps).toContain(
      `write ${out}/linux-image-${kernel.release}_${kernel.release.replace(/-1host108$/, '')}-1host108_amd64.deb`,
    );
    expect(await readdir(out)).toEqual([]);
  });

  it('refuses what the build refuses, before anything is written', async () => {
    const out = await tempDir('kmf-mkkernel-dry-bad-');
    const config = path.join(os.tmpdir(), `kmf-no-modules-${process.pid}.config`);
    scratch.push(config);
    await writeFile(
      config,
      (await readFile(kernel.config, 'utf8')).replace(/^CONFIG_MODULES=y$/m, '# CONFIG_MODULES is not set'),
    );
    const noModules = await dryRun(out, out, '--config', config);
    expect(noModules.code).toBe(8);
    expect(noModules.stderr).toContain(`${config} does not enable CONFIG_MODULES`);
    const empty = await tempDir('kmf-mkkernel-dry-empty-');
    const noMakefile = await runCli('mkkernel', empty, '--flavor', customFlavor, '--out', out, '--dry-run');
    expect(noMakefile.code).toBe(2);
    expect(noMakefile.stderr).toContain(`${empty} is not a kernel source tree: it has no Makefile`);
    expect(await readdir(out)).toEqual([]);
  });
});

describe('mkkernel refuses bad input', () => {
  it('a tree without a Makefile', async () => {
    const empty = await tempDir('kmf-mkkernel-empty-');
    const run = await runCli('mkkernel', empty, '--flavor', customFlavor, '--format', 'deb', '--out', empty);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${empty} is not a kernel source tree: it has no Makefile`);
  });

  it('a config without CONFIG_MODULES', async () => {
    const out = await tempDir('kmf-mkkernel-nomodules-');
    const config = path.join(out, 'no-modules.config');
    const text = (await readFile(kernel.config, 'utf8')).replace(
      /^CONFIG_MODULES=y$/m,
      '# CONFIG_MODULES is not set',
    );
    await writeFile(config, text);
    const run = await runCli(
      '--root',
      out,
      'mkkernel',
      kernel.sourceDir,
      '--flavor',
      customFlavor,
      '--config',
      config,
      '--format',
      'rpm',
      '--out',
      out,
    );
    expect(run.code).toBe(8);
    expect(run.stderr).toContain(`${config} does not enable CONFIG_MODULES`);
    expect(run.stderr).toContain('Hint:');
  });

  it('a flavor that cannot end a release', async () => {
    const run = await runCli('mkkernel', kernel.sourceDir, '--flavor', '108host', '--out', os.tmpdir());
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('beginning with a letter');
  });
});
