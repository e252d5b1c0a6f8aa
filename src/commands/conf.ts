import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { DirectiveOverride } from '../conf/eval-script.ts';
import type { ModuleConf } from '../conf/module-conf.ts';
import { readModuleConf } from '../conf/read.ts';
import { readContextKernel, type Context } from '../context.ts';
import { KmodError, isErrno } from '../errors.ts';
import { discoverKernels } from '../kernel/discover.ts';
import type { KernelTarget } from '../kernel/target.ts';
import { planPrivateTree } from '../build/build-plan.ts';

export interface ConfOptions {
  /** A module source directory or a dkms.conf path. */
  target: string;
  /** Kernels to resolve for; empty means every installed kernel with headers. */
  kernels: readonly KernelTarget[];
  directives: readonly DirectiveOverride[];
}

/** The dkms.conf a directory or path argument names. */
export async function locateConf(target: string): Promise<string> {
  const resolved = path.resolve(target);
  try {
    return (await stat(resolved)).isDirectory() ? path.join(resolved, 'dkms.conf') : resolved;
  } catch (error) {
    if (isErrno(error, 'ENOENT', 'ENOTDIR')) {
      throw new KmodError(
        'CONF_NOT_FOUND',
        `${target} does not exist; expected a module source directory or a dkms.conf`,
      );
    }
    throw error;
  }
}

/** A dkms.conf resolved for one kernel, and the directory its build runs in. */
export interface ResolvedConf {
  conf: ModuleConf;
  buildDir: string;
}

/**
 * Resolves a dkms.conf for each kernel asked (or every kernel with headers), as a build would see it: a
 * file that uses $dkms_tree is read again with the build's own tree, which is what its build sees.
 */
export async function resolveConfs(ctx: Context, options: ConfOptions): Promise<ResolvedConf[]> {
  const confPath = await locateConf(options.target);
  let targets = options.kernels;
  if (targets.length === 0) {
    const installed = (await discoverKernels(ctx.paths, ctx.config.flavorRules)).filter(
      (k) => k.headersDir !== undefined,
    );
    targets = installed.map((k) => ({ release: k.release, arch: k.arch ?? ctx.hostArch }));
    if (targets.length === 0) targets = [{ release: ctx.runningKernel, arch: ctx.hostArch }];
  }
  const resolved: ResolvedConf[] = [];
  for (const target of targets) {
    const kernel = await readContextKernel(ctx, target.release);
    if (kernel.headersDir === undefined) {
      ctx.emit({
        type: 'warning',
        message: `no headers for ${target.release}: dkms.conf is resolved without them, and a build for it would fail (exit 21)`,
      });
    }
    const read = (dkmsTreeVar: string | undefined): Promise<ModuleConf> =>
      readModuleConf({
        confPath,
        paths: ctx.paths,
        kernel,
        arch: target.arch,
        distro: ctx.distro,
        directives: options.directives,
        parallelJobs: ctx.jobs,
        runningKernel: ctx.runningKernel,
        dkmsTreeVar,
      });
    let conf = await read(undefined);
    const privateTree = planPrivateTree(ctx.paths, {
      module: conf.packageName,
      version: conf.packageVersion,
      kernel: target.release,
      arch: target.arch,
    });
    if (JSON.stringify(conf).includes(ctx.paths.dkmsTree)) conf = await read(privateTree);
    resolved.push({ conf, buildDir: path.join(privateTree, conf.packageName, conf.packageVersion, 'build') });
  }
  return resolved;
}
