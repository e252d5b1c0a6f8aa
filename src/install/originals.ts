import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { findModuleFile } from '../state/module-file.ts';
import { moduleSuffixes } from '../state/module-name.ts';

/** Every file named <name>.ko[.gz|.xz|.zst] under a kernel's module tree, not following symlinks (build, source). */
export async function findModulesNamed(kernelTree: string, name: string): Promise<string[]> {
  const wanted = new Set(moduleSuffixes.map((s) => `${name}${s}`));
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile() && wanted.has(entry.name)) found.push(full);
    }
  };
  await walk(kernelTree);
  return found.sort();
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
