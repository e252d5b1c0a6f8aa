import path from 'node:path';
import { buildModule } from '../../../commands/build.ts';
import { withMutation, type LockedContext } from '../../../commands/mutation.ts';
import type { ModuleConf } from '../../../conf/module-conf.ts';
import { readContextKernel } from '../../../context.ts';
import { KmodError } from '../../../errors.ts';
import type { KernelTarget } from '../../../kernel/target.ts';
import { isDir } from '../../../state/fs.ts';
import { findModuleFile } from '../../../state/module-file.ts';
import { isAdded } from '../../../state/read-state.ts';
import { readRegisteredConf } from '../../../state/registered.ts';
import { tree } from '../../../state/tree.ts';
import type { DkmsInvocation } from '../invocation.ts';
import { formatBadConf } from '../text/add-conf-errors.ts';
import {
  die,
  formatAlreadyBuilt,
  formatAlreadyBuiltOn,
  formatBuildExclusive,
  formatDkmsMakeLine,
  formatNoHeaders,
  newTranscript,
  planRefusedJobsMake,
  say,
  type DkmsTranscript,
} from '../text/build-text.ts';
import { addForDkmsBuild } from './build-add.ts';
import { sayBuildOutcome } from './build-outcome.ts';
import {
  dkmsDirectives,
  dkmsTargets,
  printRuns,
  sayModuleConfRead,
  type DkmsKernelRun,
} from './kernel-run.ts';
import { runDkmsSigning } from './signing.ts';

/** A kernel that reached dkms's actual_build: what its text needs besides the build's outcome. */
export interface QueuedBuild {
  run: DkmsKernelRun;
  module: string;
  version: string;
  conf: ModuleConf;
  /** prepare_signing decided to sign ("Signing module …" lines). */
  signs: boolean;
  makeLine: string;
}

/**
 * dkms's is_module_built: every module of dkms.conf is in M/V/K/A/module; a bad dkms.conf is dkms's die 8.
 * Its read of dkms.conf is the kernel's first, whose words go to `t`.
 */
export async function readDkmsBuilt(
  inv: DkmsInvocation,
  module: string,
  version: string,
  target: KernelTarget,
  t: DkmsTranscript,
): Promise<boolean | KmodError> {
  const { ctx } = inv;
  if (module === '' || version === '') return false;
  const dir = tree.builtModules(ctx.paths, { module, version, kernel: target.release, arch: target.arch });
  if (!(await isDir(dir))) return false;
  try {
    const { conf } = await readRegisteredConf(ctx, module, version, target, {
      directives: dkmsDirectives(inv),
    });
    sayModuleConfRead(inv, t, module, version, conf);
    for (const record of conf.modules)
      if ((await findModuleFile(dir, record.destName)) === undefined) return false;
    return true;
  } catch (error) {
    if (error instanceof KmodError) return error;
    throw error;
  }
}

/**
 * do_build up to the build itself (prepare_signing, prepare_build): prints what dkms prints and, where
 * dkms would die, records its error. Returns the build to run, or undefined after a `die`.
 */
export async function prepareDkmsBuild(
  locked: LockedContext,
  inv: DkmsInvocation,
  run: DkmsKernelRun,
  unbuilt: boolean,
): Promise<QueuedBuild | undefined> {
  const { ctx, args } = inv;
  const { target, t } = run;
  const signs = await runDkmsSigning(inv, target.release, t);
  let module = args.module ?? '';
  let version = args.moduleVersion ?? '';
  const added = !(await isAdded(ctx.paths, module, version));
  if (added) {
    const ids = await addForDkmsBuild(locked, inv, target, t);
    if (ids === undefined) return undefined;
    ({ module, version } = ids);
  }
  return prepareAddedBuild(inv, run, { module, version, signs, added, unbuilt });
}

/**
 * prepare_build after add_module, for an added module: its checks (a failed one is the kernel's `die`),
 * and the make line dkms would run.
 */
