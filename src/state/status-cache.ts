import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Distro } from '../conf/distro.ts';
import { isErrno, isSystemError } from '../errors.ts';
import type { Paths } from '../paths.ts';
import { writeFileAtomic } from './atomic.ts';
import { readOptional } from './fs.ts';
import { isStatusFacts, type StatusFacts } from './status-facts.ts';
import type { BuildKey } from './tree.ts';

/**
 * What a reading of a build's dkms.conf for status depends on, besides the files the digest covers: the
 * kernel and arch ($kernelver, $arch), the trees ($dkms_tree, …) and the distro (its install location).
 */
export interface StatusCacheKey {
  digest: string;
  kernel: string;
  arch: string;
  trees: [dkmsTree: string, sourceTree: string, installTree: string];
  distro: [id: string, addonModulesDir: string | null];
}

const format = 1;

/** The key of a build's dkms.conf reading, from what status knows of it without running anything. Pure. */
export function planStatusCacheKey(
  paths: Paths,
  build: BuildKey,
  digest: string,
  distro: Distro,
): StatusCacheKey {
  return {
    digest,
    kernel: build.kernel,
    arch: build.arch,
    trees: [paths.dkmsTree, paths.sourceTree, paths.installTree],
    distro: [distro.id, distro.addonModulesDir ?? null],
  };
}

/** `<root>/var/cache/kmodforge/status/<sha256 of the key>.json`. */
export function statusCacheFile(paths: Paths, key: StatusCacheKey): string {
  const name = createHash('sha256').update(JSON.stringify(key)).digest('hex');
  return path.join(paths.statusCache, `${name}.json`);
}

/**
 * The status facts cached for a key, if an entry holds them for exactly that key; an entry that cannot
 * be read, or is not one, counts as none (and is rewritten by the next reading).
 */
export async function readCachedStatusFacts(
  paths: Paths,
  key: StatusCacheKey,
): Promise<StatusFacts | undefined> {
  let text: string | undefined;
  try {
    text = await readOptional(statusCacheFile(paths, key));
  } catch {
    return undefined;
  }
  if (text === undefined) return undefined;
  try {
    const entry = JSON.parse(text) as { format?: unknown; key?: unknown; facts?: unknown };
    if (entry.format !== format || JSON.stringify(entry.key) !== JSON.stringify(key)) return undefined;
    return isStatusFacts(entry.facts) && entry.facts.digest === key.digest ? entry.facts : undefined;
  } catch {
    return undefined;
  }
}

/** Errors that only mean the cache cannot be written here (not root, a read-only or full disk). */
const unwritable = ['EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'EDQUOT'];

/**
 * Caches the status facts of a key, best effort: status takes no lock and may run as any user, so a
 * cache it cannot write is no error. It is written atomically (no reader sees a part, no temporary file
 * stays); a cache it could not write for another reason is reported through `warn`.
 */
export async function writeCachedStatusFacts(
  paths: Paths,
  key: StatusCacheKey,
  facts: StatusFacts,
  warn: (message: string) => void,
  write: (file: string, data: string) => Promise<void> = writeFileAtomic,
): Promise<void> {
  const file = statusCacheFile(paths, key);
  try {
    await write(file, `${JSON.stringify({ format, key, facts })}\n`);
  } catch (error) {
    if (isErrno(error, ...unwritable)) return;
    if (!isSystemError(error)) throw error;
    warn(`cannot cache status facts in ${file}: ${error.message}`);
  }
}
