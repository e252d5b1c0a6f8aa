import path from 'node:path';
import type { ModuleConf } from '../conf/module-conf.ts';
import type { Paths } from '../paths.ts';
import { tree } from '../state/tree.ts';
import type { Op } from './journal.ts';
import type { OriginalModule } from './originals.ts';

/** What installing one built (module, version, kernel, arch) must know about the system first. */
export interface InstallFacts {
  module: string;
  version: string;
  kernel: string;
  arch: string;
  conf: ModuleConf;
  /** The built file in K/A/module/ for each DEST_MODULE_NAME. */
  builtFiles: ReadonlyMap<string, string>;
  /** The version kernel-K-A points at now, if any. */
  linkedVersion: string | undefined;
  /** Files that version installed and this install does not overwrite. */
  staleFiles: readonly string[];
  /** Per DEST_MODULE_NAME, the module this first install for the kernel shadows. */
  originals: ReadonlyMap<string, OriginalModule>;
  /** Files and directories that exist now, among those the ops touch. */
  existing: ReadonlySet<string>;
  /**
   * Archive originals as copies and leave them in place (dkms 3.0.10 on Debian and Ubuntu leaves them,
   * and deletes original_module/ on uninstall, so a moved original would be lost to it).
   */
  archiveByCopy: boolean;
}

/** The directory where a module is installed for a kernel: <installTree>/<K><DEST_MODULE_LOCATION>. */
export function destDir(paths: Paths, kernel: string, destLocation: string): string {
  return path.join(paths.installTree, kernel, destLocation);
}

function nearestExisting(dir: string, existing: ReadonlySet<string>, stop: string): string {
  let current = dir;
  while (current !== stop && !existing.has(current) && current !== path.dirname(current))
    current = path.dirname(current);
  return current;
}

/**
 * The ops of an install (dkms.in do_install): on the first install for a kernel, archive each module it
 * shadows into original_module/ with an .origin record; copy the built modules into place; remove what a
 * previously installed version left that this one does not replace; point kernel-K-A at V/K/A. Pure.
 */
export function planInstallOps(paths: Paths, facts: InstallFacts): Op[] {
  const ops: Op[] = [];
  const kernelTree = path.join(paths.installTree, facts.kernel);
  const originalDir = tree.originalModules(paths, facts.module, facts.kernel, facts.arch);
  const dirsMade = new Set<string>();
  const mkdir = (dir: string): void => {
    if (facts.existing.has(dir) || dirsMade.has(dir)) return;
    dirsMade.add(dir);
    ops.push({ op: 'mkdir', path: dir, existingParent: nearestExisting(dir, facts.existing, '/') });
  };
  if (facts.linkedVersion === undefined) {
    for (const [, original] of facts.originals) {
      if (original.kind !== 'found') continue;
      const archived = path.join(originalDir, path.basename(original.file));
      ops.push({ op: facts.archiveByCopy ? 'copy' : 'move', from: original.file, to: archived });
      // The path as the system under the root knows it, so the record holds wherever the root is mounted.
      ops.push({
        op: 'write',
        path: `${archived}.origin`,
        text: `/${path.relative(paths.root, original.file)}\n`,
      });
    }
  }
  const placed = new Set<string>();
  for (const record of facts.conf.modules) {
    const built = facts.builtFiles.get(record.destName);
    if (built === undefined) continue;
    const dir = destDir(paths, facts.kernel, record.destLocation);
    mkdir(dir);
    const dest = path.join(dir, path.basename(built));
    const movedAway =
      !facts.archiveByCopy &&
      facts.linkedVersion === undefined &&
      [...facts.originals.values()].some((o) => o.kind === 'found' && o.file === dest);
    ops.push({ op: 'place', source: built, dest, replaces: facts.existing.has(dest) && !movedAway });
    placed.add(dest);
  }
  for (const stale of facts.staleFiles) {
    if (!placed.has(stale) && stale.startsWith(`${kernelTree}/`)) ops.push({ op: 'delete', path: stale });
  }
  const link = tree.kernelLink(paths, facts.module, facts.kernel, facts.arch);
  ops.push({
    op: 'link',
    link,
    target: tree.kernelLinkTarget(facts.version, facts.kernel, facts.arch),
    previous:
      facts.linkedVersion === undefined
        ? undefined
        : tree.kernelLinkTarget(facts.linkedVersion, facts.kernel, facts.arch),
  });
  return ops;
}
