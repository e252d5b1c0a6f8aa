import { lstatSync, readdirSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { isErrno } from '../errors.ts';
import type { Paths } from '../paths.ts';
import { type BuildKey, isKernelDirName, tree } from './tree.ts';
import { isDir, lookup } from './fs.ts';

export interface BuiltEntry {
  kernel: string;
  arch: string;
  /** The kernel-K-A link points at this version. */
  installed: boolean;
}

export interface VersionEntry {
  module: string;
  version: string;
  /** The source link is dangling or missing while the registered source exists (dkms's "broken"). */
  broken: boolean;
  /** <dkmsTree>/M/V/K/A directories that have a module/ directory, in glob order. */
  builds: BuiltEntry[];
}

export interface StateFilter {
  module?: string | undefined;
  version?: string | undefined;
  kernel?: string | undefined;
  arch?: string | undefined;
}

function entries(dir: string): Promise<string[]> {
  return lookup(() => {
    try {
      return readdirSync(dir).sort(byteOrder);
    } catch (error) {
      if (isErrno(error, 'ENOENT', 'ENOTDIR', 'EACCES')) return [];
      throw error;
    }
  });
}

/** bash globs in the C locale sort by bytes; status lines follow glob order. */
export function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function isLink(p: string): Promise<boolean> {
  return lookup(() => {
    try {
      return lstatSync(p).isSymbolicLink();
    } catch {
      return false;
    }
  });
}

/** Where <dkmsTree>/M/kernel-K-A points, as a path relative to the module dir (e.g. "1.0/6.1.0-56-amd64/x86_64"). */
export function readKernelLink(
  paths: Paths,
  module: string,
  kernel: string,
  arch: string,
): Promise<string | undefined> {
  return lookup(() => {
    try {
      const target = readlinkSync(tree.kernelLink(paths, module, kernel, arch));
      return path.relative(tree.module(paths, module), path.resolve(tree.module(paths, module), target));
    } catch (error) {
      if (isErrno(error, 'ENOENT', 'EINVAL', 'ENOTDIR')) return undefined;
      throw error;
    }
  });
}

export async function isInstalled(paths: Paths, build: BuildKey): Promise<boolean> {
  const { module, version, kernel, arch } = build;
  return (await readKernelLink(paths, module, kernel, arch)) === path.join(version, kernel, arch);
}

/** dkms's is_module_added: M/V is a directory holding a source link or directory. */
export async function isAdded(paths: Paths, module: string, version: string): Promise<boolean> {
  if (module === '' || version === '') return false;
  const link = tree.sourceLink(paths, module, version);
  return (await isDir(tree.version(paths, module, version))) && ((await isLink(link)) || (await isDir(link)));
}

/** The K/A directories of M/V that hold a module/ directory. */
export async function readBuilds(
  paths: Paths,
  module: string,
  version: string,
  filter: StateFilter = {},
): Promise<BuiltEntry[]> {
  const builds: BuiltEntry[] = [];
  for (const kernel of await entries(tree.version(paths, module, version))) {
    if (!isKernelDirName(kernel) || (filter.kernel !== undefined && kernel !== filter.kernel)) continue;
    for (const arch of await entries(tree.kernelDir(paths, module, version, kernel))) {
      if (arch.startsWith('.') || (filter.arch !== undefined && arch !== filter.arch)) continue;
      if (!(await isDir(tree.builtModules(paths, { module, version, kernel, arch })))) continue;
      builds.push({ kernel, arch, installed: await isInstalled(paths, { module, version, kernel, arch }) });
    }
  }
  return builds;
}

/** Every added module version (filtered), in dkms's glob order: module, then version. */
export async function readModuleStates(paths: Paths, filter: StateFilter = {}): Promise<VersionEntry[]> {
  const result: VersionEntry[] = [];
  const modules = filter.module === undefined ? await entries(paths.dkmsTree) : [filter.module];
  for (const module of modules) {
    if (module.startsWith('.')) continue;
    const versions =
      filter.version === undefined ? await entries(tree.module(paths, module)) : [filter.version];
    for (const version of versions) {
      if (!(await isAdded(paths, module, version))) continue;
      const broken = !(await isDir(tree.sourceLink(paths, module, version)));
      result.push({
        module,
        version,
        broken,
        builds: broken ? [] : await readBuilds(paths, module, version, filter),
      });
    }
  }
  return result;
}
