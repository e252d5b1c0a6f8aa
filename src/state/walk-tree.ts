import type { Stats } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';

/** One entry below a walked directory. Paths are bytes: file names are, and sources hold non-UTF-8 ones. */
export interface TreeEntry {
  /** The full path. */
  path: Buffer;
  /** The path relative to the walked directory. */
  relative: Buffer;
  /** lstat of the entry: links are reported, not followed. */
  stats: Stats;
}

/** Every entry below `dir`, depth first, each directory's names in byte order, so a walk is reproducible. */
export async function readTree(dir: string): Promise<TreeEntry[]> {
  const entries: TreeEntry[] = [];
  const visit = async (full: Buffer, relative: Buffer | undefined): Promise<void> => {
    const names = (await readdir(full, { encoding: 'buffer' })).sort((a, b) => Buffer.compare(a, b));
    for (const name of names) {
      const path = Buffer.concat([full, Buffer.from('/'), name]);
      const rel = relative === undefined ? name : Buffer.concat([relative, Buffer.from('/'), name]);
      const stats = await lstat(path);
      entries.push({ path, relative: rel, stats });
      if (stats.isDirectory()) await visit(path, rel);
    }
  };
  await visit(Buffer.from(dir), undefined);
  return entries;
}
