import { chmod, copyFile, lstat, readFile, realpath, rename, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { readConfText } from '../conf/read.ts';
import type { Context } from '../context.ts';
import { KmodError, isErrno } from '../errors.ts';
import { baseEnv, runOrThrow } from '../exec/run.ts';
import { planLicense } from '../package/package-info.ts';
import {
  checkRpmRelease,
  kmodBuildScriptName,
  planSourceSpec,
  planSourceTarballName,
  planSpecFileName,
  planSrpmFileName,
  sourceSpecTemplateName,
  readShippedFile,
  srpmOnlyMacro,
} from '../package/rpm/source-spec.ts';
import { planReproducibleMacros } from '../package/rpm/rpmbuild.ts';
import { requireAdded } from '../state/registered.ts';
import { tree } from '../state/tree.ts';
import { withTempDir } from '../state/temp-dir.ts';
import { reproducibleTarOptions } from '../package/tarball/archive.ts';
import { readTree } from '../state/walk-tree.ts';
import { makeDirs } from '../state/fs.ts';
import type { CommandPlan } from './command-plan.ts';
import type { LockedContext } from './mutation.ts';

export interface MksrpmOptions {
  module: string;
  version: string;
  /** rpm Release of the source and binary packages. */
  release: string;
  /** Where the .src.rpm goes; default <dkmsTree>/<module>/<version>/rpm, as dkms's old mkrpm. */
  outDir: string | undefined;
  /** SOURCE_DATE_EPOCH; default the newest modification time in the module source. */
  sourceDateEpoch: number | undefined;
  /** rpm License; default from the MODULE_LICENSE of the sources. */
  license: string | undefined;
  /** What makes the spec, e.g. "kmodforge 0.1.0". */
  generator: string;
}

export interface MksrpmResult {
  module: string;
  version: string;
  release: string;
  /** The .src.rpm written. */
  srpm: string;
  license: string;
  sourceDateEpoch: number;
}

interface SourceFacts {
  /** Newest mtime of anything in the tree, in whole seconds. */
  newestMtime: number;
  /** MODULE_LICENSE("…") strings of the C files. */
  licenses: string[];
}

const moduleLicense = /MODULE_LICENSE\s*\(\s*"([^"]*)"\s*\)/g;

/** Walks the module source (without following links) for its newest mtime and its modules' licenses. */
async function readSourceFacts(dir: string): Promise<SourceFacts> {
  const facts: SourceFacts = { newestMtime: 0, licenses: [] };
  for (const { path: file, kind } of await readTree(dir)) {
    const stats = await lstat(file);
    facts.newestMtime = Math.max(facts.newestMtime, Math.floor(stats.mtimeMs / 1000));
    if (kind === 'file' && file.toString('latin1').endsWith('.c')) {
      for (const m of (await readFile(file, 'latin1')).matchAll(moduleLicense))
        facts.licenses.push(m[1] ?? '');
    }
  }
  return facts;
}

/** A basic-regex-safe copy of a file name for tar's --transform. */
function escapeBre(value: string): string {
  return value.replace(/[.[\]*^$\\|]/g, '\\$&');
}

/**
 * The source directory of a registered module, with its dkms.conf readable: what mksrpm packs. Exit 2
 * when the source is gone, whatever the state tree says.
 */
async function readPackagedSource(ctx: Context, module: string, version: string): Promise<string> {
  await requireAdded(ctx, module, version);
  let source: string;
  try {
    source = await realpath(tree.sourceLink(ctx.paths, module, version));
  } catch (error) {
    if (!isErrno(error, 'ENOENT', 'ENOTDIR')) throw error;
    throw new KmodError(
      'NO_SOURCE_DIR',
      `The source of ${module}/${version} is missing: ${tree.source(ctx.paths, module, version)}`,
    );
  }
  await readConfText(path.join(source, 'dkms.conf'));
  return source;
}

/** Where the .src.rpm goes: `<out>/<name>-kmod-<version>-<release>.src.rpm`. */
function planSrpmPath(
  ctx: Context,
  options: Pick<MksrpmOptions, 'module' | 'version' | 'release' | 'outDir'>,
): string {
  const { module, version, release } = options;
  const outDir = path.resolve(options.outDir ?? path.join(tree.version(ctx.paths, module, version), 'rpm'));
  return path.join(outDir, planSrpmFileName({ name: module, version, release }));
}

