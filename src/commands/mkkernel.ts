import type { Context } from '../context.ts';
import { KmodError } from '../errors.ts';
import type { KernelTarget } from '../kernel/target.ts';
import {
  runKernelBuild,
  type KernelBuildRequest,
  type KernelPackage,
} from '../package/kernel/run-kernel-build.ts';
import {
  checkFlavor,
  checkKernelPackageRelease,
  type KernelPackageFormat,
} from '../package/kernel/release-plan.ts';
import { readRegisteredConf } from '../state/registered.ts';
import { planAutoinstall, readLatestVersions, type AutoinstallCandidate } from './autoinstall.ts';
import { makeDebs } from './mkdeb.ts';
import { defaultPackager, makeRpms, type PackageResult } from './mkrpm.ts';
import { withMutation, type LockedContext } from './mutation.ts';

/** What the command line asks for: the kernel build's request less what the context supplies. */
export interface MkkernelOptions extends Pick<
  KernelBuildRequest,
  'sourceDir' | 'flavor' | 'release' | 'format' | 'configFile' | 'outDir'
> {
  withModules: boolean;
}

/** The packages of one AUTOINSTALL module for the new kernel, or why there are none. */
export interface ModulePackages {
  module: string;
  version: string;
  result: PackageResult | undefined;
  error: KmodError | undefined;
}

export interface MkkernelResult {
  release: string;
  flavor: string;
  format: KernelPackageFormat;
  arch: string;
  /** The output of every step of the kernel's build. */
  log: string;
  /** The build tree, kept so that the next build of this release compiles only what changed. */
  buildDir: string;
  packages: KernelPackage[];
  modules: ModulePackages[];
}

/**
 * mkkernel: a kernel from its source tree, packaged as its family names it with the flavor ending its
 * release, and with --with-modules the packages of every AUTOINSTALL module for it, built against the
 * new kernel's module build tree (nothing is installed on this system).
 */
export async function makeKernel(ctx: Context, options: MkkernelOptions): Promise<MkkernelResult> {
  checkFlavor(options.flavor);
  checkKernelPackageRelease(options.release);
  const packager = ctx.config.maintainer ?? defaultPackager;
  const built = await runKernelBuild({
    ...options,
    jobs: ctx.jobs,
    machine: ctx.hostArch,
    packager,
    emit: ctx.emit,
  });
  const target: KernelTarget = { release: built.plan.release, arch: ctx.hostArch };
  const modules = options.withModules
    ? await withMutation(
        // The new kernel is not installed: its modules build against the tree its devel package holds.
        {
          ...ctx,
          paths: { ...ctx.paths, kernelSourceDir: built.develTree },
          kernels: new Map(),
          confs: new Map(),
        },
        (locked) => makeModulePackages(locked, options, target),
      )
    : [];
  return {
    release: built.plan.release,
    flavor: options.flavor,
    format: options.format,
    arch: ctx.hostArch,
    log: built.log,
    buildDir: built.buildDir,
    packages: built.packages,
    modules,
  };
}

/** The latest version of every AUTOINSTALL module, in BUILD_DEPENDS order, packaged for one kernel. */
async function makeModulePackages(
  ctx: LockedContext,
  options: MkkernelOptions,
  target: KernelTarget,
): Promise<ModulePackages[]> {
  const candidates: AutoinstallCandidate[] = [];
  const results: ModulePackages[] = [];
  for (const { module, version } of await readLatestVersions(ctx)) {
    try {
      const { conf } = await readRegisteredConf(ctx, module, version, target);
      if (conf.autoinstall) candidates.push({ module, version, depends: conf.buildDepends });
    } catch (error) {
      if (!(error instanceof KmodError)) throw error;
      results.push({ module, version, result: undefined, error });
    }
  }
  const { runnable, missing } = planAutoinstall(candidates, new Set());
  for (const [module, lacking] of missing) {
    const version = candidates.find((c) => c.module === module)?.version ?? '';
    results.push({
      module,
      version,
      result: undefined,
      error: new KmodError(
        'MISSING_DEPENDS',
        `${module}/${version} needs ${lacking.join(', ')}, which is not packaged here`,
      ),
    });
  }
  for (const { module, version } of runnable) {
    const request = {
      module,
      version,
      targets: [target],
      release: '1',
      outDir: options.outDir,
      directives: [],
      sourceDateEpoch: undefined,
    };
    try {
      const result =
        options.format === 'rpm'
          ? await makeRpms(ctx, { ...request, style: 'kmod', gpgKey: undefined, gnupgHome: undefined })
          : await makeDebs(ctx, request);
      results.push({ module, version, result, error: undefined });
    } catch (error) {
      if (!(error instanceof KmodError)) throw error;
      results.push({ module, version, result: undefined, error });
    }
  }
  return results;
}
