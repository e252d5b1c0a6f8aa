import path from 'node:path';
import type { ModuleConf } from '../conf/module-conf.ts';
import type { KernelTarget } from '../kernel/target.ts';
import type { Paths } from '../paths.ts';
import { tree } from '../state/tree.ts';
import type { Op } from './journal.ts';
import { planUninstallOps, type UninstallFacts } from './uninstall-plan.ts';

/** uninstall: off the kernel, still built; unbuild: also forget the build; remove: also unregister when no build is left. */
export type RemoveMode = 'uninstall' | 'unbuild' | 'remove';

/** What uninstall, unbuild and remove need to know about one kernel/arch, read once before planning. */
export interface RemoveTargetFacts {
  target: KernelTarget;
  built: boolean;
  /** The facts of the uninstall when the module is installed for the kernel, else undefined. */
  uninstall: UninstallFacts | undefined;
}

export interface RemoveFacts {
  module: string;
  version: string;
  mode: RemoveMode;
  targets: readonly RemoveTargetFacts[];
  /** The built K/A directories of the version now (<dkmsTree>/M/V/K/A). */
  builtDirs: readonly string[];
  /** The names in <dkmsTree>/M now. */
  moduleDirEntries: readonly string[];
}

export interface RemoveOutcome {
  module: string;
  version: string;
  kernel: string;
  arch: string;
  uninstalled: boolean;
  unbuilt: boolean;
  /** Why nothing was done for this kernel, as dkms says it ("not installed", "not built"). */
  skipped: string | undefined;
}

/** What an uninstall, unbuild or remove will do: one transaction, then the scripts and clean-ups. */
export interface RemovePlan {
  command: string;
  outcomes: RemoveOutcome[];
  ops: Op[];
  /** Kernels whose module trees change: depmod runs for each once. */
  kernels: string[];
  /** The kernels uninstalled from, with the dkms.conf each was installed with (POST_REMOVE, clean-up). */
  uninstalled: { target: KernelTarget; conf: ModuleConf }[];
  /** remove: the module version leaves the tree. */
  removedVersion: boolean;
}

/**
 * Plans dkms's uninstall, unbuild or remove for the kernels given: uninstall ops where the module is
 * installed, the build directory where it is built (unbuild, remove), and, for remove, the version's (or
 * the whole module's) directory once no build is left. Pure.
 */
export function planRemove(paths: Paths, facts: RemoveFacts): RemovePlan {
  const { module, version, mode } = facts;
  const ops: Op[] = [];
  const outcomes: RemoveOutcome[] = [];
  const uninstalled: RemovePlan['uninstalled'] = [];
  const deleted = new Set<string>();
  for (const { target, built, uninstall } of facts.targets) {
    const where = `for kernel ${target.release} (${target.arch})`;
    const outcome: RemoveOutcome = {
      module,
      version,
      kernel: target.release,
      arch: target.arch,
      uninstalled: false,
      unbuilt: false,
      skipped: undefined,
    };
    outcomes.push(outcome);
    if (uninstall !== undefined) {
      ops.push(...planUninstallOps(paths, uninstall));
      outcome.uninstalled = true;
      uninstalled.push({ target, conf: uninstall.conf });
    } else if (mode === 'uninstall') {
      outcome.skipped = `Module ${module} ${version} is not installed ${where}. Skipping...`;
    }
    if (mode === 'uninstall') continue;
    if (built) {
      const dir = tree.built(paths, { module, version, kernel: target.release, arch: target.arch });
      ops.push({ op: 'delete', path: dir });
      deleted.add(dir);
      outcome.unbuilt = true;
    } else {
      outcome.skipped = `Module ${module} ${version} is not built ${where}. Skipping...`;
    }
  }
  let removedVersion = false;
  if (mode === 'remove' && facts.builtDirs.every((dir) => deleted.has(dir))) {
    // The module's own directory goes too when this version is all it holds (no other version, no
    // kernel link, no archived original), so that nothing of it is left even if we are killed.
    const links = new Set(
      uninstalled.map(({ target }) =>
        path.basename(tree.kernelLink(paths, module, target.release, target.arch)),
      ),
    );
    const others = facts.moduleDirEntries.filter((e) => e !== version && !links.has(e) && !e.startsWith('.'));
    ops.push({
      op: 'delete',
      path: others.length === 0 ? tree.module(paths, module) : tree.version(paths, module, version),
    });
    removedVersion = true;
  }
  return {
    command: `${mode} ${module}/${version}`,
    outcomes,
    ops,
    kernels: [...new Set(uninstalled.map(({ target }) => target.release))],
    uninstalled,
    removedVersion,
  };
}
