import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { isErrno } from '../errors.ts';
import type { Paths } from '../paths.ts';
import { readOptional } from './fs.ts';
import { isKernelDirName, tree } from './tree.ts';

/** A kmodforge.json a build left in M/V/K/A, with when it was written. */
interface BuildRecordFile {
  file: string;
  kernel: string;
  arch: string;
  mtimeMs: number;
}

/** The directories in dir (links such as kernel-K-A and source are not followed), or none. */
async function listDirs(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true }))
      .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
      .map((e) => e.name);
  } catch (error) {
    if (isErrno(error, 'ENOENT', 'ENOTDIR', 'EACCES')) return [];
    throw error;
  }
}

async function mtimeOf(file: string): Promise<number | undefined> {
  try {
    return (await stat(file)).mtimeMs;
  } catch (error) {
    if (isErrno(error, 'ENOENT', 'ENOTDIR', 'EACCES')) return undefined;
    throw error;
  }
}

/** Every build record of a module: M/<version>/<kernel>/<arch>/kmodforge.json. */
async function listBuildRecords(paths: Paths, module: string): Promise<BuildRecordFile[]> {
  const moduleDir = tree.module(paths, module);
  const versions = (await listDirs(moduleDir)).filter((v) => v !== 'original_module');
  const nested = await Promise.all(
    versions.map(async (version) => {
      const kernels = (await listDirs(path.join(moduleDir, version))).filter(isKernelDirName);
      return Promise.all(
        kernels.map(async (kernel) => {
          const arches = await listDirs(path.join(moduleDir, version, kernel));
          return Promise.all(
            arches.map(async (arch): Promise<BuildRecordFile | undefined> => {
              const file = tree.buildRecord(paths, { module, version, kernel, arch });
              const mtimeMs = await mtimeOf(file);
              return mtimeMs === undefined ? undefined : { file, kernel, arch, mtimeMs };
            }),
          );
        }),
      );
    }),
  );
  return nested.flat(2).filter((r) => r !== undefined);
}

/**
 * How long a build of `module` for a kernel may take, from what kmodforge recorded (`seconds` in
 * kmodforge.json): the most recent build of the module for the same kernel and arch, else its most recent
 * build of any version for any kernel; null when there is none. A few directory reads and one small file,
 * so that a build's start pays next to nothing for its estimate.
 */
export async function readBuildEstimate(
  paths: Paths,
  module: string,
  target: { release: string; arch: string },
): Promise<number | null> {
  const records = await listBuildRecords(paths, module);
  const same = (r: BuildRecordFile): number =>
    r.kernel === target.release && r.arch === target.arch ? 1 : 0;
  records.sort((a, b) => same(b) - same(a) || b.mtimeMs - a.mtimeMs);
  for (const record of records.slice(0, 3)) {
    const text = await readOptional(record.file);
    if (text === undefined) continue;
    try {
      const seconds = (JSON.parse(text) as { seconds?: unknown }).seconds;
      if (typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0) return seconds;
    } catch {
      // A record cut short (a full disk) is no estimate; an older one may be.
    }
  }
  return null;
}
