import { access, constants } from 'node:fs/promises';
import { isOnPath } from '../exec/which.ts';
import { defaultCompressionOptions, type CompressionOptions } from '../build/postprocess.ts';
import { prepareSigning } from '../sign/prepare-signing.ts';
import path from 'node:path';
import type { BuildPlan } from '../build/build-plan.ts';
import { planBuild, planPrivateTree } from '../build/build-plan.ts';
import { runBuild, type BuildResult } from '../build/run-build.ts';
import { planBuildCacheSettings } from '../build/build-cache.ts';
import { withJobSlots, type JobAccess, type JobSlots } from '../build/job-slots.ts';
import { runTasks } from '../build/schedule.ts';
import type { DirectiveOverride } from '../conf/eval-script.ts';
import { planConfVariables } from '../conf/read.ts';
import { readContextKernel, type Context } from '../context.ts';
import { KmodError, exitCodes } from '../errors.ts';
import type { KernelTarget } from '../kernel/target.ts';
import { readKernelLink } from '../state/read-state.ts';
import { readBuildEstimate } from '../state/read-build-estimate.ts';
import { readRegisteredConf, requireAdded } from '../state/registered.ts';
import { tree } from '../state/tree.ts';
import { readConfDigest } from '../state/status-facts.ts';
import { isDir } from '../state/fs.ts';
import type { LockedContext } from './mutation.ts';
import { verifyBuilds, type BuildVerify, type VerifySettings } from './verify.ts';

export type BuildStatus = 'built' | 'already-built' | 'excluded' | 'failed';

export interface BuildOutcome {
  module: string;
  version: string;
  kernel: string;
  arch: string;
  status: BuildStatus;
  /** How long the build ran, failed ones included; undefined for one that did not run. */
  seconds: number | undefined;
  /** For failed and excluded builds: the error to report (exit 77 for an exclusion). */
  error: KmodError | undefined;
  result: BuildResult | undefined;
  /** build --verify: whether the build loads in its kernel. A build that does not load stays built. */
  verify?: BuildVerify | undefined;
}

export interface BuildRequest {
  module: string;
  version: string;
  target: KernelTarget;
  force: boolean;
  directives: readonly DirectiveOverride[];
  /** BUILD_DEPENDS are not checked (install --force, which does not rebuild). */
  skipDependencyCheck?: boolean;
  /** PRE_BUILD and POST_BUILD run as dkms 3.0.10 runs them (see RunBuildOptions.dkmsScripts). */
  dkmsScripts?: boolean | undefined;
}

export function noHeadersError(ctx: Context, kernel: string): KmodError {
  const dir = path.join(ctx.paths.root, 'lib/modules', kernel);
  return new KmodError(
    'NO_HEADERS',
    `Your kernel headers for kernel ${kernel} cannot be found at ${dir}/build or ${dir}/source.`,
    {
      hint: `install them (on Debian: apt-get install linux-headers-${kernel}) or point --kernelsourcedir at them`,
    },
  );
}

/** Module.symvers of the installed BUILD_DEPENDS modules; exit 13 for one that is not installed for the kernel. */
async function readDependencySymbols(
  ctx: Context,
  request: BuildRequest,
  depends: readonly string[],
): Promise<string[]> {
  const files: string[] = [];
  const { release, arch } = request.target;
  for (const dep of depends) {
    const link = await readKernelLink(ctx.paths, dep, release, arch);
    const depVersion = link?.split('/')[0];
    const moduleDir =
      depVersion === undefined
        ? undefined
        : tree.builtModules(ctx.paths, { module: dep, version: depVersion, kernel: release, arch });
    if (moduleDir === undefined || !(await isDir(moduleDir))) {
      if (request.skipDependencyCheck === true || request.force) continue;
      throw new KmodError(
        'MISSING_DEPENDS',
        `${request.module}/${request.version} for ${release} (${arch}): BUILD_DEPENDS module ${dep} is not installed for this kernel`,
        {
          hint: `install ${dep} for ${release} first, or pass --force to build anyway`,
        },
      );
    }
    const symvers = path.join(moduleDir, 'Module.symvers');
    try {
      await access(symvers, constants.R_OK);
      files.push(symvers);
    } catch {
      // A dependency built by an older dkms has no Module.symvers; its symbols then resolve at load time only.
    }
  }
  return files;
}

