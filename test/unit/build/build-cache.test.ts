import { mkdir, mkdtemp, readFile, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  clearBuildCache,
  evictBuildCache,
  listBuildCache,
  restoreCachedBuild,
  storeCachedBuild,
  type BuildCacheSettings,
} from '../../../src/build/build-cache.ts';
import type { BuildPlan } from '../../../src/build/build-plan.ts';
import type { KmodEvent } from '../../../src/context.ts';
import { makeBuildPlan } from '../../support/build-plan.ts';

const keyA = 'a'.repeat(64);
const keyB = 'b'.repeat(64);
const keyC = 'c'.repeat(64);

describe('the build cache', () => {
  let root: string;
  let plan: BuildPlan;
  let settings: BuildCacheSettings;
  let events: KmodEvent[];
  const emit = (e: KmodEvent): void => {
    events.push(e);
  };
  const warnings = (): string[] => events.flatMap((e) => (e.type === 'warning' ? [e.message] : []));
  const finished = [{ destName: 'm', file: '/gone/m.ko', signed: true }];

  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'kmf-cache-'));
    plan = makeBuildPlan({ root });
    settings = { dir: path.join(root, 'var/cache/kmodforge/builds'), limit: 2 ** 20, lookup: true };
    events = [];
    // A finished build, as run-build leaves it in <dkmsTree>/M/V/K/A.
    await mkdir(path.join(plan.resultDir, 'module'), { recursive: true });
    await mkdir(path.join(plan.resultDir, 'log'), { recursive: true });
    await writeFile(path.join(plan.resultDir, 'module', 'm.ko'), 'module bytes');
    await writeFile(path.join(plan.resultDir, 'module', 'Module.symvers'), 'symbols');
    await writeFile(path.join(plan.resultDir, 'log', 'make.log'), 'the log\n');
    await mkdir(plan.buildDir, { recursive: true });
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  /** Stores the finished build under `key`, used `secondsAgo`. */
  async function store(key: string, secondsAgo = 0): Promise<void> {
    expect(await storeCachedBuild(settings, key, plan, finished, 1.5, emit)).toBe(true);
    const when = new Date(Date.now() - secondsAgo * 1000);
    await utimes(path.join(settings.dir, key, 'entry.json'), when, when);
  }

  it('restores what it stored, byte for byte, with the log and Module.symvers', async () => {
    await store(keyA, 60);
    const before = (await listBuildCache(settings.dir))[0]?.lastUsed;
    const restored = await restoreCachedBuild(settings, keyA, plan, emit);
    expect(restored?.finished).toEqual([
      { destName: 'm', file: path.join(plan.workDir, 'restored', '0', 'm.ko'), signed: true },
    ]);
    expect(await readFile(restored?.finished[0]?.file ?? '', 'utf8')).toBe('module bytes');
    expect(restored?.log.toString()).toBe('the log\n');
    expect(await readFile(path.join(plan.buildDir, 'Module.symvers'), 'utf8')).toBe('symbols');
    const [entry] = await listBuildCache(settings.dir);
    expect(entry).toMatchObject({ key: keyA, module: 'm', version: '1.0', arch: 'x86_64' });
    expect(entry?.size).toBe('module bytes'.length + 'symbols'.length + 'the log\n'.length);
    expect(entry?.lastUsed).not.toBe(before);
    expect(events).toEqual([]);
    expect(await readdir(settings.dir)).toEqual([keyA]);
  });

  it('misses without an entry, and with --no-cache, leaving nothing behind', async () => {
    expect(await restoreCachedBuild(settings, keyA, plan, emit)).toBeUndefined();
    await store(keyA);
    expect(await restoreCachedBuild({ ...settings, lookup: false }, keyA, plan, emit)).toBeUndefined();
    expect(await readdir(plan.workDir)).not.toContain('restored');
  });

  it('removes an entry whose files do not match their record, and misses', async () => {
    await store(keyA);
    await writeFile(path.join(settings.dir, keyA, 'module', 'm.ko'), 'tampered bytes');
    expect(await restoreCachedBuild(settings, keyA, plan, emit)).toBeUndefined();
    expect(warnings()).toEqual([expect.stringContaining('does not match') as string]);
    expect(await readdir(settings.dir)).toEqual([]);
    expect(await readdir(plan.workDir)).not.toContain('restored');
  });

  it('stores nothing when the cache is off, or a module meant to be signed is not', async () => {
    expect(await storeCachedBuild({ ...settings, limit: 0 }, keyA, plan, finished, 1, emit)).toBe(false);
    const unsigned = [{ ...finished[0], destName: 'm', file: 'm.ko', signed: false }];
    expect(await storeCachedBuild(settings, keyA, plan, unsigned, 1, emit)).toBe(false);
    expect(await listBuildCache(settings.dir)).toEqual([]);
  });

  it('turns a failed store into a warning and leaves no staging directory', async () => {
    await rm(path.join(plan.resultDir, 'log', 'make.log'));
    expect(await storeCachedBuild(settings, keyA, plan, finished, 1, emit)).toBe(false);
    expect(warnings()).toEqual([expect.stringContaining('Cannot store m/1.0') as string]);
    expect(await readdir(settings.dir)).toEqual([]);
  });

  it('evicts the least recently used entries beyond the limit; a restore counts as a use', async () => {
    const size = 'module bytes'.length + 'symbols'.length + 'the log\n'.length;
    await store(keyA, 300);
    await store(keyB, 200);
    await store(keyC, 100);
    // A was stored first, but used last.
    expect(await restoreCachedBuild(settings, keyA, plan, emit)).toBeDefined();
    expect(await evictBuildCache({ ...settings, limit: 2 * size })).toEqual([keyB]);
    expect((await listBuildCache(settings.dir)).map((e) => e.key)).toEqual([keyA, keyC]);
    expect(await evictBuildCache({ ...settings, limit: size })).toEqual([keyC]);
    expect(await readdir(settings.dir)).toEqual([keyA]);
  });

  it('evicts on store, and never keeps an entry larger than the limit', async () => {
    const size = 'module bytes'.length + 'symbols'.length + 'the log\n'.length;
    settings = { ...settings, limit: size };
    await store(keyA, 100);
    await store(keyB);
    expect(await readdir(settings.dir)).toEqual([keyB]);
    expect(await storeCachedBuild({ ...settings, limit: size - 1 }, keyC, plan, finished, 1, emit)).toBe(
      false,
    );
    // A lowered limit applies at the next store, even one too large to keep.
    expect(await readdir(settings.dir)).toEqual([]);
  });

  it('clears every entry, damaged ones and stale staging directories, but not a store in progress', async () => {
    await store(keyA);
    await store(keyB);
    await mkdir(path.join(settings.dir, keyC));
    const stale = path.join(settings.dir, `.${keyA}.tmp-0000`);
    const fresh = path.join(settings.dir, `.${keyB}.tmp-1111`);
    await mkdir(stale);
    await mkdir(fresh);
    const old = new Date(Date.now() - 2 * 60 * 60 * 1000);
    await utimes(stale, old, old);
    const size = 'module bytes'.length + 'symbols'.length + 'the log\n'.length;
    expect(await clearBuildCache(settings.dir)).toEqual({ removed: 3, bytes: 2 * size });
    expect(await readdir(settings.dir)).toEqual([path.basename(fresh)]);
    expect(await clearBuildCache(path.join(root, 'nowhere'))).toEqual({ removed: 0, bytes: 0 });
  });
});