/** What mksrpm would do, with nothing written: the source it packs, and the .src.rpm it writes. */
export async function readMksrpmPlan(
  ctx: Context,
  options: Pick<MksrpmOptions, 'module' | 'version' | 'release' | 'outDir'>,
): Promise<CommandPlan> {
  checkRpmRelease(options.release);
  const source = await readPackagedSource(ctx, options.module, options.version);
  return {
    command: `mksrpm ${options.module}/${options.version}`,
    steps: [`pack the source ${source} with its dkms.conf`, `write ${planSrpmPath(ctx, options)}`],
    ops: [],
    depmod: [],
  };
}

/**
 * kmodforge mksrpm: a source RPM of a registered module (its source tree with dkms.conf and patches/, a
 * generated spec and kmod-build.sh) that `rpmbuild --rebuild` turns into kmod-<module>-<kernel> packages
 * on any rpm system, without kmodforge or dkms. The same source and SOURCE_DATE_EPOCH give the same bytes.
 */
export async function makeSourceRpm(ctx: LockedContext, options: MksrpmOptions): Promise<MksrpmResult> {
  const { module, version, release } = options;
  checkRpmRelease(release);
  const source = await readPackagedSource(ctx, module, version);
  const confPath = path.join(source, 'dkms.conf');
  const facts = await readSourceFacts(source);
  const date = options.sourceDateEpoch ?? facts.newestMtime;
  const license = options.license ?? planLicense(facts.licenses);
  const specInput = { name: module, version, release, license, date, generator: options.generator };

  return withTempDir('kmodforge-srpm-', async (top) => {
    const sources = path.join(top, 'SOURCES');
    const specs = path.join(top, 'SPECS');
    await makeDirs(sources);
    await makeDirs(specs);
    const tarball = path.join(sources, planSourceTarballName(specInput));
    await runOrThrow(
      'tar',
      [
        '--create',
        `--file=${tarball}`,
        `--directory=${path.dirname(source)}`,
        ...reproducibleTarOptions(date),
        '--mode=go-w',
        // The top directory is <module>-<version> whatever the registered source's directory is called.
        `--transform=s|^${escapeBre(path.basename(source))}|${module}-${version}|S`,
        path.basename(source),
      ],
      { env: baseEnv() },
    );
    const conf = path.join(sources, 'dkms.conf');
    await copyFile(confPath, conf);
    const helper = path.join(sources, kmodBuildScriptName);
    await writeFile(helper, await readShippedFile(kmodBuildScriptName));
    await chmod(helper, 0o755);
    await chmod(conf, 0o644);
    await chmod(tarball, 0o644);
    const spec = path.join(specs, planSpecFileName(specInput));
    const template = await readShippedFile(sourceSpecTemplateName);
    await writeFile(spec, planSourceSpec(specInput, template));
    for (const file of [tarball, conf, helper, spec]) await utimes(file, date, date);

    await runOrThrow(
      'rpmbuild',
      [
        '-bs',
        // rpm keeps the spec, as parsed, in the source RPM: a relative _topdir (from cwd) and a fixed job
        // count keep the temporary directory and the CPUs of this machine out of it. A rebuild parses the
        // spec again.
        '--define',
        '_topdir .',
        '--define',
        '_smp_build_ncpus 1',
        '--define',
        `${srpmOnlyMacro} 1`,
        ...planReproducibleMacros('reproducible'),
        path.relative(top, spec),
      ],
      // HOME apart, so that no ~/.rpmmacros changes what is written.
      { env: baseEnv({ HOME: top, SOURCE_DATE_EPOCH: String(date), TZ: 'UTC' }), cwd: top },
    );
    const name = planSrpmFileName(specInput);
    const srpm = planSrpmPath(ctx, options);
    const outDir = path.dirname(srpm);
    await makeDirs(outDir);
    const staging = path.join(outDir, `.${name}.${process.pid}.tmp`);
    await copyFile(path.join(top, 'SRPMS', name), staging);
    await rename(staging, srpm);
    return { module, version, release, srpm, license, sourceDateEpoch: date };
  });
}
