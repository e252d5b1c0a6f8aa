import path from 'node:path';
import { kernelReleaseProblem } from '../../kernel/release.ts';
import { archProblem, type KernelTarget } from '../../kernel/target.ts';

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

/** One entry of a tarball, as the tar reader lists it. */
export interface TarEntry {
  path: string;
  type: string;
  linkpath?: string | undefined;
}

/**
 * What loading a tarball does: a plain source tarball registers the directory that holds its dkms.conf; a
 * dkms tarball registers its source (or its binaries-only stub) and loads each kernel's built modules.
 * Paths are relative to the archive's root.
 */
export type TarballLoadPlan =
  { kind: 'source'; confDir: string } | { kind: 'dkms'; confDir: string; builds: KernelTarget[] };

/**
 * The longest relative path accepted: extracted under a temporary directory and then copied under the
 * trees, it must stay well under the 4096 bytes of PATH_MAX.
 */
const maxPathBytes = 3072;
/** NAME_MAX: the longest name of one directory entry. */
const maxNameBytes = 255;

/** An entry's path without `./` steps and trailing slashes, as it lands under the extraction directory. */
export function normalizeEntryPath(name: string): string {
  const normal = path.posix.normalize(name).replace(/\/+$/, '');
  return normal === '.' ? '' : normal.replace(/^(\.\/)+/, '');
}

/**
 * Why a tarball entry must not be extracted, if it must not: an absolute path, a `..` component, a name
 * too long for the file system, a link that leads outside the extraction directory, or anything but a
 * file, directory or link (devices, FIFOs). Pure.
 */
export function checkTarEntry(entry: TarEntry): string | undefined {
  const name = entry.path;
  if (path.isAbsolute(name)) return 'has an absolute path';
  if (name.split('/').includes('..')) return 'has a ".." component';
  if (Buffer.byteLength(name) > maxPathBytes) return `has a path longer than ${maxPathBytes} bytes`;
  if (name.split('/').some((step) => Buffer.byteLength(step) > maxNameBytes))
    return `has a name longer than ${maxNameBytes} bytes`;
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
      const resolved = resolveLink(entry);
      if (resolved === '..' || resolved.startsWith('../'))
        return `is a link to ${target}, outside the archive`;
      return undefined;
    }
    default:
      return `is a ${entry.type} entry (only files, directories and links are allowed)`;
  }
}

/** Where a link entry leads, relative to the archive root: a hard link's target is relative to the root, a symlink's to its directory. */
function resolveLink(entry: TarEntry): string {
  const base = entry.type === 'Link' ? '.' : path.posix.dirname(normalizeEntryPath(entry.path));
  return path.posix.normalize(path.posix.join(base, entry.linkpath ?? ''));
}

function isLink(entry: TarEntry): boolean {
  return entry.type === 'SymbolicLink' || entry.type === 'Link';
}

function within(file: string, dir: string): boolean {
  return dir === '' ? file !== '..' && !file.startsWith('../') : file === dir || file.startsWith(`${dir}/`);
}

/** The directory of the first dkms.conf in name order, depth first (where dkms's find looks first). */
function firstConfDir(entries: readonly TarEntry[]): string | undefined {
  const confs = entries
    .filter((e) => e.type !== 'Directory' && !isLink(e))
    .map((e) => normalizeEntryPath(e.path))
    .filter((p) => p === 'dkms.conf' || p.endsWith('/dkms.conf'))
    .map((p) => p.split('/'));
  confs.sort((a, b) => {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const x = a[i] ?? '';
      const y = b[i] ?? '';
      if (x !== y) return x < y ? -1 : 1;
    }
    return a.length - b.length;
  });
  return confs[0]?.slice(0, -1).join('/');
}

/**
 * Plans the load of a tarball from its entries, before anything is extracted: which directory is the
 * source, and which kernel/arch directories hold built modules. Refuses, listing every problem, a tarball
 * with an unsafe entry (see {@link checkTarEntry}), a kernel or arch directory whose name is not a
 * release or an arch, an arch entry that is not a directory, or a link that leads out of the part it
 * belongs to (a kernel's build directory, or the source), since each part is copied to a different
 * place. Pure.
 */
