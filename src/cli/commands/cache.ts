import type { Command } from 'commander';
import type { CacheEntryInfo } from '../../build/build-cache.ts';
import { formatSize } from '../../build/cache-plan.ts';
import { clearCache, listCache, readClearCachePlan, type CacheListing } from '../../commands/cache.ts';
import { defineAction, type Dispatch } from '../command.ts';
import { addCommandOptions } from '../global-options.ts';
import type { Io } from '../io.ts';
import { renderPlan } from '../render-plan.ts';
import { formatTable, writeJson } from '../render.ts';

export function cacheEntryRecord(e: CacheEntryInfo) {
  return {
    type: 'cache-entry' as const,
    key: e.key,
    module: e.module,
    version: e.version,
    kernel: e.kernel,
    arch: e.arch,
    size: e.size,
    storedAt: e.storedAt,
    lastUsed: e.lastUsed,
  };
}

/** "2025-01-31 12:34:56", in UTC like the rest of the record. */
function formatTime(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$/, '');
}

export function formatCacheListing(listing: CacheListing): string {
  const total = listing.entries.reduce((sum, e) => sum + e.size, 0);
  const limit = listing.limit === 0 ? 'the cache is off (cache_size = 0)' : `of ${formatSize(listing.limit)}`;
  const summary = `${listing.entries.length} ${listing.entries.length === 1 ? 'entry' : 'entries'}, ${formatSize(total)} ${limit}, in ${listing.dir}\n`;
  if (listing.entries.length === 0) return summary;
  const rows = [['KEY', 'MODULE/VERSION', 'KERNEL', 'ARCH', 'SIZE', 'LAST USED (UTC)']];
  for (const e of listing.entries) {
    rows.push([
      e.key.slice(0, 12),
      `${e.module}/${e.version}`,
      e.kernel,
      e.arch,
      formatSize(e.size),
      formatTime(e.lastUsed),
    ]);
  }
  return `${formatTable(rows)}${summary}`;
}

/** `kmodforge cache list|clear`: the build cache. */
export function registerCache(program: Command, io: Io, dispatch: Dispatch): void {
  const cache = program
    .command('cache')
    .description('the build cache: finished builds kept by the hash of everything they were made from');
  const list = cache
    .command('list')
    .description('list the cached builds: key, module/version, kernel, arch, size, last use');
  defineAction<[]>(list, io, dispatch, async ({ options, ctx }) => {
    const listing = await listCache(ctx);
    if (options.json) for (const e of listing.entries) writeJson(io, cacheEntryRecord(e));
    else io.out(formatCacheListing(listing));
    return 0;
  });
  const clear = cache.command('clear').description('remove every cached build');
  addCommandOptions(clear, ['dryRun']);
  defineAction<[]>(clear, io, dispatch, async ({ options, ctx }) => {
    if (options.dryRun) return renderPlan(io, options, await readClearCachePlan(ctx));
    const result = await clearCache(ctx);
    if (options.json) writeJson(io, { type: 'result', command: 'cache clear', ...result });
    else if (!options.quiet)
      io.out(
        `Removed ${result.removed} ${result.removed === 1 ? 'entry' : 'entries'} (${formatSize(result.bytes)}) from the build cache ${result.dir}.\n`,
      );
    return 0;
  });
}
