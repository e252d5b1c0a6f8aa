import { createHash } from 'node:crypto';
import {
  appendFile,
  copyFile,
  readFile,
  readdir,
  rename,
  rm,
  stat,
  utimes,
  writeFile,
} from 'node:fs/promises';
import path from 'node:path';
import type { Context, KmodEvent } from '../context.ts';
import { isErrno, isSystemError } from '../errors.ts';
import { fsyncPath, replaceDir, stagingName } from '../state/atomic.ts';
import { exists, makeDirs } from '../state/fs.ts';
import { forgetOnExit, isRemovedOnExit, removeOnExit } from '../state/temp-dir.ts';
import type { BuildPlan } from './build-plan.ts';
import { cacheFormat, defaultCacheSize, planEviction, type EvictionCandidate } from './cache-plan.ts';
import type { FinishedModule } from './finish-modules.ts';
import { readCacheKey, readFileDigest } from './read-cache-key.ts';

/**
 * The build cache: finished builds by key (cache-plan.ts), in <root>/var/cache/kmodforge/builds/<key>/:
 *
 *   entry.json        what the entry holds, each file's sha256; its mtime is the entry's last use
 *   module/<file>     the finished modules (stripped, signed, compressed), as K/A/module/ has them
 *   Module.symvers    when the build made one
 *   make.log          the log of the build that made them
 *
 * Every change is a rename: an entry is staged beside the others under a dot name and renamed into place,
 * and removed by renaming it aside first. A reader verifies every file against entry.json, so a build that
 * reads the cache while another kmodforge stores, evicts or clears either restores a whole entry or builds.
 * That is why the cache needs no lock: it is shared by every dkms tree under the root, which no one tree's
 * state lock covers. Failing to read or write the cache never fails a build.
 */

export interface BuildCacheSettings {
  /** <root>/var/cache/kmodforge/builds. */
  dir: string;
  /** The size limit in bytes; 0 turns the cache off. */
  limit: number;
  /** False with --no-cache: compile, then store the result. */
  lookup: boolean;
}

/** The cache settings of a command: `[build] cache_size` and --no-cache. */
export function planBuildCacheSettings(
  ctx: Pick<Context, 'paths' | 'config' | 'noCache'>,
): BuildCacheSettings {
  return { dir: ctx.paths.buildCache, limit: ctx.config.cacheSize ?? defaultCacheSize, lookup: !ctx.noCache };
}

interface StoredFile {
  sha256: string;
  size: number;
}

/** entry.json. */
export interface CacheEntryRecord {
  format: string;
  key: string;
  module: string;
  version: string;
  kernel: string;
  arch: string;
  storedAt: string;
  /** How long the build that made it took. */
  seconds: number;
  /** Every file's bytes together. */
  size: number;
  modules: ({ destName: string; file: string; signed: boolean } & StoredFile)[];
  symvers: StoredFile | null;
  log: StoredFile;
}

/** An entry as `cache list` shows it. */
export interface CacheEntryInfo {
  key: string;
  module: string;
  version: string;
  kernel: string;
  arch: string;
  size: number;
  storedAt: string;
  lastUsed: string;
}

const entryFile = 'entry.json';
/** Staging and removed-aside directories older than this belong to a killed kmodforge. */
const staleMs = 60 * 60 * 1000;

async function removeTracked(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  forgetOnExit(dir);
}

const isKey = (name: string): boolean => /^[0-9a-f]{64}$/.test(name);

function isStoredFile(v: unknown): v is StoredFile {
  const f = v as Partial<StoredFile> | null;
  return typeof f === 'object' && f !== null && typeof f.sha256 === 'string' && typeof f.size === 'number';
}

function isStoredModule(v: unknown): boolean {
  const m = v as Partial<CacheEntryRecord['modules'][number]>;
  return (
    isStoredFile(v) &&
    typeof m.destName === 'string' &&
    typeof m.file === 'string' &&
    !m.file.includes('/') &&
    !m.file.startsWith('.') &&
    typeof m.signed === 'boolean'
  );
}

