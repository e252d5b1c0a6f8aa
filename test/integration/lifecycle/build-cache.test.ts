import {
  appendFile,
  copyFile,
  mkdir,
  readFile,
  readdir,
  readlink,
  realpath,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listCache } from '../../../src/commands/cache.ts';
import { createContext } from '../../../src/context.ts';
import { jsonLines, type CliRun } from '../../support/cli.ts';
import { installedKernels } from '../../support/debian-dkms.ts';
import {
  arch,
  copyFixture,
  fixtureDir,
  kernelOfFlavor,
  makeSigningKeyPair,
  makeTempDir,
  makeTestRoot,
  run,
  sha256File,
  type SigningKeyPair,
  type TestRoot,
} from '../../support/test-root.ts';

const M = 'kmf-simple';

describe('the build cache: reuse, byte-identical results, misses, --no-cache, eviction, list and clear', () => {
  let t: TestRoot;
  let kernel: string;
  let tmp: string;
  let headers: string;
  let original: SigningKeyPair;
  let key: string;

  const builtDir = (): string => path.join(t.dkmsTree, M, '1.0', kernel, arch);
  const makeLog = (): Promise<string> => readFile(path.join(builtDir(), 'log', 'make.log'), 'utf8');
  const cacheRecord = async (): Promise<{ key: string; restored: boolean } | undefined> =>
    (
      JSON.parse(await readFile(path.join(builtDir(), 'kmodforge.json'), 'utf8')) as {
        cache?: { key: string; restored: boolean };
      }
    ).cache;
  /** sha256 of every file in K/A/module/. */
  const builtFiles = async (): Promise<Record<string, string>> => {
    const dir = path.join(builtDir(), 'module');
    const files: Record<string, string> = {};
    for (const name of (await readdir(dir)).sort()) files[name] = await sha256File(path.join(dir, name));
    return files;
  };
  const cli = async (...args: string[]): Promise<CliRun> => {
    const result = await t.cli(...args);
    if (result.code !== 0) throw new Error(`${args.join(' ')} exited ${result.code}: ${result.stderr}`);
    return result;
  };
  const entries = async () => (await listCache(await createContext({ root: t.root }))).entries;
  /** unbuild, then build again (with the options given). */
  const rebuild = async (...options: string[]): Promise<CliRun> => {
    await cli('unbuild', `${M}/1.0`, '-k', kernel);
    return cli('build', `${M}/1.0`, '-k', kernel, ...options);
  };
  const setCacheSize = (size: string): Promise<void> =>
    writeFile(path.join(t.root, 'etc/kmodforge/config'), `[build]\ncache_size = ${size}\n`);

  beforeAll(async () => {
    kernel = kernelOfFlavor(installedKernels(), 'amd64');
    tmp = await makeTempDir('kmf-cache-src-');
    original = await makeSigningKeyPair(tmp);
    t = await makeTestRoot({
      kernels: [kernel],
      prefix: 'kmf-cache-',
      linkHeaders: false,
      signing: original,
    });
    // Headers of our own, whose .config a test may change: a copy of the flavor's directory, its relative
    // links (scripts, tools → the kbuild package) made absolute so they still lead there.
    const real = await realpath(path.join('/lib/modules', kernel, 'build'));
    headers = path.join(t.root, 'headers', kernel);
    await mkdir(path.dirname(headers), { recursive: true });
    await run('cp', ['-a', `${real}/.`, headers]);
    for (const name of await readdir(headers)) {
      const link = path.join(headers, name);
      const target = await readlink(link).catch(() => undefined);
      if (target === undefined || path.isAbsolute(target)) continue;
      await rm(link);
      await symlink(path.resolve(real, target), link);
    }
    const build = path.join(t.installTree, kernel, 'build');
    await symlink(path.relative(path.dirname(build), headers), build);
    await mkdir(path.join(t.root, 'etc/kmodforge'), { recursive: true });
    await cli('add', fixtureDir(M));
  });
  afterAll(async () => {
    await t.cleanup();
    await rm(tmp, { recursive: true, force: true });
  });

  it('compiles the first build and stores its result under its key', async () => {
    const { stdout } = await cli('build', `${M}/1.0`, '-k', kernel);
    expect(stdout).not.toContain('build cache');
    const record = await cacheRecord();
    expect(record?.restored).toBe(false);
    key = record?.key ?? '';
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(await makeLog()).toContain(`# not in the build cache: building (key ${key})\n`);
    expect(await makeLog()).toContain('# building the module');
    expect(await entries()).toEqual([
      expect.objectContaining({ key, module: M, version: '1.0', kernel, arch }) as unknown,
    ]);
  });

  it('restores unbuild + build from the cache, byte-identical to a --no-cache build', async () => {
    const { stdout } = await rebuild();
    expect(stdout).toMatch(new RegExp(`^Restored .*${M}/1\\.0 for ${kernel} .*build cache`, 'm'));
    expect(await cacheRecord()).toEqual({ key, restored: true });
    const log = await makeLog();
    // The restored build's log says so, then carries the log of the build that made the files.
    expect(log).toContain(`# restored from the build cache ${key}\n`);
    expect(log.indexOf('# building the module')).toBeGreaterThan(
      log.indexOf('# restored from the build cache'),
    );
    const restored = await builtFiles();
    expect(Object.keys(restored)).toEqual(['Module.symvers', 'kmf_simple.ko']);

    await rebuild('--no-cache');
    expect(await cacheRecord()).toEqual({ key, restored: false });
    expect(await makeLog()).toContain(`# --no-cache: building (key ${key})\n`);
    expect(await makeLog()).not.toContain('# restored from the build cache');
    expect(await builtFiles()).toEqual(restored);
  });

  it('is reused by a reinstall of the same source added again from elsewhere, by kernel_postinst and by mkdeb', async () => {
    await cli('remove', `${M}/1.0`, '--all');
    await cli('install', await copyFixture(M, path.join(tmp, 'again', M)), '-k', kernel);
    expect(await cacheRecord()).toEqual({ key, restored: true });

    await cli('uninstall', `${M}/1.0`, '-k', kernel);
    await cli('unbuild', `${M}/1.0`, '-k', kernel);
    await cli('kernel_postinst', '-k', kernel);
    expect(await cacheRecord()).toEqual({ key, restored: true });

    await cli('uninstall', `${M}/1.0`, '-k', kernel);
    await cli('unbuild', `${M}/1.0`, '-k', kernel);
    await cli('kernel_postinst', '-k', kernel, '--no-cache');
    expect(await cacheRecord()).toEqual({ key, restored: false });

    await cli('uninstall', `${M}/1.0`, '-k', kernel);
    await cli('unbuild', `${M}/1.0`, '-k', kernel);
    const out = path.join(tmp, 'debs');
    const { stdout } = await cli('mkdeb', `${M}/1.0`, '-k', kernel, '--out', out, '--json');
    expect(jsonLines(stdout)).toContainEqual(
      expect.objectContaining({ type: 'build-done', cached: true, ok: true }) as unknown,
    );
    expect(await cacheRecord()).toEqual({ key, restored: true });
  });

  it('misses when the source changes', async () => {
    await cli('remove', `${M}/1.0`, '--all');
    const changed = await copyFixture(M, path.join(tmp, 'changed', M), {
      'kmf_simple.c': (text) => `${text}\n/* one more line */\n`,
    });
    await cli('add', changed);
    await cli('build', `${M}/1.0`, '-k', kernel);
    const record = await cacheRecord();
    expect(record?.restored).toBe(false);
    expect(record?.key).not.toBe(key);
    await cli('remove', `${M}/1.0`, '--all');
    await cli('add', fixtureDir(M));
    await cli('build', `${M}/1.0`, '-k', kernel);
    expect(await cacheRecord()).toEqual({ key, restored: true });
  });

  it("misses when the kernel's .config changes", async () => {
    const config = path.join(headers, '.config');
    const text = await readFile(config);
    await appendFile(config, '# a change that only the digest sees\n');
    await rebuild();
    const record = await cacheRecord();
    expect(record?.restored).toBe(false);
    expect(record?.key).not.toBe(key);
    await writeFile(config, text);
    await rebuild();
    expect(await cacheRecord()).toEqual({ key, restored: true });
  });

  it('misses when the signing key changes', async () => {
    const keys = path.join(tmp, 'other-key');
    await mkdir(keys);
    const other = await makeSigningKeyPair(keys);
    await copyFile(other.key, t.signingKey);
    await copyFile(other.certificate, t.signingCertificate);
    await rebuild();
    const record = await cacheRecord();
    expect(record?.restored).toBe(false);
    expect(record?.key).not.toBe(key);
    await copyFile(original.key, t.signingKey);
    await copyFile(original.certificate, t.signingCertificate);
    await rebuild();
    expect(await cacheRecord()).toEqual({ key, restored: true });
  });

  it('evicts the least recently used entries beyond [build] cache_size', async () => {
    const before = await entries();
    // The source, .config and signing key changes each left an entry.
    expect(before).toHaveLength(4);
    expect(before[0]?.key).toBe(key);
    const largest = Math.max(...before.map((e) => e.size));
    await setCacheSize(String(Math.floor(largest * 1.5)));
    await rebuild('--no-cache');
    expect((await entries()).map((e) => e.key)).toEqual([key]);

    // A limit smaller than any build: nothing is kept, and builds go on.
    await setCacheSize('1');
    await rebuild('--no-cache');
    expect(await entries()).toEqual([]);
    await rebuild();
    expect(await cacheRecord()).toEqual({ key, restored: false });
    expect(await makeLog()).toContain('# not in the build cache');

    // 0 turns the cache off.
    await setCacheSize('0');
    await rebuild();
    expect(await cacheRecord()).toBeUndefined();
    expect(await entries()).toEqual([]);
    await setCacheSize('1G');
  });

  it('lists and clears the cache', async () => {
    await rebuild();
    const list = await t.cli('cache', 'list');
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(`${key.slice(0, 12)}  ${M}/1.0`);
    expect(list.stdout).toMatch(/1 entry, [\d.]+ KiB of 1\.0 GiB, in /);
    const json = await t.cli('cache', 'list', '--json');
    expect(jsonLines(json.stdout)).toEqual([
      expect.objectContaining({
        type: 'cache-entry',
        key,
        module: M,
        version: '1.0',
        kernel,
        arch,
      }) as unknown,
    ]);
    const dry = await t.cli('cache', 'clear', '--dry-run');
    expect(dry.stdout).toContain(`remove ${path.join(t.root, 'var/cache/kmodforge/builds', key)} (${M}/1.0`);
    expect(await entries()).toHaveLength(1);

    const clear = await t.cli('cache', 'clear', '--json');
    expect(jsonLines(clear.stdout)).toEqual([
      expect.objectContaining({ type: 'result', command: 'cache clear', removed: 1 }) as unknown,
    ]);
    expect(await readdir(path.join(t.root, 'var/cache/kmodforge/builds'))).toEqual([]);
    await rebuild();
    expect(await cacheRecord()).toEqual({ key, restored: false });
    // Nothing temporary is left: not in the cache, not in the module's build area.
    expect(await readdir(path.join(t.root, 'var/cache/kmodforge/builds'))).toEqual([key]);
    expect(await readdir(path.join(t.dkmsTree, M, '1.0', '.kmodforge-build'))).toEqual([]);
  });
});
