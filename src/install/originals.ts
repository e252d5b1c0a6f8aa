import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { findModuleFile } from '../state/module-file.ts';
import { moduleSuffixes } from '../state/module-name.ts';
import { isDir } from '../state/fs.ts';
import { readTree } from '../state/walk-tree.ts';

/** Every file named <name>.ko[.gz|.xz|.zst] under a kernel's module tree, not following symlinks (build, source). */
export async function findModulesNamed(kernelTree: string, name: string): Promise<string[]> {
  if (!(await isDir(kernelTree))) return [];
  const wanted = new Set(moduleSuffixes.map((s) => `${name}${s}`));
  return (await readTree(kernelTree))
    .filter((e) => e.kind === 'file' && wanted.has(path.basename(e.path.toString())))
    .map((e) => e.path.toString())
    .sort();
}

export type OriginalModule =
  { kind: 'found'; file: string } | { kind: 'ambiguous'; files: string[] } | { kind: 'none' };

/**
 * The module a first install would shadow, which dkms archives (dkms.in do_install): the first of
 * <K>/extra, <K>/updates and <K><DEST_MODULE_LOCATION>, else the only same-named module in the tree.
 */
export async function findOriginalModule(
  kernelTree: string,
  name: string,
  destLocation: string,
): Promise<OriginalModule> {
  for (const dir of ['/extra', '/updates', destLocation]) {
    const file = await findModuleFile(path.join(kernelTree, dir), name);
    if (file !== undefined && (await lstat(file)).isFile()) return { kind: 'found', file };
  }
  const all = await findModulesNamed(kernelTree, name);
  if (all.length === 1 && all[0] !== undefined) return { kind: 'found', file: all[0] };
  return all.length === 0 ? { kind: 'none' } : { kind: 'ambiguous', files: all };
}
