import path from 'node:path';
import type { Context } from '../context.ts';
import { KmodError } from '../errors.ts';
import { quoteCommand } from '../exec/quote.ts';
import type { KernelTarget } from '../kernel/target.ts';
import type { KernelCommand } from '../package/kernel/make-plan.ts';
import {
  readKernelBuildSetup,
  requireStartingConfigModules,
  runKernelBuild,
  type KernelBuildRequest,
} from '../package/kernel/run-kernel-build.ts';
import {
  checkFlavor,
  checkKernelPackageRelease,
  type KernelPackage,
  type KernelPackageFormat,
} from '../package/kernel/release-plan.ts';
import { readRegisteredConf } from '../state/registered.ts';
import { planAutoinstall, readLatestVersions, type AutoinstallCandidate } from './autoinstall.ts';
import type { CommandPlan } from './command-plan.ts';
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

/** The context in which modules build against the new kernel, which is not installed: its devel tree. */
function againstDevelTree(ctx: Context, develTree: string): Context {
  return {
    ...ctx,
    paths: { ...ctx.paths, kernelSourceDir: develTree },
    kernels: new Map(),
    confs: new Map(),
  };
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
        againstDevelTree(ctx, built.develTree),
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

/**
 * The latest version of every AUTOINSTALL module, in BUILD_DEPENDS order, to package for a kernel, and
 * those that cannot be (an unreadable dkms.conf, a BUILD_DEPENDS not packaged here) with why. Writes nothing.
 */
async function readModulesToPackage(
  ctx: Context,
  target: KernelTarget,
): Promise<{ runnable: { module: string; version: string }[]; failed: ModulePackages[] }> {
  const candidates: AutoinstallCandidate[] = [];
  const failed: ModulePackages[] = [];
  for (const { module, version } of await readLatestVersions(ctx)) {
    try {
      const { conf } = await readRegisteredConf(ctx, module, version, target);
      if (conf.autoinstall) candidates.push({ module, version, depends: conf.buildDepends });
    } catch (error) {
      if (!(error instanceof KmodError)) throw error;
      failed.push({ module, version, result: undefined, error });
    }
  }
  const { runnable, missing } = planAutoinstall(candidates, new Set());
  for (const [module, lacking] of missing) {
    const version = candidates.find((c) => c.module === module)?.version ?? '';
    failed.push({
      module,
      version,
      result: undefined,
      error: new KmodError(
        'MISSING_DEPENDS',
        `${module}/${version} needs ${lacking.join(', ')}, which is not packaged here`,
      ),
    });
  }
  return { runnable, failed };
}

/** The modules of readModulesToPackage, packaged for one kernel. */
async function makeModulePackages(
  ctx: LockedContext,
  options: MkkernelOptions,
  target: KernelTarget,
): Promise<ModulePackages[]> {
  const { runnable, failed } = await readModulesToPackage(ctx, target);
  const results = [...failed];
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

function describeCommand(command: KernelCommand): string {
  return `${command.step}: ${quoteCommand([command.file, ...command.args])}`;
}

/**
 * What mkkernel would do, with nothing configured, built or written, after the checks the build makes
 * first: the release, every make of the build, the module build tree, the packages it writes, the log, and
 * with --with-modules the modules it would package for the new kernel.
 */
export async function readMkkernelPlan(ctx: Context, options: MkkernelOptions): Promise<CommandPlan> {
  checkFlavor(options.flavor);
  checkKernelPackageRelease(options.release);
  const request = { ...options, jobs: ctx.jobs, machine: ctx.hostArch };
  const setup = await readKernelBuildSetup(request);
  await requireStartingConfigModules(request);
  const { plan, dirs } = setup;
  const target: KernelTarget = { release: plan.release, arch: ctx.hostArch };
  const modules = options.withModules
    ? await readModulesToPackage(againstDevelTree(ctx, setup.develTree), target)
    : { runnable: [], failed: [] };
  return {
    command: `mkkernel ${plan.release}`,
    steps: [
      `build Linux ${plan.kernelVersion} from ${options.sourceDir} as ${plan.release} (${ctx.hostArch}) in ${dirs.buildDir}`,
      ...(options.configFile === undefined
        ? []
        : [`configure: copy ${options.configFile} to ${path.join(dirs.buildDir, '.config')}`]),
      ...[...setup.configure, setup.releaseQuery].map(describeCommand),
      ...(options.format === 'rpm'
        ? [
            `write ${dirs.mkspecWrapper}: the kernel's mkspec with Version ${plan.rpmVersion} and Release ${plan.rpmRelease}`,
          ]
        : []),
      ...setup.build.map(describeCommand),
      `${setup.stage.step} in ${setup.develTree}`,
      ...setup.packages.map((p) => `write ${p.file}`),
      `log every command's output to ${setup.log}`,
      ...modules.runnable.map(
        (m) => `package ${m.module}/${m.version} for ${plan.release} (${ctx.hostArch}) in ${options.outDir}`,
      ),
      ...modules.failed.map((m) => `skip ${m.module}/${m.version}: ${m.error?.message ?? ''}`),
    ],
    ops: [],
    depmod: [],
  };
}
