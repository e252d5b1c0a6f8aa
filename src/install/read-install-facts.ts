import { lstat, readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { ModuleConf } from '../conf/module-conf.ts';
import type { Paths } from '../paths.ts';
import { findModuleFile } from '../state/module-file.ts';
import { tree } from '../state/tree.ts';
import { destDir } from './install-plan.ts';
import type { ArchivedOriginal } from './uninstall-plan.ts';

/** The installed files of a module version for a kernel: each module at its location or the raw one. */
export async function readInstalledFiles(paths: Paths, conf: ModuleConf, kernel: string): Promise<string[]> {
  const files: string[] = [];
  for (const record of conf.modules) {
    for (const location of new Set([record.destLocation, record.rawDestLocation])) {
      const file = await findModuleFile(destDir(paths, kernel, location), record.destName);
      if (file !== undefined) {
        files.push(file);
        break;
      }
    }
  }
  return files;
}

/** Which of these paths (and their parent directories) exist now. */
export async function readExisting(paths: readonly string[]): Promise<Set<string>> {
  const existing = new Set<string>();
  for (const p of paths) {
    for (let current = p; current !== path.dirname(current); current = path.dirname(current)) {
      if (existing.has(current)) break;
      try {
        await lstat(current);
        existing.add(current);
      } catch {
        // Absent; the walk goes on to the parent, which the op's mkdir needs to know.
      }
    }
  }
  return existing;
}

/** The files in a directory, or none. */
export async function listFiles(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).map((f) => path.join(dir, f));
  } catch {
    return [];
  }
}

/** The archived originals of a module for one kernel/arch, with their .origin records. */
export async function readArchivedOriginals(
  paths: Paths,
  module: string,
  kernel: string,
  arch: string,
): Promise<ArchivedOriginal[]> {
  const files = (await listFiles(tree.originalModules(paths, module, kernel, arch))).filter((f) =>
    /\.ko(\.gz|\.xz|\.zst)?$/.test(f),
  );
  return Promise.all(
    files.map(async (file) => {
      try {
        return { file, origin: (await readFile(`${file}.origin`, 'utf8')).trim() };
      } catch {
        return { file, origin: undefined };
      }
    }),
  );
}
