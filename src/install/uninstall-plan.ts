import path from 'node:path';
import type { ModuleConf } from '../conf/module-conf.ts';
import type { Paths } from '../paths.ts';
import { moduleNameOf } from '../state/module-name.ts';
import { tree } from '../state/tree.ts';
import { destDir } from './install-plan.ts';
import type { Op } from './journal.ts';

export interface ArchivedOriginal {
  /** The file in original_module/K/A/. */
  file: string;
  /** Where it came from, from its .origin record. */
  origin: string | undefined;
}

export interface UninstallFacts {
  module: string;
  kernel: string;
  arch: string;
  conf: ModuleConf;
  installedFiles: readonly string[];
  archived: readonly ArchivedOriginal[];
  existing: ReadonlySet<string>;
}

/**
 * Where an archived original goes back: where its .origin record says, when that is inside the kernel's
 * tree; else at DEST_MODULE_LOCATION as dkms 3.0.10 did (/updates for a module dkms.conf no longer names).
 * Pure; the facts reader asks it which paths to look at.
 */
export function planRestoreTarget(
  paths: Paths,
  facts: Pick<UninstallFacts, 'kernel' | 'conf'>,
  original: ArchivedOriginal,
): string {
  const kernelTree = path.join(paths.installTree, facts.kernel);
  const origin = original.origin === undefined ? undefined : path.join(paths.root, original.origin);
  if (origin !== undefined && origin.startsWith(`${kernelTree}/`)) return origin;
  const name = moduleNameOf(original.file);
  const record = facts.conf.modules.find((m) => m.destName === name);
  return path.join(
    destDir(paths, facts.kernel, record?.rawDestLocation ?? '/updates'),
    path.basename(original.file),
  );
}

/**
 * The ops of an uninstall (dkms.in do_uninstall): delete the installed modules, put each archived original
 * back where its .origin says (which must be inside the kernel's tree; else at DEST_MODULE_LOCATION as dkms
 * 3.0.10 did), and remove kernel-K-A. Pure.
 */
export function planUninstallOps(paths: Paths, facts: UninstallFacts): Op[] {
  const ops: Op[] = facts.installedFiles.map((file): Op => ({ op: 'delete', path: file }));
  const made = new Set<string>();
  for (const original of facts.archived) {
    const target = planRestoreTarget(paths, facts, original);
    if (facts.existing.has(target) && !facts.installedFiles.includes(target)) {
      // Archived as a copy, and still in place: only the copy goes.
      ops.push({ op: 'delete', path: original.file });
      if (original.origin !== undefined) ops.push({ op: 'delete', path: `${original.file}.origin` });
      continue;
    }
    const dir = path.dirname(target);
    if (!facts.existing.has(dir) && !made.has(dir)) {
      made.add(dir);
      let parent = dir;
      while (!facts.existing.has(parent) && parent !== path.dirname(parent)) parent = path.dirname(parent);
      ops.push({ op: 'mkdir', path: dir, existingParent: parent });
    }
    ops.push({ op: 'move', from: original.file, to: target });
    if (original.origin !== undefined) ops.push({ op: 'delete', path: `${original.file}.origin` });
  }
  ops.push({ op: 'delete', path: tree.kernelLink(paths, facts.module, facts.kernel, facts.arch) });
  return ops;
}
