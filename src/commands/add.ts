import { realpath, rm } from 'node:fs/promises';
import path from 'node:path';
import type { DirectiveOverride } from '../conf/eval-script.ts';
import { readModuleConf } from '../conf/read.ts';
import { readContextKernel, type Context } from '../context.ts';
import { KmodError, isErrno } from '../errors.ts';
import type { KernelTarget } from '../kernel/target.ts';
import { replaceDir, stagingName, symlinkAtomic } from '../state/atomic.ts';
import { copyTree } from '../state/copy-tree.ts';
import { isAdded } from '../state/read-state.ts';
import { tree } from '../state/tree.ts';
import { runModuleScript } from './module-scripts.ts';
import type { ModuleSpec } from './module-arg.ts';
import { exists, makeDirs } from '../state/fs.ts';
import type { LockedContext } from './mutation.ts';

export interface AddResult {
  module: string;
  version: string;
  sourceDir: string;
  /** False when it was already added and nothing changed. */
  added: boolean;
}

/** Copies a source tree to <sourceTree>/M-V through a staging directory, so it appears whole or not at all. */
async function copySource(from: string, to: string): Promise<void> {
  const staging = stagingName(to);
  try {
    await makeDirs(path.dirname(to));
    await copyTree(from, staging, { preserveTimestamps: true });
    await replaceDir(staging, to);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    if (isErrno(error, 'EACCES', 'EROFS', 'EPERM'))
      throw new KmodError('NOT_PERMITTED', `No write access to source tree at ${path.dirname(to)}`);
    throw error;
  }
}

/** What adding a module will do, decided from its dkms.conf and the trees before anything is written. */
export interface AddPlan {
  module: string;
  version: string;
  /** <sourceTree>/M-V. */
  sourceDir: string;
  /** The source tree to copy to sourceDir first, if it is not there already. */
  copyFrom: string | undefined;
  alreadyAdded: boolean;
}

/**
 * Reads what `add` needs: the module's name and version (from the dkms.conf of a source tree), whether it
 * is added already, and whether its source must be copied to <sourceTree>/M-V. Writes nothing.
 */
export async function readAddPlan(
  ctx: Context,
  spec: ModuleSpec,
  options: { target: KernelTarget; directives: readonly DirectiveOverride[] },
): Promise<AddPlan> {
  let module: string;
  let version: string;
  if (spec.kind === 'source') {
    const kernel = await readContextKernel(ctx, options.target.release);
    const conf = await readModuleConf({
      confPath: path.join(spec.dir, 'dkms.conf'),
      paths: ctx.paths,
      kernel,
      arch: options.target.arch,
      distro: ctx.distro,
      runningKernel: ctx.runningKernel,
      directives: options.directives,
    });
    module = conf.packageName;
    version = conf.packageVersion;
  } else if (spec.kind === 'registered') {
    if (spec.version === undefined)
      throw new KmodError('MISSING_ARGS', 'Arguments <module> and <module-version> are not specified.');
    module = spec.module;
    version = spec.version;
  } else {
    throw new KmodError('USAGE', `${spec.file}: adding from an archive needs ldtarball`, {
      hint: `kmodforge ldtarball ${spec.file}`,
    });
  }
  const sourceDir = tree.source(ctx.paths, module, version);
  const alreadyAdded = await isAdded(ctx.paths, module, version);
  // As dkms add_source_tree: the given tree replaces whatever an earlier, unregistered add left there.
  const copyFrom =
    spec.kind === 'source' &&
    !alreadyAdded &&
    !((await exists(sourceDir)) && (await realpath(sourceDir)) === (await realpath(spec.dir)))
      ? spec.dir
      : undefined;
  return { module, version, sourceDir, copyFrom, alreadyAdded };
}

/** The steps of an add plan, as a dry run lists them. */
export function describeAddPlan(ctx: Context, plan: AddPlan): string[] {
  if (plan.alreadyAdded) return [`${plan.module}/${plan.version} is already added`];
  return [
    ...(plan.copyFrom === undefined ? [] : [`copy ${plan.copyFrom} to ${plan.sourceDir}`]),
    `add ${plan.module}/${plan.version}: ${tree.sourceLink(ctx.paths, plan.module, plan.version)} -> ${plan.sourceDir}`,
  ];
}

/**
 * Registers a module (dkms add): a source tree is copied to <sourceTree>/M-V first; then dkms.conf is
 * checked for the kernel given, <dkmsTree>/M/V/{build,source} are created, and POST_ADD runs.
 * Exit 3 if it is already added (unless `ifMissing`), 2 if the source directory is missing.
 */
export async function addModule(
  ctx: LockedContext,
  spec: ModuleSpec,
  options: {
    target: KernelTarget;
    directives: readonly DirectiveOverride[];
    ifMissing?: boolean;
  },
): Promise<AddResult> {
  const { module, version, sourceDir, copyFrom, alreadyAdded } = await readAddPlan(ctx, spec, options);
  if (alreadyAdded) {
    if (options.ifMissing === true) return { module, version, sourceDir, added: false };
    throw new KmodError('ALREADY_ADDED', `DKMS tree already contains: ${module}-${version}`, {
      hint: 'You cannot add the same module/version combo more than once.',
    });
  }
  if (copyFrom !== undefined) await copySource(copyFrom, sourceDir);
  if (!(await exists(sourceDir))) {
    throw new KmodError(
      'NO_SOURCE_DIR',
      `Could not find module source directory: ${sourceDir} does not exist.`,
    );
  }
  const conf = await readModuleConf({
    confPath: path.join(sourceDir, 'dkms.conf'),
    paths: ctx.paths,
    kernel: await readContextKernel(ctx, options.target.release),
    arch: options.target.arch,
    distro: ctx.distro,
    runningKernel: ctx.runningKernel,
    module: { name: module, version },
    directives: options.directives,
  });
  try {
    await makeDirs(tree.sharedBuild(ctx.paths, module, version));
  } catch (error) {
    if (isErrno(error, 'EACCES', 'EROFS', 'EPERM'))
      throw new KmodError('NOT_PERMITTED', `No write access to DKMS tree at ${ctx.paths.dkmsTree}`);
    throw error;
  }
  // The source link is what makes the module "added"; it lands last, in one rename.
  await symlinkAtomic(sourceDir, tree.sourceLink(ctx.paths, module, version));
  if (conf.scripts.postAdd !== undefined)
    await runModuleScript(ctx, { module, version, kind: 'POST_ADD', script: conf.scripts.postAdd });
  return { module, version, sourceDir, added: true };
}