/** entry.json's record, or undefined when it is not one (written by another format, or damaged). */
function parseEntryRecord(text: string, key: string): CacheEntryRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const r = value as Partial<CacheEntryRecord> | null;
  if (typeof r !== 'object' || r === null || r.format !== cacheFormat || r.key !== key) return undefined;
  const strings = [r.module, r.version, r.kernel, r.arch, r.storedAt];
  if (!strings.every((s) => typeof s === 'string') || typeof r.size !== 'number') return undefined;
  if (
    typeof r.seconds !== 'number' ||
    !isStoredFile(r.log) ||
    !(r.symvers === null || isStoredFile(r.symvers))
  )
    return undefined;
  if (!Array.isArray(r.modules) || !r.modules.every(isStoredModule)) return undefined;
  return r as CacheEntryRecord;
}

/** An entry's record; undefined when it is missing or damaged. */
async function readEntryRecord(dir: string, key: string): Promise<CacheEntryRecord | undefined> {
  try {
    return parseEntryRecord(await readFile(path.join(dir, key, entryFile), 'utf8'), key);
  } catch (error) {
    if (isErrno(error, 'ENOENT', 'ENOTDIR')) return undefined;
    throw error;
  }
}

/** Copies a cached file out and checks it is the one entry.json names; false when it is not. */
async function copyVerified(from: string, to: string, expected: StoredFile): Promise<boolean> {
  await copyFile(from, to);
  return (await readFileDigest(to)) === expected.sha256;
}

/** A build restored from the cache: its finished modules and the log of the build that made them. */
export interface RestoredBuild {
  finished: FinishedModule[];
  log: Buffer;
  record: CacheEntryRecord;
}

/**
 * Restores the entry `key` for `plan`: its finished modules under <workDir>/restored/, its Module.symvers
 * into the build directory (where the staging of a compiled build takes it from), and marks the entry
 * used. Undefined for a miss, including an entry that went away while it was read, or one whose files do
 * not match their record (which is then removed, with a warning).
 */
export async function restoreCachedBuild(
  settings: BuildCacheSettings,
  key: string,
  plan: BuildPlan,
  emit: (e: KmodEvent) => void,
): Promise<RestoredBuild | undefined> {
  if (settings.limit === 0 || !settings.lookup) return undefined;
  const entryDir = path.join(settings.dir, key);
  const restoredDir = path.join(plan.workDir, 'restored');
  let restored: RestoredBuild | 'damaged' | undefined;
  try {
    restored = await copyEntry(entryDir, key, plan, restoredDir);
  } catch (error) {
    // Evicted or cleared while it was read: a miss. Anything else the file system says: build instead.
    if (!isSystemError(error)) throw error;
    if (error.code !== 'ENOENT' && error.code !== 'ENOTDIR')
      emit({ type: 'warning', message: `Cannot read the build cache entry ${entryDir}: ${error.message}` });
  }
  if (restored === 'damaged') {
    emit({
      type: 'warning',
      message: `The build cache entry ${entryDir} does not match its record; removing it and building.`,
    });
    await removeEntry(settings.dir, key).catch((error: unknown) => {
      if (!isSystemError(error)) throw error;
    });
  }
  if (restored === undefined || restored === 'damaged') {
    await rm(restoredDir, { recursive: true, force: true });
    return undefined;
  }
  const now = new Date();
  await utimes(path.join(entryDir, entryFile), now, now).catch((error: unknown) => {
    if (!isErrno(error, 'ENOENT')) throw error;
  });
  return restored;
}

/** Copies an entry's files out for `plan`, checking each against the record. */
async function copyEntry(
  entryDir: string,
  key: string,
  plan: BuildPlan,
  restoredDir: string,
): Promise<RestoredBuild | 'damaged' | undefined> {
  const record = await readEntryRecord(path.dirname(entryDir), key);
  if (record === undefined) return undefined;
  const finished: FinishedModule[] = [];
  for (const m of plan.modules) {
    const stored = record.modules.find((s) => s.destName === m.destName);
    if (stored === undefined) return 'damaged';
    const file = path.join(restoredDir, String(m.index), stored.file);
    await makeDirs(path.dirname(file));
    if (!(await copyVerified(path.join(entryDir, 'module', stored.file), file, stored))) return 'damaged';
    finished.push({ destName: m.destName, file, signed: stored.signed });
  }
  const symvers = path.join(restoredDir, 'Module.symvers');
  if (
    record.symvers !== null &&
    !(await copyVerified(path.join(entryDir, 'Module.symvers'), symvers, record.symvers))
  )
    return 'damaged';
  const log = await readFile(path.join(entryDir, 'make.log'));
  if (createHash('sha256').update(log).digest('hex') !== record.log.sha256) return 'damaged';
  // As a compiled build leaves it: the staging takes Module.symvers from the build directory.
  const built = path.join(plan.buildDir, 'Module.symvers');
  if (record.symvers === null) await rm(built, { force: true });
  else await rename(symvers, built);
  return { finished, log, record };
}

