import type { Context } from '../context.ts';
import { KmodError } from '../errors.ts';
import { discoverKernels } from '../kernel/discover.ts';
import { checkArchArg, parseKernelTargets, type KernelTarget } from '../kernel/target.ts';

export interface TargetOptions {
  kernels: readonly string[];
  arches: readonly string[];
  allKernels: boolean;
}

/**
 * The kernels a command works on: -k (with -a), or every kernel with headers for --all-kernels, or, as dkms
 * does, the running kernel.
 */
export async function resolveTargets(ctx: Context, options: TargetOptions): Promise<KernelTarget[]> {
  if (options.allKernels) {
    if (options.kernels.length > 0)
      throw new KmodError('USAGE', '--all-kernels and -k cannot be used together');
    const kernels = (await discoverKernels(ctx.paths, ctx.config.flavorRules)).filter(
      (k) => k.headersDir !== undefined,
    );
    if (kernels.length === 0) {
      throw new KmodError('NO_HEADERS', `no kernel with headers found under ${ctx.paths.installTree}`, {
        hint: 'install headers (on Debian: apt-get install linux-headers-amd64)',
      });
    }
    if (options.arches.length > 1)
      throw new KmodError('USAGE', '--all-kernels takes at most one -a, the arch of every kernel');
    const arch = options.arches.length === 1 ? checkArchArg(options.arches[0] ?? '') : undefined;
    return kernels.map((k) => ({ release: k.release, arch: arch ?? k.arch ?? ctx.hostArch }));
  }
  const kernels = options.kernels.length === 0 ? [ctx.runningKernel] : options.kernels;
  // The same kernel twice would run two builds of it in one directory at once.
  const targets = parseKernelTargets(kernels, options.arches, ctx.hostArch, ctx.config.flavorRules);
  return targets.filter(
    (t, i) => targets.findIndex((u) => u.release === t.release && u.arch === t.arch) === i,
  );
}