export function planTarballLoad(
  entries: readonly TarEntry[],
): { plan: TarballLoadPlan; problems: [] } | { plan: undefined; problems: string[] } {
  const problems: string[] = [];
  const normal = entries.map((e) => ({ ...e, path: normalizeEntryPath(e.path) }));
  const main = tarballDirs.main;
  const isDkms = normal.some((e) => e.path === main || e.path.startsWith(`${main}/`));
  const builds = new Map<string, KernelTarget>();
  for (const [i, entry] of normal.entries()) {
    const original = entries[i]?.path ?? entry.path;
    const reason = checkTarEntry({ ...entry, path: original });
    if (reason !== undefined) {
      problems.push(`${original} ${reason}`);
      continue;
    }
    if (!isDkms) continue;
    const steps = entry.path.split('/');
    if (steps[0] === main) {
      const [, release, arch] = steps;
      if (steps.length <= 3 && entry.type !== 'Directory') {
        problems.push(`${original} must be a directory (${main}/<kernel>/<arch>/), not a ${entry.type}`);
        continue;
      }
      const badRelease = release === undefined ? undefined : kernelReleaseProblem(release);
      if (badRelease !== undefined) {
        problems.push(`${original}: ${JSON.stringify(release)} is not a kernel release: ${badRelease}`);
        continue;
      }
      const badArch = arch === undefined ? undefined : archProblem(arch);
      if (badArch !== undefined) {
        problems.push(`${original}: ${JSON.stringify(arch)} is not an arch: ${badArch}`);
        continue;
      }
      if (release !== undefined && arch !== undefined) builds.set(`${release}/${arch}`, { release, arch });
    } else if (
      (steps[0] === tarballDirs.source || steps[0] === tarballDirs.binariesOnly) &&
      steps.length === 1 &&
      entry.type !== 'Directory'
    ) {
      problems.push(`${original} must be a directory, not a ${entry.type}`);
    }
  }
  let confDir: string | undefined;
  if (isDkms) {
    confDir = [tarballDirs.source, tarballDirs.binariesOnly].find((dir) =>
      normal.some((e) => e.path === `${dir}/dkms.conf` && e.type !== 'Directory' && !isLink(e)),
    );
    if (confDir === undefined)
      problems.push(`no dkms.conf in ${tarballDirs.source} or ${tarballDirs.binariesOnly}`);
  } else {
    confDir = firstConfDir(normal);
    if (confDir === undefined) problems.push('no dkms.conf found within it');
  }
  for (const entry of normal.filter(isLink)) {
    const part = partOf(entry.path, confDir);
    if (part !== undefined && !within(resolveLink(entry), part))
      problems.push(
        `${entry.path} is a link to ${entry.linkpath ?? ''}, outside ${part === '' ? 'the archive' : part}`,
      );
  }
  if (problems.length > 0 || confDir === undefined) return { plan: undefined, problems };
  const sorted = [...builds.values()].sort((a, b) =>
    a.release === b.release ? (a.arch < b.arch ? -1 : 1) : a.release < b.release ? -1 : 1,
  );
  return {
    plan: isDkms ? { kind: 'dkms', confDir, builds: sorted } : { kind: 'source', confDir },
    problems: [],
  };
}

/**
 * The part of the archive an entry is copied with, which its links must stay in: its kernel's
 * dkms_main_tree/<K>/<A>, or the source directory. Undefined for entries that are not copied.
 */
function partOf(entry: string, confDir: string | undefined): string | undefined {
  const steps = entry.split('/');
  if (steps[0] === tarballDirs.main) return steps.length > 3 ? steps.slice(0, 3).join('/') : undefined;
  if (confDir !== undefined && within(entry, confDir) && entry !== confDir) return confDir;
  return undefined;
}

/** The directories of an archive a load copies: each build's dkms_main_tree/<K>/<A>, and the source. Pure. */
export function planCopiedParts(plan: TarballLoadPlan): string[] {
  const builds =
    plan.kind === 'dkms' ? plan.builds.map((b) => `${tarballDirs.main}/${b.release}/${b.arch}`) : [];
  return plan.confDir === tarballDirs.binariesOnly ? builds : [...builds, plan.confDir];
}

/**
 * Where dkms 3.0.10's ldtarball looks for dkms.conf: dkms_source_tree, then dkms_binaries_only; it takes
 * no other tarball (its test for a plain source tarball never succeeds). Undefined when neither holds one.
 * Pure.
 */
export function planDkmsConfDir(entries: readonly TarEntry[]): string | undefined {
  return [tarballDirs.source, tarballDirs.binariesOnly].find((dir) =>
    entries.some(
      (e) => normalizeEntryPath(e.path) === `${dir}/dkms.conf` && e.type !== 'Directory' && !isLink(e),
    ),
  );
}
