import {
  clearBuildCache,
  listBuildCache,
  planBuildCacheSettings,
  type CacheEntryInfo,
} from '../build/build-cache.ts';
import { formatSize } from '../build/cache-plan.ts';
import type { Context } from '../context.ts';
import type { CommandPlan } from './command-plan.ts';

/**
 * `cache list` and `cache clear`: the build cache (src/build/build-cache.ts) under the root.
 *
 * Neither takes the state lock. The cache is shared by every dkms tree under the root, so no one tree's
 * lock would cover it; instead every store and removal is a rename, and a build verifies each file it
 * restores against the entry's record. An install that reads the cache while `cache clear` runs therefore
 * restores a whole entry or compiles, and a build's store in progress (a dot-named staging directory) is
 * left alone by clear.
 */

export interface CacheListing {
  dir: string;
  /** The size limit in bytes (`[build] cache_size`); 0: the cache is off. */
  limit: number;
  /** Most recently used first. */
  entries: CacheEntryInfo[];
}

export async function listCache(ctx: Context): Promise<CacheListing> {
  const settings = planBuildCacheSettings(ctx);
  return { dir: settings.dir, limit: settings.limit, entries: await listBuildCache(settings.dir) };
}

export interface ClearCacheResult {
  dir: string;
  removed: number;
  bytes: number;
}

export async function clearCache(ctx: Context): Promise<ClearCacheResult> {
  const { dir } = planBuildCacheSettings(ctx);
  return { dir, ...(await clearBuildCache(dir)) };
}

/** What `cache clear` would remove. */
export async function readClearCachePlan(ctx: Context): Promise<CommandPlan> {
  const { dir, entries } = await listCache(ctx);
  return {
    command: 'cache clear',
    steps: entries.map(
      (e) =>
        `remove ${dir}/${e.key} (${e.module}/${e.version} for ${e.kernel} (${e.arch}), ${formatSize(e.size)})`,
    ),
    ops: [],
    depmod: [],
  };
}
