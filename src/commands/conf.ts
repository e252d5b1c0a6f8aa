import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { DirectiveOverride } from '../conf/eval-script.ts';
import type { ModuleConf } from '../conf/module-conf.ts';
import { readModuleConf } from '../conf/read.ts';
import type { Context } from '../context.ts';
import { KmodError, isErrno } from '../errors.ts';
import { discoverKernels, readKernel } from '../kernel/discover.ts';
import type { KernelTarget } from '../kernel/target.ts';

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

/** Resolves a dkms.conf for each kernel asked (or every kernel with headers), as a build would see it. */
export async function resolveConfs(ctx: Context, options: ConfOptions): Promise<ModuleConf[]> {
  const confPath = await locateConf(options.target);
  let targets = options.kernels;
  if (targets.length === 0) {
    const installed = (await discoverKernels(ctx.paths, ctx.config.flavorRules)).filter(
      (k) => k.headersDir !== undefined,
    );
    targets = installed.map((k) => ({ release: k.release, arch: k.arch ?? ctx.hostArch }));
    if (targets.length === 0) targets = [{ release: ctx.runningKernel, arch: ctx.hostArch }];
  }
  const confs: ModuleConf[] = [];
  for (const target of targets) {
    const kernel = await readKernel(ctx.paths, target.release, ctx.config.flavorRules);
    confs.push(
      await readModuleConf({
        confPath,
        paths: ctx.paths,
        kernel,
        arch: target.arch,
        distro: ctx.distro,
        directives: options.directives,
        parallelJobs: ctx.jobs,
        runningKernel: ctx.runningKernel,
      }),
    );
  }
  return confs;
}
