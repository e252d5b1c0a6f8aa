import { cp, mkdir, realpath, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { readContextKernel, type Context } from '../context.ts';
import { KmodError } from '../errors.ts';
import type { KernelTarget } from '../kernel/target.ts';
import {
  extractCheckedTarball,
  readTarEntries,
  unsafeTarballError,
  writeTarball,
} from '../package/tarball/archive.ts';
import {
  planTarballLoad,
  planTarballName,
  tarballDirs,
  type TarballLoadPlan,
} from '../package/tarball/layout.ts';
import { withTempDir } from '../state/temp-dir.ts';
import { copyTree } from '../state/copy-tree.ts';
import { readSourceDateEpoch } from '../package/package-info.ts';
import { readModuleConf } from '../conf/read.ts';
import { replaceDir, stagingName, writeThroughStaging } from '../state/atomic.ts';
import { isAdded } from '../state/read-state.ts';
import { requireAdded } from '../state/registered.ts';
import { tree } from '../state/tree.ts';
import { addModule, describeAddPlan, readAddPlan } from './add.ts';
import type { CommandPlan } from './command-plan.ts';
import { isDir, makeDirs } from '../state/fs.ts';
import type { LockedContext } from './mutation.ts';

export interface MakeTarballOptions {
  module: string;
  version: string;
  targets: readonly KernelTarget[];
  sourceOnly: boolean;
  binariesOnly: boolean;
  archive: string | undefined;
  sourceDateEpoch: number | undefined;
}

/** What mktarball packs and where it writes it, read and checked before anything is written. */
interface TarballParts {
  /** The module source (its directory, links resolved). */
  source: string;
  /** Each kernel's build directory, <dkmsTree>/M/V/K/A. */
  builds: { target: KernelTarget; dir: string }[];
  file: string;
}

/** Checks mktarball's request (both --*-only, a module not added, a kernel not built) and reads its parts. */
async function readTarballParts(
  ctx: Context,
  options: Omit<MakeTarballOptions, 'sourceDateEpoch'>,
): Promise<TarballParts> {
  const { module, version } = options;
  if (options.sourceOnly && options.binariesOnly) {
    throw new KmodError(
      'CONF_INVALID',
      'You have specified both --binaries-only and --source-only. You cannot do this.',
    );
  }
  await requireAdded(ctx, module, version);
  const builds: TarballParts['builds'] = [];
  for (const target of options.sourceOnly ? [] : options.targets) {
    const dir = tree.built(ctx.paths, { module, version, kernel: target.release, arch: target.arch });
    if (!(await isDir(path.join(dir, 'module')))) {
      throw new KmodError(
        'INSTALL_FAILED',
        `No modules built for ${target.release} (${target.arch}). Modules must already be in the built state before using mktarball.`,
      );
    }
    builds.push({ target, dir });
  }
  const name = planTarballName(module, version, options.targets, options.sourceOnly);
  return {
    source: await realpath(tree.sourceLink(ctx.paths, module, version)),
    builds,
    file:
      options.archive === undefined
        ? path.join(tree.tarballs(ctx.paths, module, version), name)
        : path.resolve(options.archive),
  };
}

/**
 * dkms mktarball: the built modules of the kernels given and the source (or, --binaries-only, a stub with
 * dkms.conf) in dkms's layout, to <dkmsTree>/M/V/tarball/ or the --archive path. Returns the file.
 */
export async function makeTarball(ctx: LockedContext, options: MakeTarballOptions): Promise<string> {
  const { module, version } = options;
  const parts = await readTarballParts(ctx, options);
  return withTempDir('kmodforge-tarball-', async (work) => {
    await mkdir(path.join(work, tarballDirs.main));
    for (const { target, dir } of parts.builds) {
      await makeDirs(path.join(work, tarballDirs.main, target.release));
      await copyTree(dir, path.join(work, tarballDirs.main, target.release, target.arch), {
        preserveTimestamps: true,
      });
    }
    if (options.binariesOnly) {
      const stub = path.join(work, tarballDirs.binariesOnly);
      await mkdir(stub);
      await writeFile(path.join(stub, 'PACKAGE_NAME'), `${module}\n`);
      await writeFile(path.join(stub, 'PACKAGE_VERSION'), `${version}\n`);
      await cp(path.join(parts.source, 'dkms.conf'), path.join(stub, 'dkms.conf'));
    } else {
      await copyTree(parts.source, path.join(work, tarballDirs.source), { preserveTimestamps: true });
    }
    await makeDirs(path.dirname(parts.file));
    const epoch = await readSourceDateEpoch(options.sourceDateEpoch, parts.source);
    await writeThroughStaging(parts.file, (temp) => writeTarball(work, temp, epoch));
    return parts.file;
  });
}

/** What mktarball would do, with nothing written: what goes into the tarball, and where it is written. */
export async function readMktarballPlan(
  ctx: Context,
  options: Omit<MakeTarballOptions, 'sourceDateEpoch'>,
): Promise<CommandPlan> {
  const parts = await readTarballParts(ctx, options);
  return {
    command: `mktarball ${options.module}/${options.version}`,
    steps: [
      ...parts.builds.map(
        ({ target, dir }) => `include the built modules of ${target.release} (${target.arch}) from ${dir}`,
      ),
      options.binariesOnly
        ? `include a binaries-only stub with ${path.join(parts.source, 'dkms.conf')}`
        : `include the source ${parts.source}`,
      `write ${parts.file}`,
    ],
    ops: [],
    depmod: [],
  };
}

export interface LoadResult {
  module: string;
  version: string;
  /** K/A directories loaded, and those kept because they were there already (without --force). */
  loaded: KernelTarget[];
  skipped: KernelTarget[];
}

/** What a load did, in the detail the `dkms` front end reports it. */
export interface LoadOutcome {
  result: LoadResult;
  /** Which part of the tarball held its dkms.conf: its source, or dkms's binaries-only stub. */
  from: 'source' | 'binaries-only';
  /** <sourceTree>/M-V existed before the load. */
  hadSourceDir: boolean;
  /** M/V was added before the load (so this load did not register it). */
  wasAdded: boolean;
  /** Each kernel's built modules in the tarball, in its order: loaded, or kept as they were. */
  builds: { target: KernelTarget; loaded: boolean }[];
}

/** The load plan of a tarball, read from its entries before anything is extracted; exit 9 with every problem. */
async function readLoadPlan(file: string): Promise<TarballLoadPlan> {
  const { plan, problems } = planTarballLoad(await readTarEntries(file));
  if (plan !== undefined) return plan;
  throw unsafeTarballError(file, problems);
}

export interface LoadTarballOptions {
  file: string;
  force: boolean;
  /** The kernel dkms.conf is read for. */
  target: KernelTarget;
  /**
   * Called with the tarball's module once it is read and before anything is written; throws to refuse
   * (dkms refuses a module that is added already unless --force).
   */
  confirm?: (module: string, version: string, added: boolean) => Promise<void> | void;
}

/** The tarball to load, and its load plan read from its entries before anything is extracted. */
async function readTarballToLoad(name: string): Promise<{ file: string; plan: TarballLoadPlan }> {
  const file = path.resolve(name);
  if (!(await stat(file).catch(() => undefined)))
    throw new KmodError('NO_SOURCE_DIR', `${name} does not exist.`);
  return { file, plan: await readLoadPlan(file) };
}

/** The module and version of an extracted tarball, from the dkms.conf in `confDir`. */
async function readTarballModule(
  ctx: Context,
  confDir: string,
  target: KernelTarget,
): Promise<{ module: string; version: string }> {
  const conf = await readModuleConf({
    confPath: path.join(confDir, 'dkms.conf'),
    paths: ctx.paths,
    kernel: await readContextKernel(ctx, target.release),
    arch: target.arch,
    distro: ctx.distro,
    runningKernel: ctx.runningKernel,
  });
  return { module: conf.packageName, version: conf.packageVersion };
}

/**
 * How a tarball's module would be registered: from its source (copied to <sourceTree>/M-V), as a
 * binaries-only stub, or not at all when M/V is added already.
 */
async function readTarballRegistration(
  ctx: Context,
  file: string,
  plan: TarballLoadPlan,
  confDir: string,
  target: KernelTarget,
): Promise<{ module: string; version: string; steps: string[] }> {
  if (plan.confDir !== tarballDirs.binariesOnly) {
    const add = await readAddPlan(ctx, { kind: 'source', dir: confDir }, { target, directives: [] });
    // The extracted copy is gone once the dry run ends: name where it comes from instead.
    const copyFrom = add.copyFrom === undefined ? undefined : `the source in ${file}`;
    return { module: add.module, version: add.version, steps: describeAddPlan(ctx, { ...add, copyFrom }) };
  }
  const { module, version } = await readTarballModule(ctx, confDir, target);
  const link = tree.sourceLink(ctx.paths, module, version);
  const sourceDir = tree.source(ctx.paths, module, version);
  const steps = (await isAdded(ctx.paths, module, version))
    ? [`${module}/${version} is already added`]
    : (await isDir(sourceDir))
      ? [`add ${module}/${version}: ${link} -> ${sourceDir}`]
      : [`add ${module}/${version} as a binaries-only stub: ${link} holding only dkms.conf`];
  return { module, version, steps };
}

/**
 * What ldtarball would do, with nothing written to the system: the tarball is checked from its entries,
 * then extracted into a temporary directory (removed afterwards) to read its dkms.conf. Says how M/V is
 * registered, and per kernel whether its built modules are loaded or the existing build is kept.
 */
export async function readLoadTarballPlan(ctx: Context, options: LoadTarballOptions): Promise<CommandPlan> {
  const { file, plan } = await readTarballToLoad(options.file);
  return withTempDir('kmodforge-ldtarball-', async (work) => {
    await extractCheckedTarball(file, work, plan);
    const confDir = path.join(work, plan.confDir);
    const { module, version, steps } = await readTarballRegistration(
      ctx,
      file,
      plan,
      confDir,
      options.target,
    );
    for (const build of plan.kind === 'dkms' ? plan.builds : []) {
      const which = `${build.release} (${build.arch})`;
      const dest = tree.built(ctx.paths, { module, version, kernel: build.release, arch: build.arch });
      const there = await isDir(dest);
      if (there && !options.force) steps.push(`keep the existing build of ${which} (--force replaces it)`);
      else
        steps.push(
          `load the built modules of ${which} into ${dest}${there ? ', replacing the build there' : ''}`,
        );
    }
    return { command: `ldtarball ${module}/${version}`, steps, ops: [], depmod: [] };
  });
}

/**
 * dkms ldtarball: plans the load from the tarball's entries first (nothing is written for an unsafe or
 * malformed tarball), then copies each kernel's prebuilt modules beside their place in the tree, registers
 * the source (or a binaries-only stub), and renames the copies into place, keeping existing ones unless
 * --force. A plain source tarball is added as a source tree.
 */
export async function loadTarball(ctx: LockedContext, options: LoadTarballOptions): Promise<LoadResult> {
  return (await loadTarballOutcome(ctx, options)).result;
}

/**
 * loadTarball, saying what it did. A binaries-only tarball registers <sourceTree>/M-V when that source is
 * there, as dkms does, and a stub holding only dkms.conf otherwise.
 */
export async function loadTarballOutcome(
  ctx: LockedContext,
  options: LoadTarballOptions,
): Promise<LoadOutcome> {
  const { file, plan } = await readTarballToLoad(options.file);
  return withTempDir('kmodforge-ldtarball-', async (work) => {
    await extractCheckedTarball(file, work, plan);
    const confDir = path.join(work, plan.confDir);
    const from = plan.confDir === tarballDirs.binariesOnly ? 'binaries-only' : 'source';
    const { module, version } =
      from === 'source'
        ? await readAddPlan(ctx, { kind: 'source', dir: confDir }, { target: options.target, directives: [] })
        : await readTarballModule(ctx, confDir, options.target);
    const wasAdded = await isAdded(ctx.paths, module, version);
    const hadSourceDir = await isDir(tree.source(ctx.paths, module, version));
    await options.confirm?.(module, version, wasAdded);
    const builds: LoadOutcome['builds'] = [];
    const staged: { build: KernelTarget; from: string; to: string }[] = [];
    try {
      // Every copy is made before the module is registered, so a copy that fails leaves the state as it was.
      for (const build of plan.kind === 'dkms' ? plan.builds : []) {
        const dest = tree.built(ctx.paths, { module, version, kernel: build.release, arch: build.arch });
        const keep = (await isDir(dest)) && !options.force;
        builds.push({ target: build, loaded: !keep });
        if (keep) continue;
        const stagedCopy = stagingName(dest);
        await makeDirs(path.dirname(dest));
        staged.push({ build, from: stagedCopy, to: dest });
        await copyTree(path.join(work, tarballDirs.main, build.release, build.arch), stagedCopy, {
          preserveTimestamps: true,
        });
      }
      if (from === 'source' || hadSourceDir) {
        await addModule(
          ctx,
          from === 'source' ? { kind: 'source', dir: confDir } : { kind: 'registered', module, version },
          { target: options.target, directives: [], ifMissing: true },
        );
      } else if (!wasAdded) {
        // dkms's binaries-only stub: M/V/source is a directory holding only dkms.conf.
        const stub = stagingName(tree.sourceLink(ctx.paths, module, version));
        await makeDirs(stub);
        await cp(path.join(confDir, 'dkms.conf'), path.join(stub, 'dkms.conf'));
        await makeDirs(tree.sharedBuild(ctx.paths, module, version));
        await replaceDir(stub, tree.sourceLink(ctx.paths, module, version));
      }
      for (const { from: stagedCopy, to } of staged) await replaceDir(stagedCopy, to);
    } catch (error) {
      await Promise.all(
        staged.map(({ from: stagedCopy }) => rm(stagedCopy, { recursive: true, force: true })),
      );
      throw error;
    }
    const result: LoadResult = {
      module,
      version,
      loaded: builds.filter((b) => b.loaded).map((b) => b.target),
      skipped: builds.filter((b) => !b.loaded).map((b) => b.target),
    };
    return { result, from, hadSourceDir, wasAdded, builds };
  });
}