/** Decides what building one (module, version, kernel, arch) takes, or why it is not built. */
export async function prepareBuild(
  ctx: Context,
  request: BuildRequest,
  jobAccess: JobAccess,
  options: { dryRun?: boolean } = {},
): Promise<{ plan: BuildPlan } | { outcome: BuildOutcome }> {
  const { module, version, target } = request;
  const base = {
    module,
    version,
    kernel: target.release,
    arch: target.arch,
    seconds: undefined,
    result: undefined,
  };
  const kernel = await readContextKernel(ctx, target.release);
  if (
    !request.force &&
    (await isDir(
      tree.builtModules(ctx.paths, { module, version, kernel: target.release, arch: target.arch }),
    ))
  ) {
    return { outcome: { ...base, status: 'already-built', error: undefined } };
  }
  const privateTree = planPrivateTree(ctx.paths, {
    module,
    version,
    kernel: target.release,
    arch: target.arch,
  });
  // $parallel_jobs is the whole budget, as in dkms: the jobserver keeps the builds within it together.
  const { conf } = await readRegisteredConf(ctx, module, version, target, {
    directives: request.directives,
    dkmsTreeVar: privateTree,
    kernel,
    parallelJobs: jobAccess.jobs,
  });
  for (const message of conf.warnings) ctx.emit({ type: 'warning', message });
  if (conf.exclusion !== undefined) {
    const error = new KmodError(
      'BUILD_EXCLUSIVE',
      `The ${conf.file} for module ${module} includes a BUILD_EXCLUSIVE directive which does not match this kernel/arch/config: ${conf.exclusion.reason}.`,
      { hint: 'This indicates that it should not be built.' },
    );
    return { outcome: { ...base, status: 'excluded', error } };
  }
  // As dkms: a kernel the module is not for is skipped before its headers are looked for.
  if (kernel.headersDir === undefined)
    return { outcome: { ...base, status: 'failed', error: noHeadersError(ctx, target.release) } };
  const extraSymbols = await readDependencySymbols(ctx, request, conf.buildDepends);
  const vars = planConfVariables(
    {
      paths: ctx.paths,
      kernel,
      arch: target.arch,
      distro: ctx.distro,
      dkmsTreeVar: privateTree,
      parallelJobs: jobAccess.jobs,
      runningKernel: ctx.runningKernel,
    },
    module,
    version,
  );
  const signing = await prepareSigning(ctx, kernel, target.arch, options);
  if (signing.kind === 'unavailable' && signing.require) {
    const error = new KmodError(
      'SIGN_FAILED',
      `${module}/${version} for ${target.release} (${target.arch}): modules must be signed, but ${signing.reason}`,
      {
        hint: 'install the kernel build tools (sign-file), configure [signing] in /etc/kmodforge/config, or drop --require-signature',
      },
    );
    return { outcome: { ...base, status: 'failed', error } };
  }
  return {
    plan: planBuild({
      paths: ctx.paths,
      conf,
      kernel,
      arch: target.arch,
      access: jobAccess,
      extraSymbols,
      vars,
      signing,
      compressionOptions: planCompressionOptions(ctx),
      confDigest: await readConfDigest(
        ctx.paths,
        { module, version, kernel: target.release, arch: target.arch },
        request.directives,
      ),
      ccAvailable: isOnPath,
    }),
  };
}

function planCompressionOptions(ctx: Context): CompressionOptions {
  const fw = ctx.framework.values;
  return {
    gzip: fw.compress_gzip_opts ?? defaultCompressionOptions.gzip,
    xz: fw.compress_xz_opts ?? defaultCompressionOptions.xz,
    zstd: fw.compress_zstd_opts ?? defaultCompressionOptions.zstd,
  };
}

/** Prepares and runs one build; every failure becomes an outcome, never an exception. */
export async function buildOne(
  ctx: LockedContext,
  request: BuildRequest,
  jobAccess: JobAccess,
): Promise<BuildOutcome> {
  const { module, version, target } = request;
  const base = { module, version, kernel: target.release, arch: target.arch };
  try {
    const prepared = await prepareBuild(ctx, request, jobAccess);
    if ('outcome' in prepared) return prepared.outcome;
    ctx.emit({
      type: 'build-start',
      ...base,
      estimateSeconds: await readBuildEstimate(ctx.paths, module, target),
    });
    const started = performance.now();
    try {
      const result = await runBuild(prepared.plan, ctx.emit, {
        cache: planBuildCacheSettings(ctx),
        dkmsScripts: request.dkmsScripts,
      });
      const cached = result.cache?.restored === true;
      ctx.emit({ type: 'build-done', ...base, ok: true, seconds: result.seconds, cached });
      return { ...base, status: 'built', seconds: result.seconds, error: undefined, result };
    } catch (error) {
      const seconds = (performance.now() - started) / 1000;
      ctx.emit({ type: 'build-done', ...base, ok: false, seconds, cached: false });
      if (!(error instanceof KmodError)) throw error;
      return { ...base, status: 'failed', seconds, error, result: undefined };
    }
  } catch (error) {
    if (!(error instanceof KmodError)) throw error;
    return { ...base, status: 'failed', seconds: undefined, error, result: undefined };
  }
}

