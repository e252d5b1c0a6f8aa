import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import * as tar from 'tar';
import { KmodError } from '../../errors.ts';
import type { TarEntry } from './layout.ts';

async function walk(dir: string, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await readdir(dir)).sort()) {
    const rel = `${prefix}/${name}`;
    out.push(rel);
    if ((await lstat(path.join(dir, name))).isDirectory())
      out.push(...(await walk(path.join(dir, name), rel)));
  }
  return out;
}

/**
 * Writes a gzipped tarball of everything under `dir`, as `tar -C dir -czf file .` would, but with sorted
 * entries, root ownership and one time stamp, so the same tree gives the same bytes.
 */
export async function writeTarball(dir: string, file: string, mtime: Date): Promise<void> {
  const entries = ['.', ...(await walk(dir, '.'))];
  await tar.c(
    { gzip: { level: 9 }, cwd: dir, file, portable: true, mtime, noDirRecurse: true, noPax: true },
    entries,
  );
}

/**
 * Lists every entry of a tarball, reading it to its end: a truncated or corrupt archive is refused here,
 * before anything is extracted.
 */
export async function readTarEntries(file: string): Promise<TarEntry[]> {
  const entries: TarEntry[] = [];
  await tar
    .t({
      file,
      strict: true,
      onReadEntry: (entry) => {
        entries.push({ path: entry.path, type: entry.type, linkpath: entry.linkpath });
        entry.resume();
      },
    })
    .catch((error: unknown) => {
      throw new KmodError(
        'ARCHIVE_INVALID',
        `${file}: not a readable tarball: ${error instanceof Error ? error.message : String(error)}`,
        { hint: 'nothing was written' },
      );
    });
  return entries;
}

/** Extracts a tarball that {@link checkTarball} accepted into `dir`, keeping modes, not owners. */
export async function extractTarball(file: string, dir: string): Promise<void> {
  await tar.x({ file, cwd: dir, preserveOwner: false, strict: true });
}
