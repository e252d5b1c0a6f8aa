import path from 'node:path';
import type { KernelTarget } from '../../kernel/target.ts';

/** dkms's tarball layout: built modules, and either the source or a binaries-only stub. */
export const tarballDirs = {
  main: 'dkms_main_tree',
  source: 'dkms_source_tree',
  binariesOnly: 'dkms_binaries_only',
} as const;

/**
 * dkms's tarball name: `<M>-<V>-kernel<K>-<A>[-kernel<K>-<A>…].dkms.tar.gz`, `…-source-only…`, and
 * `manykernels` when the kernel list would pass 200 characters. Pure.
 */
export function planTarballName(
  module: string,
  version: string,
  targets: readonly KernelTarget[],
  sourceOnly: boolean,
): string {
  let kernels = sourceOnly ? 'source-only' : targets.map((t) => `kernel${t.release}-${t.arch}`).join('-');
  if (kernels.length + 1 > 200) kernels = 'manykernels';
  return `${module}-${version}-${kernels}.dkms.tar.gz`;
}

/**
 * Why a tarball entry must not be extracted, if it must not: an absolute path, a `..` component, a link
 * that leads outside the extraction directory, or anything but a file, directory or link (devices,
 * FIFOs). Pure.
 */
export function checkTarEntry(entry: {
  path: string;
  type: string;
  linkpath?: string | undefined;
}): string | undefined {
  const name = entry.path;
  if (path.isAbsolute(name)) return 'has an absolute path';
  if (name.split('/').includes('..')) return 'has a ".." component';
  switch (entry.type) {
    case 'File':
    case 'OldFile':
    case 'ContiguousFile':
    case 'Directory':
      return undefined;
    case 'SymbolicLink':
    case 'Link': {
      const target = entry.linkpath ?? '';
      if (path.isAbsolute(target)) return `is a link to the absolute path ${target}`;
      // A hard link's target is relative to the archive root, a symlink's to the link's directory.
      const base = entry.type === 'Link' ? '.' : path.posix.dirname(name);
      const resolved = path.posix.normalize(path.posix.join(base, target));
      if (resolved === '..' || resolved.startsWith('../'))
        return `is a link to ${target}, outside the archive`;
      return undefined;
    }
    default:
      return `is a ${entry.type} entry (only files, directories and links are allowed)`;
  }
}
