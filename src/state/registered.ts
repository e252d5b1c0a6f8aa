import path from 'node:path';
import { readContextKernel, type Context } from '../context.ts';
import type { DirectiveOverride } from '../conf/eval-script.ts';
import type { ModuleConf } from '../conf/module-conf.ts';
import { readModuleConf } from '../conf/read.ts';
import { KmodError } from '../errors.ts';
import type { KernelInfo } from '../kernel/discover.ts';
import type { KernelTarget } from '../kernel/target.ts';
import { isAdded } from './read-state.ts';
import { tree } from './tree.ts';

export function registeredConfPath(ctx: Context, module: string, version: string): string {
  return path.join(tree.sourceLink(ctx.paths, module, version), 'dkms.conf');
}

export async function requireAdded(ctx: Context, module: string, version: string): Promise<void> {
  if (!(await isAdded(ctx.paths, module, version))) {
    throw new KmodError(
      'NOT_ADDED',
      `The module/version combo: ${module}-${version} is not located in the DKMS tree.`,
      {
        hint: `add it first: kmodforge add ${module}/${version} (with its source in ${tree.source(ctx.paths, module, version)})`,
      },
    );
  }
}

export interface RegisteredConf {
  conf: ModuleConf;
  kernel: KernelInfo;
}

/**
 * Reads a registered module's dkms.conf for one kernel, with $dkms_tree as the caller needs it. A build
 * reads it with its own tree and job share (what its make command must see); the other steps of the same
 * command (install, scripts, uninstall) take the reading already made for that module, version, kernel
 * and arch, so that bash sources the file once per (M, V, K, A) in a command: what they use (module names,
 * locations, scripts) does not depend on $dkms_tree or $parallel_jobs.
 */
export async function readRegisteredConf(
  ctx: Context,
  module: string,
  version: string,
  target: KernelTarget,
  options: {
    directives?: readonly DirectiveOverride[];
    dkmsTreeVar?: string;
    kernel?: KernelInfo;
    parallelJobs?: number;
  } = {},
): Promise<RegisteredConf> {
  const key = JSON.stringify([module, version, target.release, target.arch, options.directives ?? []]);
  const forBuild = options.dkmsTreeVar !== undefined || options.parallelJobs !== undefined;
  const cached = ctx.confs.get(key);
  if (cached !== undefined && !forBuild) return cached;
  const kernel = options.kernel ?? (await readContextKernel(ctx, target.release));
  const conf = await readModuleConf({
    confPath: registeredConfPath(ctx, module, version),
    paths: ctx.paths,
    kernel,
    arch: target.arch,
    distro: ctx.distro,
    module: { name: module, version },
    directives: options.directives,
    dkmsTreeVar: options.dkmsTreeVar,
    parallelJobs: options.parallelJobs ?? ctx.jobs,
    runningKernel: ctx.runningKernel,
  });
  ctx.confs.set(key, { conf, kernel });
  return { conf, kernel };
}
