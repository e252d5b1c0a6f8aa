import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';

/** One entry below a walked directory. Paths are bytes: file names are, and sources hold non-UTF-8 ones. */
export interface TreeEntry {
  /** The full path. */
  path: Buffer;
  /** The path relative to the walked directory. */
  relative: Buffer;
  /** What the entry is itself: links are reported, not followed. */
  kind: 'file' | 'directory' | 'link' | 'other';
}

function kindOf(entry: Dirent<Buffer>): TreeEntry['kind'] {
  if (entry.isFile()) return 'file';
  if (entry.isDirectory()) return 'directory';
  if (entry.isSymbolicLink()) return 'link';
  return 'other';
}

/**
 * Every entry below `dir`, depth first, each directory's names in byte order, so a walk is reproducible.
 * Kinds come from the directory entries themselves: a walk of a kernel's module tree stats nothing.
 */
export async function readTree(dir: string): Promise<TreeEntry[]> {
  const entries: TreeEntry[] = [];
  const slash = Buffer.from('/');
  const visit = async (full: Buffer, relative: Buffer | undefined): Promise<void> => {
    const names = (await readdir(full, { encoding: 'buffer', withFileTypes: true })).sort((a, b) =>
      Buffer.compare(a.name, b.name),
    );
    for (const dirent of names) {
      const path = Buffer.concat([full, slash, dirent.name]);
      const rel = relative === undefined ? dirent.name : Buffer.concat([relative, slash, dirent.name]);
      const kind = kindOf(dirent);
      entries.push({ path, relative: rel, kind });
      if (kind === 'directory') await visit(path, rel);
    }
  };
  await visit(Buffer.from(dir), undefined);
  return entries;
}
