import { realpath } from 'node:fs/promises';
import path from 'node:path';
import type { Context } from '../context.ts';
import { runDepmod } from '../install/depmod.ts';
import { readArchivedOriginals, readExisting, readInstalledFiles } from '../install/read-install-facts.ts';
import { removeEmptyDirs, runTransaction } from '../install/journal.ts';
import { planRestoreTarget, type UninstallFacts } from '../install/uninstall-plan.ts';
import {
  planRemove,
  type RemoveFacts,
  type RemoveMode,
  type RemoveOutcome,
  type RemovePlan,
} from '../install/remove-plan.ts';
import type { KernelTarget } from '../kernel/target.ts';
import { isInstalled, readBuilds } from '../state/read-state.ts';
import { readRegisteredConf, requireAdded } from '../state/registered.ts';
import { isKernelDirName, tree } from '../state/tree.ts';
import { runModuleScript } from './module-scripts.ts';
import { compareKernelReleases } from '../version/kernel.ts';
import { listDir } from '../state/fs.ts';
import type { LockedContext } from './mutation.ts';

export type { RemoveMode, RemoveOutcome } from '../install/remove-plan.ts';

export interface RemoveResult {
  outcomes: RemoveOutcome[];
  /** remove: the module version was deleted from the tree. */
  removedVersion: boolean;
}

/** --all: every kernel/arch the module version is built for, sorted as dkms does (sort -V). */
export async function readBuiltTargets(
  ctx: Context,
  module: string,
  version: string,
): Promise<KernelTarget[]> {
  const builds = await readBuilds(ctx.paths, module, version);
  return builds
    .map((b) => ({ release: b.kernel, arch: b.arch }))
    .sort((a, b) => compareKernelReleases(`${a.release}/${a.arch}`, `${b.release}/${b.arch}`));
}

/** The facts of uninstalling a module version from one kernel, read from its dkms.conf and the trees. */
async function readUninstallFacts(
  ctx: Context,
  module: string,
  version: string,
  target: KernelTarget,
): Promise<UninstallFacts> {
  const { conf } = await readRegisteredConf(ctx, module, version, target);
  const installedFiles = await readInstalledFiles(ctx.paths, conf, target.release);
  const archived = await readArchivedOriginals(ctx.paths, module, target.release, target.arch);
  return {
    module,
    kernel: target.release,
    arch: target.arch,
    conf,
    installedFiles,
    archived,
    // Where each original would go back, and the directories above it: whether it is taken, what exists.
    existing: await readExisting(
      archived.map((a) => planRestoreTarget(ctx.paths, { kernel: target.release, conf }, a)),
    ),
  };
}

/** Reads, once, everything uninstall, unbuild and remove decide on (dkms.conf once per kernel). */
export async function readRemoveFacts(
  ctx: Context,
  options: { module: string; version: string; targets: readonly KernelTarget[]; mode: RemoveMode },
): Promise<RemoveFacts> {
  const { module, version } = options;
  await requireAdded(ctx, module, version);
  const targets = [];
  for (const target of options.targets) {
    const built =
      (await readBuilds(ctx.paths, module, version, { kernel: target.release, arch: target.arch })).length >
      0;
    const installed = await isInstalled(ctx.paths, {
      module,
      version,
      kernel: target.release,
      arch: target.arch,
    });
    targets.push({
      target,
      built,
      uninstall: installed ? await readUninstallFacts(ctx, module, version, target) : undefined,
    });
  }
  const versionDir = tree.version(ctx.paths, module, version);
  const builtDirs: string[] = [];
  for (const kernel of (await listDir(versionDir)).filter(isKernelDirName)) {
    for (const arch of await listDir(path.join(versionDir, kernel)))
      if (!arch.startsWith('.')) builtDirs.push(path.join(versionDir, kernel, arch));
  }
  return {
    module,
    version,
    mode: options.mode,
    targets,
    builtDirs,
    moduleDirEntries: await listDir(tree.module(ctx.paths, module)),
  };
}

/**
 * uninstall / unbuild / remove for the given kernels (dkms's three actions): the facts are read once,
 * planned, and applied in one transaction with one depmod per kernel; killed or failing part way, it is
 * rolled back as a whole. With dryRun, the plan is returned and nothing changes.
 */
export async function removeModule(
  ctx: LockedContext,
  options: {
    module: string;
    version: string;
    targets: readonly KernelTarget[];
    mode: RemoveMode;
    noDepmod: boolean;
  },
): Promise<RemoveResult> {
  const plan = planRemove(ctx.paths, await readRemoveFacts(ctx, options));
  await applyRemovePlan(ctx, plan, options);
  return { outcomes: plan.outcomes, removedVersion: plan.removedVersion };
}

/** Runs a remove plan: its transaction with depmod, then POST_REMOVE and the clean-up of empty directories. */
export async function applyRemovePlan(
  ctx: LockedContext,
  plan: RemovePlan,
  options: { module: string; version: string; targets: readonly KernelTarget[]; noDepmod: boolean },
): Promise<void> {
  const { module, version } = options;
  if (plan.ops.length === 0) return;
  const depmodAll = async (): Promise<void> => {
    if (!options.noDepmod)
      for (const kernel of plan.kernels)
        await runDepmod(ctx.paths, kernel, ctx.emit, 'the change was rolled back');
  };
  // The source link may be gone with the version; POST_REMOVE still runs in the source it pointed to.
  const sourceDir = await realpath(tree.sourceLink(ctx.paths, module, version)).catch(() => undefined);
  await runTransaction(
    ctx.paths,
    { command: plan.command, kernels: plan.kernels, ops: plan.ops },
    depmodAll,
    depmodAll,
    ctx.killAfterOp,
  );
  for (const { target, conf } of plan.uninstalled) {
    const postRemove = conf.scripts.postRemove;
    if (postRemove !== undefined && sourceDir === undefined) {
      ctx.emit({ type: 'warning', message: `${module}/${version}: its source is gone; POST_REMOVE not run` });
    } else if (postRemove !== undefined && sourceDir !== undefined) {
      await runModuleScript(ctx, {
        module,
        version,
        kind: 'POST_REMOVE',
        script: postRemove,
        kernel: target.release,
        arch: target.arch,
        sourceDir,
      });
    }
    await cleanUpAfterUninstall(
      ctx,
      module,
      target,
      conf.modules.map((m) => m.destLocation),
    );
  }
  for (const t of options.targets)
    await removeEmptyDirs(
      tree.kernelDir(ctx.paths, module, version, t.release),
      tree.version(ctx.paths, module, version),
    );
  await removeEmptyDirs(tree.module(ctx.paths, module), ctx.paths.dkmsTree);
}

/** Empty directories an uninstall leaves: the module's install locations and its original_module/K/A. */
async function cleanUpAfterUninstall(
  ctx: Context,
  module: string,
  target: KernelTarget,
  locations: readonly string[],
): Promise<void> {
  const kernelTree = path.join(ctx.paths.installTree, target.release);
  for (const location of new Set(locations))
    await removeEmptyDirs(path.join(kernelTree, location), kernelTree);
  await removeEmptyDirs(
    tree.originalModules(ctx.paths, module, target.release, target.arch),
    tree.module(ctx.paths, module),
  );
}