/** A build's place in the cache: its key, and what the cache had for it. */
export interface CacheLookup {
  settings: BuildCacheSettings;
  key: string;
  restored: RestoredBuild | undefined;
}

/**
 * Computes the key of a build whose source is copied and patched, and restores the entry when the cache
 * has it (not with --no-cache), saying which in make.log; a hit's make.log goes on with the log of the
 * build that made the files. Undefined when the cache is off, or its key cannot be read (a warning).
 */
export async function lookupCachedBuild(
  plan: BuildPlan,
  settings: BuildCacheSettings | undefined,
  emit: (e: KmodEvent) => void,
): Promise<CacheLookup | undefined> {
  if (settings === undefined || settings.limit === 0) return undefined;
  let key: string;
  try {
    key = await readCacheKey(plan);
  } catch (error) {
    if (!isSystemError(error)) throw error;
    emit({
      type: 'warning',
      message: `${plan.module}/${plan.version} for ${plan.kernel.release}: not using the build cache: ${error.message}`,
    });
    return undefined;
  }
  const restored = await restoreCachedBuild(settings, key, plan, emit);
  if (restored === undefined) {
    await appendFile(
      plan.logFile,
      settings.lookup
        ? `\n# not in the build cache: building (key ${key})\n`
        : `\n# --no-cache: building (key ${key})\n`,
    );
    return { settings, key, restored };
  }
  await appendFile(
    plan.logFile,
    Buffer.concat([
      Buffer.from(
        `\n# restored from the build cache ${key}\n# PRE_BUILD, make and POST_BUILD did not run: the modules are those of the build logged below (${restored.record.storedAt})\n${'-'.repeat(64)}\n`,
      ),
      restored.log,
    ]),
  );
  if (plan.signing.kind === 'unavailable')
    emit({
      type: 'warning',
      message: `${plan.module}/${plan.version} for ${plan.kernel.release}: modules left unsigned: ${plan.signing.reason}`,
    });
  return { settings, key, restored };
}

/**
 * Stores a finished build (from its result directory, <dkmsTree>/M/V/K/A) under `key`, replacing any entry
 * there (a --no-cache build), then evicts the least recently used entries beyond the limit. A build whose
 * modules were meant to be signed but were not is not stored: a signing failure may not last. Failures are
 * warnings.
 */
export async function storeCachedBuild(
  settings: BuildCacheSettings,
  key: string,
  plan: BuildPlan,
  finished: readonly FinishedModule[],
  seconds: number,
  emit: (e: KmodEvent) => void,
): Promise<boolean> {
  if (settings.limit === 0) return false;
  if (plan.signing.kind === 'sign' && finished.some((m) => !m.signed)) return false;
  const final = path.join(settings.dir, key);
  const staging = stagingName(final);
  try {
    await makeDirs(settings.dir);
    removeOnExit(staging);
    await makeDirs(path.join(staging, 'module'));
    const store = async (from: string, to: string): Promise<StoredFile> => {
      await copyFile(from, to);
      await fsyncPath(to);
      return { sha256: await readFileDigest(to), size: (await stat(to)).size };
    };
    const moduleDir = path.join(plan.resultDir, 'module');
    const modules: CacheEntryRecord['modules'] = [];
    for (const m of finished) {
      const file = path.basename(m.file);
      const stored = await store(path.join(moduleDir, file), path.join(staging, 'module', file));
      modules.push({ destName: m.destName, file, signed: m.signed, ...stored });
    }
    const symversFile = path.join(moduleDir, 'Module.symvers');
    const symvers = (await exists(symversFile))
      ? await store(symversFile, path.join(staging, 'Module.symvers'))
      : null;
    const log = await store(path.join(plan.resultDir, 'log', 'make.log'), path.join(staging, 'make.log'));
    const size = [...modules, ...(symvers === null ? [] : [symvers]), log].reduce((s, f) => s + f.size, 0);
    if (size > settings.limit) {
      await evictBuildCache(settings);
      return false;
    }
    const record: CacheEntryRecord = {
      format: cacheFormat,
      key,
      module: plan.module,
      version: plan.version,
      kernel: plan.kernel.release,
      arch: plan.arch,
      storedAt: new Date().toISOString(),
      seconds,
      size,
      modules,
      symvers,
      log,
    };
    await writeFile(path.join(staging, entryFile), `${JSON.stringify(record, null, 2)}\n`);
    await fsyncPath(path.join(staging, entryFile));
    await replaceDir(staging, final);
    await evictBuildCache(settings);
    return true;
  } catch (error) {
    if (!isSystemError(error)) throw error;
    emit({
      type: 'warning',
      message: `Cannot store ${plan.module}/${plan.version} for ${plan.kernel.release} (${plan.arch}) in the build cache ${settings.dir}: ${error.message}`,
    });
    return false;
  } finally {
    await removeTracked(staging);
  }
}

