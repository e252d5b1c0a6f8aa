import { realpath } from 'node:fs/promises';
import path from 'node:path';
import type { Context } from '../context.ts';
import { runDepmod } from '../install/depmod.ts';
import { readExisting, readInstalledFiles } from '../install/install-ops.ts';
import { removeEmptyDirs, runTransaction, type Op } from '../install/journal.ts';
import { planUninstallOps, readArchivedOriginals } from '../install/uninstall-ops.ts';
import type { KernelTarget } from '../kernel/target.ts';
import { isInstalled, readBuilds } from '../state/read-state.ts';
import { readRegisteredConf, requireAdded } from '../state/registered.ts';
import { isKernelDirName, tree } from '../state/tree.ts';
import { runModuleScript } from './module-scripts.ts';
import { compareKernelReleases } from '../version/kernel.ts';
import { listDir } from '../state/fs.ts';

/** uninstall: off the kernel, still built; unbuild: also forget the build; remove: also unregister when no build is left. */
export type RemoveMode = 'uninstall' | 'unbuild' | 'remove';

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

async function planUninstall(
  ctx: Context,
  module: string,
  version: string,
  target: KernelTarget,
): Promise<Op[]> {
  const { conf } = await readRegisteredConf(ctx, module, version, target);
  const installedFiles = await readInstalledFiles(ctx.paths, conf, target.release);
  const archived = await readArchivedOriginals(ctx.paths, module, target.release, target.arch);
  return planUninstallOps(ctx.paths, {
    module,
    kernel: target.release,
    arch: target.arch,
    conf,
    installedFiles,
    archived,
    existing: await readExisting(
      archived.map((a) =>
        a.origin === undefined
          ? path.join(ctx.paths.installTree, target.release)
          : path.join(ctx.paths.root, a.origin),
      ),
    ),
  });
}

/**
 * uninstall / unbuild / remove for the given kernels (dkms's three actions), in one transaction with one
 * depmod per kernel; killed or failing part way, it is rolled back as a whole.
 */
export async function removeModule(
  ctx: Context,
  options: {
    module: string;
    version: string;
    targets: readonly KernelTarget[];
    mode: RemoveMode;
    noDepmod: boolean;
  },
): Promise<RemoveResult> {
  const { module, version, mode } = options;
  await requireAdded(ctx, module, version);
  const ops: Op[] = [];
  const outcomes: RemoveOutcome[] = [];
  const uninstalled: KernelTarget[] = [];
  const deleted = new Set<string>();
  for (const target of options.targets) {
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
    const built =
      (await readBuilds(ctx.paths, module, version, { kernel: target.release, arch: target.arch })).length >
      0;
    if (await isInstalled(ctx.paths, module, version, target.release, target.arch)) {
      ops.push(...(await planUninstall(ctx, module, version, target)));
      outcome.uninstalled = true;
      uninstalled.push(target);
    } else if (mode === 'uninstall') {
      outcome.skipped = `Module ${module} ${version} is not installed for kernel ${target.release} (${target.arch}). Skipping...`;
    }
    if (mode === 'uninstall') continue;
    if (built) {
      const dir = tree.built(ctx.paths, module, version, target.release, target.arch);
      ops.push({ op: 'delete', path: dir });
      deleted.add(dir);
      outcome.unbuilt = true;
    } else {
      outcome.skipped = `Module ${module} ${version} is not built for kernel ${target.release} (${target.arch}). Skipping...`;
    }
  }
  let removedVersion = false;
  if (mode === 'remove') {
    const versionDir = tree.version(ctx.paths, module, version);
    let remaining = 0;
    for (const kernel of (await listDir(versionDir)).filter(isKernelDirName)) {
      for (const arch of await listDir(path.join(versionDir, kernel))) {
        if (!arch.startsWith('.') && !deleted.has(path.join(versionDir, kernel, arch))) remaining++;
      }
    }
    if (remaining === 0) {
      // The module's own directory goes too when this version is all it holds (no other version, no
      // kernel link, no archived original), so that nothing of it is left even if we are killed.
      const moduleDir = tree.module(ctx.paths, module);
      const links = new Set(
        uninstalled.map((t) => path.basename(tree.kernelLink(ctx.paths, module, t.release, t.arch))),
      );
      const others = (await listDir(moduleDir)).filter(
        (e) => e !== version && !links.has(e) && !e.startsWith('.'),
      );
      ops.push({ op: 'delete', path: others.length === 0 ? moduleDir : versionDir });
      removedVersion = true;
    }
  }
  if (ops.length === 0) return { outcomes, removedVersion };
  const kernels = [...new Set(uninstalled.map((t) => t.release))];
  const depmodAll = async (): Promise<void> => {
    if (!options.noDepmod)
      for (const kernel of kernels)
        await runDepmod(ctx.paths, kernel, ctx.emit, 'the change was rolled back');
  };
  // The source link may be gone with the version; POST_REMOVE still runs in the source it pointed to.
  const sourceDir = await realpath(tree.sourceLink(ctx.paths, module, version)).catch(() => undefined);
  const confs = await Promise.all(
    uninstalled.map((t) => readRegisteredConf(ctx, module, version, t).then((c) => ({ t, conf: c.conf }))),
  );
  await runTransaction(
    ctx.paths,
    { command: `${mode} ${module}/${version}`, kernels, ops },
    depmodAll,
    depmodAll,
    ctx.killAfterOp,
  );
  for (const { t, conf } of confs) {
    const postRemove = conf.scripts.postRemove;
    if (postRemove !== undefined && sourceDir === undefined) {
      ctx.emit({ type: 'warning', message: `${module}/${version}: its source is gone; POST_REMOVE not run` });
    } else if (postRemove !== undefined && sourceDir !== undefined) {
      await runModuleScript(ctx, {
        module,
        version,
        kind: 'POST_REMOVE',
        script: postRemove,
        kernel: t.release,
        arch: t.arch,
        sourceDir,
      });
    }
    await cleanUpAfterUninstall(
      ctx,
      module,
      t,
      conf.modules.map((m) => m.destLocation),
    );
  }
  for (const t of options.targets)
    await removeEmptyDirs(
      tree.kernelDir(ctx.paths, module, version, t.release),
      tree.version(ctx.paths, module, version),
    );
  await removeEmptyDirs(tree.module(ctx.paths, module), ctx.paths.dkmsTree);
  return { outcomes, removedVersion };
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