export async function prepareAddedBuild(
  inv: DkmsInvocation,
  run: DkmsKernelRun,
  facts: {
    module: string;
    version: string;
    signs: boolean;
    added: boolean;
    /** dkms unbuilt it first (build --force): M/V/K/A is not in the way. */
    unbuilt: boolean;
  },
): Promise<QueuedBuild | undefined> {
  const { ctx, args } = inv;
  const { target, t } = run;
  const { module, version, signs, added, unbuilt } = facts;
  const key = { module, version, kernel: target.release, arch: target.arch };
  const baseDir = tree.built(ctx.paths, key);
  if (!unbuilt && (await isDir(baseDir))) {
    die(t, 3, formatAlreadyBuiltOn(target.release, baseDir));
    return undefined;
  }
  let conf: ModuleConf;
  try {
    ({ conf } = await readRegisteredConf(ctx, module, version, target, { directives: dkmsDirectives(inv) }));
  } catch (error) {
    if (!(error instanceof KmodError)) throw error;
    // read_conf_or_die names `$conf`: -c, or what add_module set it to in this kernel's subshell.
    const confFile =
      args.conf ?? (added ? path.join(tree.source(ctx.paths, module, version), 'dkms.conf') : '');
    die(t, 8, formatBadConf(confFile).split('\n'));
    return undefined;
  }
  sayModuleConfRead(inv, t, module, version, conf);
  if (conf.exclusion !== undefined) {
    die(t, 77, formatBuildExclusive(baseDir, module));
    return undefined;
  }
  const kernel = await readContextKernel(ctx, target.release);
  if (kernel.headersDir === undefined) {
    die(t, 1, formatNoHeaders(target.release));
    return undefined;
  }
  const makeLine = formatDkmsMakeLine({
    confMake: conf.make.index === undefined ? undefined : conf.make.command,
    kernelSourceDir: args.kernelSourceDir ?? `/lib/modules/${target.release}/build`,
    dkmsTree: ctx.paths.dkmsTree,
    module,
    version,
    kernel: target.release,
    parallelJobs: inv.parallelJobs,
    clang: kernel.config?.compiler.clang === true,
    lld: kernel.config?.compiler.lld === true,
  });
  return { run, module, version, conf, signs, makeLine };
}

/** Runs the queued builds together (kmodforge's parallel builds) and adds each one's text to its kernel. */
export async function runQueuedBuilds(
  locked: LockedContext,
  inv: DkmsInvocation,
  queued: readonly QueuedBuild[],
): Promise<void> {
  const first = queued[0];
  if (first === undefined) return;
  // dkms's make fails at once on a -j it cannot read. kmodforge's make is given that -j too (as the MAKE[]
  // the kernel uses), so that its build fails as dkms's does, after the same patches and PRE_BUILD, with
  // make's own words in make.log.
  const refusedJobs = queued.flatMap((q) => {
    const make = planRefusedJobsMake(q.makeLine, inv.parallelJobs);
    return make === undefined ? [] : [{ name: 'MAKE', index: q.conf.make.index, value: make }];
  });
  const outcomes = await buildModule(locked, {
    module: first.module,
    version: first.version,
    targets: queued.map((q) => q.run.target),
    force: true,
    directives: [...dkmsDirectives(inv), ...refusedJobs],
    // dkms 3.0.10 builds whatever BUILD_DEPENDS says; only its autoinstall orders by it.
    skipDependencyCheck: true,
    dkmsScripts: true,
  });
  for (const [i, q] of queued.entries()) {
    const outcome = outcomes[i];
    if (outcome !== undefined) await sayBuildOutcome(inv, q, outcome);
  }
}

/** dkms build: maybe_build_module for each kernel in order; the builds themselves run in parallel. */
export function runDkmsBuild(inv: DkmsInvocation): Promise<number> {
  return withMutation(inv.ctx, async (locked) => {
    const runs: DkmsKernelRun[] = [];
    const queued: QueuedBuild[] = [];
    const module = inv.args.module ?? '';
    const version = inv.args.moduleVersion ?? '';
    for (const target of dkmsTargets(inv)) {
      const run = { target, t: newTranscript() };
      runs.push(run);
      const built = await readDkmsBuilt(inv, module, version, target, run.t);
      if (built instanceof KmodError) {
        die(run.t, 8, formatBadConf(inv.args.conf ?? '').split('\n'));
        continue;
      }
      if (built && !inv.args.force) {
        say(run.t, formatAlreadyBuilt(module, version, target.release, target.arch));
        continue;
      }
      // With --force dkms unbuilds first; kmodforge replaces the build once the new one succeeds.
      const q = await prepareDkmsBuild(locked, inv, run, built);
      if (q !== undefined) queued.push(q);
    }
    await runQueuedBuilds(locked, inv, queued);
    return printRuns(inv, runs);
  });
}
