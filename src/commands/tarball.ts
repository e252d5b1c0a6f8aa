import { cp, mkdir, realpath, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Context } from '../context.ts';
import { KmodError } from '../errors.ts';
import type { KernelTarget } from '../kernel/target.ts';
import { extractTarball, readTarEntries, writeTarball } from '../package/tarball/archive.ts';
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
import { readKernel } from '../kernel/discover.ts';
import { replaceDir, stagingName, writeThroughStaging } from '../state/atomic.ts';
import { isAdded } from '../state/read-state.ts';
import { requireAdded } from '../state/registered.ts';
import { tree } from '../state/tree.ts';
import { addModule } from './add.ts';
import { isDir, makeDirs } from '../state/fs.ts';
import type { LockedContext } from './mutation.ts';

/**
 * dkms mktarball: the built modules of the kernels given and the source (or, --binaries-only, a stub with
 * dkms.conf) in dkms's layout, to <dkmsTree>/M/V/tarball/ or the --archive path. Returns the file.
 */
export async function makeTarball(
  ctx: Context,
  options: {
    module: string;
    version: string;
    targets: readonly KernelTarget[];
    sourceOnly: boolean;
    binariesOnly: boolean;
    archive: string | undefined;
    sourceDateEpoch: number | undefined;
  },
): Promise<string> {
  const { module, version } = options;
  if (options.sourceOnly && options.binariesOnly) {
    throw new KmodError(
      'CONF_INVALID',
      'You have specified both --binaries-only and --source-only. You cannot do this.',
    );
  }
  await requireAdded(ctx, module, version);
  return withTempDir('kmodforge-tarball-', async (work) => {
    await mkdir(path.join(work, tarballDirs.main));
    if (!options.sourceOnly) {
      for (const t of options.targets) {
        const built = tree.built(ctx.paths, module, version, t.release, t.arch);
        if (!(await isDir(path.join(built, 'module')))) {
          throw new KmodError(
            'INSTALL_FAILED',
            `No modules built for ${t.release} (${t.arch}). Modules must already be in the built state before using mktarball.`,
          );
        }
        await makeDirs(path.join(work, tarballDirs.main, t.release));
        await copyTree(built, path.join(work, tarballDirs.main, t.release, t.arch), {
          preserveTimestamps: true,
        });
      }
    }
    const source = await realpath(tree.sourceLink(ctx.paths, module, version));
    if (options.binariesOnly) {
      const stub = path.join(work, tarballDirs.binariesOnly);
      await mkdir(stub);
      await writeFile(path.join(stub, 'PACKAGE_NAME'), `${module}\n`);
      await writeFile(path.join(stub, 'PACKAGE_VERSION'), `${version}\n`);
      await cp(path.join(source, 'dkms.conf'), path.join(stub, 'dkms.conf'));
    } else {
      await copyTree(source, path.join(work, tarballDirs.source), { preserveTimestamps: true });
    }
    const name = planTarballName(module, version, options.targets, options.sourceOnly);
    const file =
      options.archive === undefined
        ? path.join(tree.tarballs(ctx.paths, module, version), name)
        : path.resolve(options.archive);
    await makeDirs(path.dirname(file));
    const epoch = await readSourceDateEpoch(options.sourceDateEpoch, source);
    await writeThroughStaging(file, (temp) => writeTarball(work, temp, epoch));
    return file;
  });
}

export interface LoadResult {
  module: string;
  version: string;
  /** K/A directories loaded, and those kept because they were there already (without --force). */
  loaded: KernelTarget[];
  skipped: KernelTarget[];
}

/** The load plan of a tarball, read from its entries before anything is extracted; exit 9 with every problem. */
async function readLoadPlan(file: string): Promise<TarballLoadPlan> {
  const { plan, problems } = planTarballLoad(await readTarEntries(file));
  if (plan !== undefined) return plan;
  throw new KmodError(
    'ARCHIVE_INVALID',
    `${file}: not a DKMS tarball kmodforge can load safely:\n${problems.map((p) => `  ${p}`).join('\n')}`,
    { hint: 'nothing was written' },
  );
}

/**
 * dkms ldtarball: plans the load from the tarball's entries first (nothing is written for an unsafe or
 * malformed tarball), then copies each kernel's prebuilt modules beside their place in the tree, registers
 * the source (or a binaries-only stub), and renames the copies into place, keeping existing ones unless
 * --force. A plain source tarball is added as a source tree.
 */
export async function loadTarball(
  ctx: LockedContext,
  options: { file: string; force: boolean; target: KernelTarget },
): Promise<LoadResult> {
  const file = path.resolve(options.file);
  if (!(await stat(file).catch(() => undefined)))
    throw new KmodError('NO_SOURCE_DIR', `${options.file} does not exist.`);
  const plan = await readLoadPlan(file);
  return withTempDir('kmodforge-ldtarball-', async (work) => {
    await extractTarball(file, work);
    const confDir = path.join(work, plan.confDir);
    if (plan.kind === 'source') {
      const added = await addModule(
        ctx,
        { kind: 'source', dir: confDir },
        { target: options.target, directives: [], ifMissing: true },
      );
      return { module: added.module, version: added.version, loaded: [], skipped: [] };
    }
    const conf = await readModuleConf({
      confPath: path.join(confDir, 'dkms.conf'),
      paths: ctx.paths,
      kernel: await readKernel(ctx.paths, options.target.release, ctx.config.flavorRules),
      arch: options.target.arch,
      distro: ctx.distro,
      runningKernel: ctx.runningKernel,
    });
    const module = conf.packageName;
    const version = conf.packageVersion;
    const skipped: KernelTarget[] = [];
    const staged: { build: KernelTarget; from: string; to: string }[] = [];
    try {
      // Every copy is made before the module is registered, so a copy that fails leaves the state as it was.
      for (const build of plan.builds) {
        const dest = tree.built(ctx.paths, module, version, build.release, build.arch);
        if ((await isDir(dest)) && !options.force) {
          skipped.push(build);
          continue;
        }
        const from = stagingName(dest);
        await makeDirs(path.dirname(dest));
        staged.push({ build, from, to: dest });
        await copyTree(path.join(work, tarballDirs.main, build.release, build.arch), from, {
          preserveTimestamps: true,
        });
      }
      if (plan.confDir === tarballDirs.source) {
        await addModule(
          ctx,
          { kind: 'source', dir: confDir },
          { target: options.target, directives: [], ifMissing: true },
        );
      } else if (!(await isAdded(ctx.paths, module, version))) {
        // dkms's binaries-only stub: M/V/source is a directory holding only dkms.conf.
        const stub = stagingName(tree.sourceLink(ctx.paths, module, version));
        await makeDirs(stub);
        await cp(path.join(confDir, 'dkms.conf'), path.join(stub, 'dkms.conf'));
        await makeDirs(tree.sharedBuild(ctx.paths, module, version));
        await replaceDir(stub, tree.sourceLink(ctx.paths, module, version));
      }
      for (const { from, to } of staged) await replaceDir(from, to);
    } catch (error) {
      await Promise.all(staged.map(({ from }) => rm(from, { recursive: true, force: true })));
      throw error;
    }
    return { module, version, loaded: staged.map((s) => s.build), skipped };
  });
}
