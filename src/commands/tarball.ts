import { cp, mkdir, mkdtemp, readdir, realpath, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Context } from '../context.ts';
import { KmodError } from '../errors.ts';
import type { KernelTarget } from '../kernel/target.ts';
import { checkTarball, extractTarball, writeTarball } from '../package/tarball/archive.ts';
import { planTarballName, tarballDirs } from '../package/tarball/layout.ts';
import { readSourceDateEpoch } from '../package/package-info.ts';
import { readModuleConf } from '../conf/read.ts';
import { readKernel } from '../kernel/discover.ts';
import { replaceDir, stagingName, writeThroughStaging } from '../state/atomic.ts';
import { isAdded } from '../state/read-state.ts';
import { requireAdded } from '../state/registered.ts';
import { tree } from '../state/tree.ts';
import { addModule } from './add.ts';
import { isDir } from '../state/fs.ts';

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
    sourceDateEpoch: string | undefined;
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
  const work = await mkdtemp(path.join(os.tmpdir(), 'kmodforge-tarball-'));
  try {
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
        await cp(built, path.join(work, tarballDirs.main, t.release, t.arch), {
          recursive: true,
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
      await cp(source, path.join(work, tarballDirs.source), {
        recursive: true,
        verbatimSymlinks: true,
        preserveTimestamps: true,
      });
    }
    const name = planTarballName(module, version, options.targets, options.sourceOnly);
    const file =
      options.archive === undefined
        ? path.join(tree.tarballs(ctx.paths, module, version), name)
        : path.resolve(options.archive);
    await mkdir(path.dirname(file), { recursive: true });
    const epoch = await readSourceDateEpoch(options.sourceDateEpoch, source);
    await writeThroughStaging(file, (temp) => writeTarball(work, temp, new Date(epoch * 1000)));
    return file;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

export interface LoadResult {
  module: string;
  version: string;
  /** K/A directories loaded, and those kept because they were there already (without --force). */
  loaded: KernelTarget[];
  skipped: KernelTarget[];
}

async function findConf(dir: string): Promise<string | undefined> {
  for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) =>
    a.name < b.name ? -1 : 1,
  )) {
    const full = path.join(dir, entry.name);
    if (entry.isFile() && entry.name === 'dkms.conf') return full;
    if (entry.isDirectory()) {
      const found = await findConf(full);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/**
 * dkms ldtarball: checks every entry first (nothing is written for an unsafe tarball), then registers the
 * source (or a binaries-only stub) and loads the prebuilt K/A directories, keeping existing ones unless
 * --force. A plain source tarball is added as a source tree.
 */
export async function loadTarball(
  ctx: Context,
  options: { file: string; force: boolean; target: KernelTarget },
): Promise<LoadResult> {
  const file = path.resolve(options.file);
  if (!(await stat(file).catch(() => undefined)))
    throw new KmodError('NO_SOURCE_DIR', `${options.file} does not exist.`);
  await checkTarball(file);
  const work = await mkdtemp(path.join(os.tmpdir(), 'kmodforge-ldtarball-'));
  try {
    await extractTarball(file, work);
    if (!(await isDir(path.join(work, tarballDirs.main)))) {
      const conf = await findConf(work);
      if (conf === undefined)
        throw new KmodError(
          'ARCHIVE_INVALID',
          `${file}: tarball does not appear to be a correctly formed DKMS archive. No dkms.conf found within it.`,
        );
      const added = await addModule(
        ctx,
        { kind: 'source', dir: path.dirname(conf) },
        { target: options.target, directives: [], ifMissing: true },
      );
      return { module: added.module, version: added.version, loaded: [], skipped: [] };
    }
    let confDir: string | undefined;
    for (const loc of [tarballDirs.source, tarballDirs.binariesOnly]) {
      if (await stat(path.join(work, loc, 'dkms.conf')).catch(() => undefined)) {
        confDir = path.join(work, loc);
        break;
      }
    }
    if (confDir === undefined)
      throw new KmodError(
        'ARCHIVE_INVALID',
        `No valid dkms.conf in ${tarballDirs.source} or ${tarballDirs.binariesOnly}. ${file} is not a valid DKMS tarball.`,
      );
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
    if (confDir.endsWith(tarballDirs.source)) {
      await addModule(
        ctx,
        { kind: 'source', dir: confDir },
        { target: options.target, directives: [], ifMissing: true },
      );
    } else if (!(await isAdded(ctx.paths, module, version))) {
      // dkms's binaries-only stub: M/V/source is a directory holding only dkms.conf.
      const stub = stagingName(tree.sourceLink(ctx.paths, module, version));
      await mkdir(stub, { recursive: true });
      await cp(path.join(confDir, 'dkms.conf'), path.join(stub, 'dkms.conf'));
      await mkdir(tree.sharedBuild(ctx.paths, module, version), { recursive: true });
      await replaceDir(stub, tree.sourceLink(ctx.paths, module, version));
    }
    const loaded: KernelTarget[] = [];
    const skipped: KernelTarget[] = [];
    const main = path.join(work, tarballDirs.main);
    for (const release of (await readdir(main)).sort()) {
      for (const arch of (await readdir(path.join(main, release))).sort()) {
        const dest = tree.built(ctx.paths, module, version, release, arch);
        if ((await isDir(dest)) && !options.force) {
          skipped.push({ release, arch });
          continue;
        }
        const staged = stagingName(dest);
        await mkdir(path.dirname(dest), { recursive: true });
        await cp(path.join(main, release, arch), staged, { recursive: true, preserveTimestamps: true });
        await replaceDir(staged, dest);
        loaded.push({ release, arch });
      }
    }
    return { module, version, loaded, skipped };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
