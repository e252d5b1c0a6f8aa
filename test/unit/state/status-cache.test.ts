import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolvePaths, type Paths } from '../../../src/paths.ts';
import {
  planStatusCacheKey,
  readCachedStatusFacts,
  statusCacheFile,
  writeCachedStatusFacts,
} from '../../../src/state/status-cache.ts';
import type { StatusFacts } from '../../../src/state/status-facts.ts';

const build = { module: 'hello', version: '1.0', kernel: '6.1.0-56-amd64', arch: 'x86_64' };
const debian = { id: 'debian', addonModulesDir: undefined };
const facts: StatusFacts = {
  digest: 'd1',
  modules: [{ destName: 'hello', locations: ['/updates/dkms', '/kernel/drivers/misc'] }],
};

const errno = (code: string): NodeJS.ErrnoException => Object.assign(new Error(`${code}: failed`), { code });

describe('the status cache', () => {
  let root: string;
  let paths: Paths;
  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'kmf-status-cache-'));
    paths = resolvePaths({ root });
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('keys a reading by digest, kernel, arch, trees and distro', () => {
    const key = planStatusCacheKey(paths, build, 'd1', debian);
    const file = statusCacheFile(paths, key);
    expect(path.dirname(file)).toBe(path.join(root, 'var', 'cache', 'kmodforge', 'status'));
    for (const other of [
      planStatusCacheKey(paths, build, 'd2', debian),
      planStatusCacheKey(paths, { ...build, kernel: '6.1.0-56-rt-amd64' }, 'd1', debian),
      planStatusCacheKey(paths, { ...build, arch: 'i686' }, 'd1', debian),
      planStatusCacheKey(paths, build, 'd1', { id: 'fedora', addonModulesDir: undefined }),
      planStatusCacheKey(resolvePaths({ root, dkmsTree: '/elsewhere' }), build, 'd1', debian),
    ])
      expect(statusCacheFile(paths, other)).not.toBe(file);
    expect(statusCacheFile(paths, planStatusCacheKey(paths, build, 'd1', debian))).toBe(file);
  });

  it('gives back what was written for the same key only', async () => {
    const key = planStatusCacheKey(paths, build, 'd1', debian);
    expect(await readCachedStatusFacts(paths, key)).toBeUndefined();
    await writeCachedStatusFacts(paths, key, facts, () => {
      throw new Error('no warning expected');
    });
    expect(await readCachedStatusFacts(paths, key)).toEqual(facts);
    expect(await readCachedStatusFacts(paths, { ...key, kernel: 'other' })).toBeUndefined();
    expect(await readdir(path.dirname(statusCacheFile(paths, key)))).toEqual([
      path.basename(statusCacheFile(paths, key)),
    ]);
  });

  it.each([
    ['cut short', (text: string) => text.slice(0, 20)],
    ['not JSON', () => '\0\0\0'],
    ['of another format', (text: string) => text.replace('"format":1', '"format":2')],
    ['for another key', (text: string) => text.replace('6.1.0-56-amd64', '6.1.0-57-amd64')],
    ['with facts of another digest', (text: string) => text.replace(/("facts":\{"digest":)"d1"/, '$1"d0"')],
    ['with malformed facts', (text: string) => text.replace('"destName":"hello"', '"destName":7')],
  ])('ignores an entry %s', async (_, corrupt) => {
    const key = planStatusCacheKey(paths, build, 'd1', debian);
    await writeCachedStatusFacts(paths, key, facts, () => undefined);
    const file = statusCacheFile(paths, key);
    const text = await readFile(file, 'utf8');
    expect(corrupt(text)).not.toBe(text);
    await writeFile(file, corrupt(text));
    expect(await readCachedStatusFacts(paths, key)).toBeUndefined();
    // …and the next reading writes it again.
    await writeCachedStatusFacts(paths, key, facts, () => undefined);
    expect(await readCachedStatusFacts(paths, key)).toEqual(facts);
  });

  it.each(['EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'EDQUOT'])(
    'takes %s when writing as a cache it cannot write: no error, no warning',
    async (code) => {
      const warnings: string[] = [];
      const key = planStatusCacheKey(paths, build, 'd1', debian);
      await writeCachedStatusFacts(
        paths,
        key,
        facts,
        (m) => warnings.push(m),
        () => Promise.reject(errno(code)),
      );
      expect(warnings).toEqual([]);
    },
  );

  it('warns of another file system error, leaving no temporary file, and throws a bug', async () => {
    const key = planStatusCacheKey(paths, build, 'd1', debian);
    const file = statusCacheFile(paths, key);
    // A directory where the entry goes: the rename fails after the temporary file was written.
    await mkdir(file, { recursive: true });
    const warnings: string[] = [];
    await writeCachedStatusFacts(paths, key, facts, (m) => warnings.push(m));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`cannot cache status facts in ${file}`);
    expect(await readdir(path.dirname(file))).toEqual([path.basename(file)]);
    expect(await readCachedStatusFacts(paths, key)).toBeUndefined();
    await expect(
      writeCachedStatusFacts(
        paths,
        key,
        facts,
        () => undefined,
        () => Promise.reject(new TypeError('bug')),
      ),
    ).rejects.toThrow('bug');
  });
});