/** Removes an entry: renamed aside first, so no reader sees part of it. False when it was not there. */
async function removeEntry(dir: string, key: string): Promise<boolean> {
  const aside = stagingName(path.join(dir, key), 'old');
  try {
    await rename(path.join(dir, key), aside);
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return false;
    throw error;
  }
  removeOnExit(aside);
  await removeTracked(aside);
  return true;
}

interface ScannedEntry extends EvictionCandidate {
  record: CacheEntryRecord | undefined;
}

/**
 * Every entry in the cache, with its record (undefined for a damaged one, which counts as least recently
 * used) and last use; staging and removed-aside directories a killed kmodforge left are removed on the way.
 */
async function scanEntries(dir: string): Promise<ScannedEntry[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if (isErrno(error, 'ENOENT', 'ENOTDIR')) return [];
    throw error;
  }
  const entries: ScannedEntry[] = [];
  for (const name of names) {
    const full = path.join(dir, name);
    if (name.startsWith('.')) {
      if (isRemovedOnExit(full)) continue;
      const mtime = await stat(full).then(
        (s) => s.mtimeMs,
        () => undefined,
      );
      if (mtime !== undefined && Date.now() - mtime > staleMs)
        await rm(full, { recursive: true, force: true });
      continue;
    }
    if (!isKey(name)) continue;
    const record = await readEntryRecord(dir, name);
    const lastUsed =
      record === undefined
        ? 0
        : await stat(path.join(full, entryFile)).then(
            (s) => s.mtimeMs,
            () => 0,
          );
    entries.push({ key: name, size: record?.size ?? 0, lastUsed, record });
  }
  return entries;
}

let evicting: Promise<unknown> = Promise.resolve();

/** Removes the least recently used entries beyond the limit (damaged ones first); one pass at a time. */
export function evictBuildCache(settings: Pick<BuildCacheSettings, 'dir' | 'limit'>): Promise<string[]> {
  const pass = evicting.then(async () => {
    const entries = await scanEntries(settings.dir);
    const evicted = [
      ...entries.filter((e) => e.record === undefined).map((e) => e.key),
      ...planEviction(
        entries.filter((e) => e.record !== undefined),
        settings.limit,
      ),
    ];
    for (const key of evicted) await removeEntry(settings.dir, key);
    return evicted;
  });
  evicting = pass.catch(() => undefined);
  return pass;
}

/** The cache's entries, most recently used first. */
export async function listBuildCache(dir: string): Promise<CacheEntryInfo[]> {
  const entries = await scanEntries(dir);
  return entries
    .flatMap((e) =>
      e.record === undefined
        ? []
        : [
            {
              key: e.key,
              module: e.record.module,
              version: e.record.version,
              kernel: e.record.kernel,
              arch: e.record.arch,
              size: e.size,
              storedAt: e.record.storedAt,
              lastUsed: new Date(e.lastUsed).toISOString(),
            },
          ],
    )
    .sort((a, b) => (a.lastUsed < b.lastUsed ? 1 : a.lastUsed > b.lastUsed ? -1 : a.key < b.key ? -1 : 1));
}

/** Removes every entry (and what killed kmodforges left); how many and how many bytes. */
export async function clearBuildCache(dir: string): Promise<{ removed: number; bytes: number }> {
  let removed = 0;
  let bytes = 0;
  for (const entry of await scanEntries(dir)) {
    if (!(await removeEntry(dir, entry.key))) continue;
    removed++;
    bytes += entry.size;
  }
  return { removed, bytes };
}