/** A module to build for several kernels. */
export interface BuildModuleOptions {
  module: string;
  version: string;
  targets: readonly KernelTarget[];
  force: boolean;
  directives: readonly DirectiveOverride[];
  /** The jobs these builds run on (default: a jobserver with the context's budget). */
  slots?: JobSlots | undefined;
  dkmsScripts?: boolean | undefined;
  /** Verify each build (new or already there) under QEMU once the builds are done (build --verify). */
  verify?: VerifySettings | undefined;
}

/**
 * Builds a module for several kernels at once, under the context's job budget (dkms build for each -k,
 * but in parallel, each in its own directory).
 */
export async function buildModule(
  ctx: LockedContext,
  options: BuildModuleOptions & { skipDependencyCheck?: boolean },
): Promise<BuildOutcome[]> {
  await requireAdded(ctx, options.module, options.version);
  const tasks = options.targets.map((target) => ({
    id: `${target.release}/${target.arch}`,
    after: [],
    run: (jobAccess: JobAccess) => buildOne(ctx, { ...options, target }, jobAccess),
  }));
  const outcomes = await (options.slots === undefined
    ? withJobSlots(ctx.jobs, (slots) => runTasks(tasks, slots))
    : runTasks(tasks, options.slots));
  const built = outcomes.map((o) => {
    if (o.ok) return o.value;
    if ('error' in o) throw o.error;
    throw new Error(`build ${o.id} blocked by ${o.blockedBy}`);
  });
  return options.verify === undefined ? built : verifyOutcomes(ctx, options, built, options.verify);
}

/** build --verify: each build there is, verified; the others (failed, excluded) as they are. */
async function verifyOutcomes(
  ctx: LockedContext,
  options: BuildModuleOptions,
  outcomes: BuildOutcome[],
  settings: VerifySettings,
): Promise<BuildOutcome[]> {
  const toVerify = outcomes.filter((o) => o.status === 'built' || o.status === 'already-built');
  const verified = await verifyBuilds(
    ctx,
    {
      module: options.module,
      version: options.version,
      targets: toVerify.map((o) => ({ release: o.kernel, arch: o.arch })),
      hint: 'the build stays in the dkms tree, as built; install --verify would not install it',
    },
    settings,
  );
  const byOutcome = new Map(toVerify.map((o, i) => [o, verified[i]]));
  return outcomes.map((o) => (byOutcome.has(o) ? { ...o, verify: byOutcome.get(o) } : o));
}

/**
 * The exit code for a set of outcomes: the first failure's, else the first failed verify's (15 for a module
 * that does not load), else 77 if anything was excluded, else 0.
 */
export function planBuildExitCode(
  outcomes: readonly {
    status: string;
    error: KmodError | undefined;
    verify?: { error: KmodError | undefined } | undefined;
  }[],
): number {
  const failed = outcomes.find((o) => o.status === 'failed');
  if (failed?.error !== undefined) return failed.error.exitCode;
  const unverified = outcomes.find((o) => o.verify?.error !== undefined);
  if (unverified?.verify?.error !== undefined) return unverified.verify.error.exitCode;
  return outcomes.some((o) => o.status === 'excluded') ? exitCodes.BUILD_EXCLUSIVE : 0;
}

/**
 * Builds, in parallel, what is not built yet for the kernels given; the others are reported as already
 * built. What install and the packaging commands start with; their --force skips the BUILD_DEPENDS check
 * but does not rebuild (as dkms install --force).
 */
export function ensureBuilt(ctx: LockedContext, options: BuildModuleOptions): Promise<BuildOutcome[]> {
  // install --verify verifies only what it is about to install, itself.
  return buildModule(ctx, { ...planEnsureBuilt(options), verify: undefined });
}

/**
 * The build request of a command that builds only what is missing (install, the packages): its --force
 * skips the BUILD_DEPENDS check and rebuilds nothing, as dkms install --force. Pure.
 */
export function planEnsureBuilt<T extends { force: boolean }>(
  options: T,
): T & { force: false; skipDependencyCheck: boolean } {
  return { ...options, force: false, skipDependencyCheck: options.force };
}

/**
 * A build decision as a dry run says it: the build with its directory and make command, or why there is
 * none ("skip" for an excluded kernel, "fail" with the error); undefined for a build already there.
 */
export function describeBuildDecision(
  where: string,
  decided: { plan: BuildPlan } | { outcome: BuildOutcome },
): string | undefined {
  if ('plan' in decided) return `build ${where} in ${decided.plan.buildDir}: ${decided.plan.makeCommand}`;
  const { outcome } = decided;
  if (outcome.status === 'already-built') return undefined;
  return `${outcome.status === 'excluded' ? 'skip' : 'fail'} ${where}: ${outcome.error?.message ?? ''}`;
}
