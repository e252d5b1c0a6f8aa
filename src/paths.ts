import path from 'node:path';

/**
 * Every system path kmodforge touches hangs off one root, so tests and packaging can point the whole tool at
 * a staging tree. The dkms options (--dkmstree, --sourcetree, --installtree) override single trees.
 */
export interface Paths {
  root: string;
  dkmsTree: string;
  sourceTree: string;
  installTree: string;
  etcDkms: string;
  etcKmodforge: string;
  /** `<root>/var/cache/kmodforge/builds`: the build cache, one directory per build key (build/build-cache.ts). */
  buildCache: string;
  /** `<root>/var/cache/kmodforge/status`: status's readings of dkms.conf files, which it may redo any time. */
  statusCache: string;
  /** `<root>/var/cache/kmodforge/verify`: verify's kernel packages, extracted kernels and initramfs pieces. */
  verifyCache: string;
  /** --kernelsourcedir: headers for the (single) kernel being worked on, instead of <installTree>/<K>/build. */
  kernelSourceDir: string | undefined;
}

export interface PathOptions {
  root?: string | undefined;
  dkmsTree?: string | undefined;
  sourceTree?: string | undefined;
  installTree?: string | undefined;
  kernelSourceDir?: string | undefined;
}

/** A path of the system being worked on, e.g. underRoot(root, '/etc/os-release'). */
export function underRoot(root: string, systemPath: string): string {
  return path.join(root, systemPath);
}

export function resolvePaths(options: PathOptions = {}): Paths {
  const root = path.resolve(options.root ?? '/');
  const abs = (p: string | undefined, fallback: string): string =>
    p === undefined ? underRoot(root, fallback) : path.resolve(p);
  return {
    root,
    dkmsTree: abs(options.dkmsTree, '/var/lib/dkms'),
    sourceTree: abs(options.sourceTree, '/usr/src'),
    installTree: abs(options.installTree, '/lib/modules'),
    etcDkms: underRoot(root, '/etc/dkms'),
    etcKmodforge: underRoot(root, '/etc/kmodforge'),
    buildCache: underRoot(root, '/var/cache/kmodforge/builds'),
    statusCache: underRoot(root, '/var/cache/kmodforge/status'),
    verifyCache: underRoot(root, '/var/cache/kmodforge/verify'),
    kernelSourceDir:
      options.kernelSourceDir === undefined ? undefined : path.resolve(options.kernelSourceDir),
  };
}
