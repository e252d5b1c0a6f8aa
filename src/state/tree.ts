import path from 'node:path';
import type { Paths } from '../paths.ts';

/**
 * One build: a module version for one kernel and arch. Passed as named fields, so that four strings in a
 * row cannot be swapped without the compiler seeing it.
 */
export interface BuildKey {
  module: string;
  version: string;
  kernel: string;
  arch: string;
}

/** Where dkms 3.0.10 keeps each piece of a module's state; kmodforge keeps them in the same places. */
export const tree = {
  module: (p: Paths, m: string): string => path.join(p.dkmsTree, m),
  version: (p: Paths, m: string, v: string): string => path.join(p.dkmsTree, m, v),
  sourceLink: (p: Paths, m: string, v: string): string => path.join(p.dkmsTree, m, v, 'source'),
  /** dkms's shared build directory; kmodforge only creates it (dkms expects it) and builds elsewhere. */
  sharedBuild: (p: Paths, m: string, v: string): string => path.join(p.dkmsTree, m, v, 'build'),
  kernelDir: (p: Paths, m: string, v: string, k: string): string => path.join(p.dkmsTree, m, v, k),
  built: (p: Paths, b: BuildKey): string => path.join(p.dkmsTree, b.module, b.version, b.kernel, b.arch),
  /** kmodforge's record of the build beside dkms's files (BuildMeta in build/run-build.ts). */
  buildRecord: (p: Paths, b: BuildKey): string =>
    path.join(p.dkmsTree, b.module, b.version, b.kernel, b.arch, 'kmodforge.json'),
  builtModules: (p: Paths, b: BuildKey): string =>
    path.join(p.dkmsTree, b.module, b.version, b.kernel, b.arch, 'module'),
  /** "installed" marker: a relative link to V/K/A. */
  kernelLink: (p: Paths, m: string, k: string, a: string): string =>
    path.join(p.dkmsTree, m, `kernel-${k}-${a}`),
  kernelLinkTarget: (v: string, k: string, a: string): string => path.join(v, k, a),
  originalModules: (p: Paths, m: string, k: string, a: string): string =>
    path.join(p.dkmsTree, m, 'original_module', k, a),
  /** Where builds for different kernels run side by side instead of dkms's one M/V/build. */
  work: (p: Paths, b: BuildKey): string =>
    path.join(p.dkmsTree, b.module, b.version, '.kmodforge-build', `${b.kernel}-${b.arch}`),
  tarballs: (p: Paths, m: string, v: string): string => path.join(p.dkmsTree, m, v, 'tarball'),
  source: (p: Paths, m: string, v: string): string => path.join(p.sourceTree, `${m}-${v}`),
  journal: (p: Paths): string => path.join(p.dkmsTree, '.kmodforge-journal'),
};

/** dkms only lists kernel directories that match the extglob `+([0-9]).*`. */
export function isKernelDirName(name: string): boolean {
  return /^[0-9]+\./.test(name);
}
