import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, readFile, readlink, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modinfoField, verifyModuleSignature } from '../../support/module-signature.ts';
import { makeTestRoot, type TestRoot } from '../../support/test-root.ts';
import { installedKernels } from '../../support/debian-dkms.ts';

const run = promisify(execFile);
const kernel = installedKernels().find((k) => /-\d+-amd64$/.test(k)) ?? installedKernels()[0] ?? '';
const simple = path.resolve('test/fixtures/modules/kmf-simple');
let t: TestRoot;
let headers: string;

/**
 * A synthetic kernel: a copy of the real headers whose .config asks for compressed modules. Its scripts/
 * and tools/ links are made absolute so that make still finds Debian's kbuild tools from the copy.
 */
async function useCompression(option: 'XZ' | 'ZSTD' | 'GZIP'): Promise<void> {
  const config = await readFile(path.join(`/lib/modules/${kernel}/build`, '.config'), 'utf8');
  const changed =
    config.replace(/^CONFIG_MODULE_COMPRESS_NONE=y$/m, '# CONFIG_MODULE_COMPRESS_NONE is not set') +
    `CONFIG_MODULE_COMPRESS_${option}=y\n`;
  await writeFile(path.join(headers, '.config'), changed);
}

beforeAll(async () => {
  t = await makeTestRoot({ kernels: [kernel], prefix: 'kmf-compress-' });
  const real = await realpath(`/lib/modules/${kernel}/build`);
  headers = path.join(t.root, 'usr/src', `linux-headers-${kernel}`);
  await mkdir(path.dirname(headers), { recursive: true });
  await cp(real, headers, { recursive: true, verbatimSymlinks: true });
  for (const link of ['scripts', 'tools']) {
    const target = path.resolve(real, await readlink(path.join(real, link)));
    await rm(path.join(headers, link));
    await symlink(target, path.join(headers, link));
  }
  const build = path.join(t.installTree, kernel, 'build');
  await rm(build);
  await symlink(path.relative(path.dirname(build), headers), build);
});
afterAll(async () => {
  await t.cleanup();
});

describe('modules compressed as the kernel compresses its own', () => {
  it.each([
    ['XZ', '.xz'],
    ['ZSTD', '.zst'],
  ] as const)(
    'CONFIG_MODULE_COMPRESS_%s gives signed .ko%s files that modinfo reads and that install as such',
    async (option, suffix) => {
      await useCompression(option);
      const built = await t.cli('build', simple, '-k', kernel, '--force');
      expect(built.code, built.stderr).toBe(0);
      const installedRun = await t.cli('install', 'kmf-simple/1.0', '-k', kernel);
      expect(installedRun.code, installedRun.stderr).toBe(0);
      const file = `${t.builtKo('kmf-simple', '1.0', kernel, 'kmf_simple')}${suffix}`;
      expect(existsSync(file)).toBe(true);
      expect(existsSync(t.builtKo('kmf-simple', '1.0', kernel, 'kmf_simple'))).toBe(false);
      expect(await modinfoField(file, 'vermagic')).toMatch(new RegExp(`^${kernel.replaceAll('.', '\\.')} `));
      expect(await modinfoField(file, 'sig_hashalgo')).toBe('sha256');
      const installed = `${t.installedKo(kernel, 'kmf_simple')}${suffix}`;
      expect(await readFile(installed)).toEqual(await readFile(file));
      const status = await t.cli('status');
      expect(status.stdout).toBe(`kmf-simple/1.0, ${kernel}, x86_64: installed\n`);
      const uninstall = await t.cli('uninstall', 'kmf-simple/1.0', '-k', kernel);
      expect(uninstall.code, uninstall.stderr).toBe(0);
      expect(existsSync(installed)).toBe(false);
    },
  );

  it('compresses xz with a CRC32 check, which the kernel can verify', async () => {
    await useCompression('XZ');
    expect((await t.cli('build', simple, '-k', kernel, '--force')).code).toBe(0);
    const { stdout } = await run('xz', [
      '--robot',
      '--list',
      '--verbose',
      `${t.builtKo('kmf-simple', '1.0', kernel, 'kmf_simple')}.xz`,
    ]);
    expect(stdout).toMatch(/^file\t.*\tCRC32\t/m);
  });

  it('CONFIG_MODULE_COMPRESS_GZIP gives .ko.gz whose content is the signed module', async () => {
    await useCompression('GZIP');
    const built = await t.cli('build', simple, '-k', kernel, '--force');
    expect(built.code, built.stderr).toBe(0);
    const file = `${t.builtKo('kmf-simple', '1.0', kernel, 'kmf_simple')}.gz`;
    expect(existsSync(file)).toBe(true);
    // Debian's kmod 30 is built without zlib (kmod --version: -ZLIB), so its modinfo cannot open .gz
    // files; read the module through gzip instead.
    const plain = path.join(t.root, 'kmf_simple.ko');
    const { stdout } = await run('gzip', ['-dc', file], { encoding: 'buffer', maxBuffer: 1 << 26 });
    await writeFile(plain, stdout);
    expect(await modinfoField(plain, 'vermagic')).toMatch(new RegExp(`^${kernel.replaceAll('.', '\\.')} `));
    await verifyModuleSignature(plain, path.join(t.root, 'var/lib/dkms/mok.pub'));
  });
});
