import { copyFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { buildModule, type BuildOutcome } from '../../../commands/build.ts';
import { addModule, readAddPlan } from '../../../commands/add.ts';
import { withMutation, type LockedContext } from '../../../commands/mutation.ts';
import { BuildStepError } from '../../../build/build-steps.ts';
import { parseDirectiveOverride } from '../../../conf/directive-override.ts';
import type { DirectiveOverride } from '../../../conf/eval-script.ts';
import type { ModuleConf } from '../../../conf/module-conf.ts';
import { readContextKernel } from '../../../context.ts';
import { KmodError, isErrno } from '../../../errors.ts';
import type { KernelTarget } from '../../../kernel/target.ts';
import { underRoot } from '../../../paths.ts';
import { ensureMokKeyPair } from '../../../sign/mok.ts';
import { exists, isDir } from '../../../state/fs.ts';
import { findModuleFile } from '../../../state/module-file.ts';
import { isAdded } from '../../../state/read-state.ts';
import { readRegisteredConf } from '../../../state/registered.ts';
import { tree } from '../../../state/tree.ts';
import type { DkmsInvocation } from '../invocation.ts';
import { formatBadConf } from '../text/add-conf-errors.ts';
import { formatScriptRun, parseScriptRuns } from '../text/add-remove-scripts.ts';
import {
  dkmsAddUsage,
  die,
  formatAlreadyBuilt,
  formatAlreadyBuiltOn,
  formatBadReturnStatus,
  formatBuildExclusive,
  formatBuiltModuleMissing,
  formatDkmsConfRead,
  formatDkmsMakeLine,
  formatNoHeaders,
  formatProgressDots,
  newTranscript,
  planDkmsSignFile,
  planDkmsSigningEnd,
  planDkmsSigningStart,
  say,
  sayErr,
  type DkmsTranscript,
} from '../text/build-text.ts';

/** One kernel of a dkms command line: its target and what dkms prints for it. */
export interface DkmsKernelRun {
  target: KernelTarget;
  t: DkmsTranscript;
}

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

export function dkmsTargets(inv: DkmsInvocation): KernelTarget[] {
  const { kernels, arches } = inv.args;
  return kernels.map((release, i) => ({ release, arch: arches[i] ?? arches[0] ?? inv.ctx.hostArch }));
}

export function dkmsDirectives(inv: DkmsInvocation): DirectiveOverride[] {
  return inv.args.directives.map(parseDirectiveOverride);
}

/** Prints each kernel's text in order and returns dkms's exit code: the last kernel's status. */
export function printRuns(inv: DkmsInvocation, runs: readonly DkmsKernelRun[]): number {
  for (const { t } of runs)
    for (const chunk of t.chunks) (chunk.stream === 'out' ? inv.io.out : inv.io.err)(chunk.text);
  return runs.at(-1)?.t.status ?? 0;
}

/**
 * What read_conf prints when it sources a module's dkms.conf for a kernel (`files`: as dkms names them),
 * unless it read it for that kernel already.
 */
export function sayConfRead(
  inv: DkmsInvocation,
  t: DkmsTranscript,
  conf: Pick<ModuleConf, 'deprecated'>,
  files: readonly string[],
): void {
  if (t.confRead) return;
  t.confRead = true;
  const printed = formatDkmsConfRead({ files, deprecated: conf.deprecated, directives: inv.args.directives });
  if (printed.err !== '') sayErr(t, printed.err);
  if (printed.out !== '') say(t, printed.out);
}

/** The files read_conf sources for a registered module, named as dkms names them. */
export function dkmsConfFiles(
  inv: DkmsInvocation,
  module: string,
  version: string,
  conf: ModuleConf,
): string[] {
  const main = inv.args.conf ?? path.join(tree.sourceLink(inv.ctx.paths, module, version), 'dkms.conf');
  return [main, ...conf.sourced.slice(1)];
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
    sayConfRead(inv, t, conf, dkmsConfFiles(inv, module, version, conf));
    for (const record of conf.modules)
      if ((await findModuleFile(dir, record.destName)) === undefined) return false;
    return true;
  } catch (error) {
    if (error instanceof KmodError) return error;
    throw error;
  }
}

async function isFile(file: string): Promise<boolean> {
  return (await stat(file).catch(() => undefined))?.isFile() === true;
}

async function isExecutableFile(file: string): Promise<boolean> {
  const s = await stat(file).catch(() => undefined);
  return s?.isFile() === true && (s.mode & 0o111) !== 0;
}

/**
 * prepare_signing: prints what dkms prints and generates the key pair when dkms would (before the build,
 * whatever becomes of it). Returns whether dkms signs the modules.
 */
export async function runDkmsSigning(
  inv: DkmsInvocation,
  kernel: string,
  t: DkmsTranscript,
): Promise<boolean> {
  const { ctx } = inv;
  const fw = ctx.framework.values;
  const onHost = (p: string): string => underRoot(ctx.paths.root, p);
  let signFile = fw.sign_file ?? '';
  if (signFile === '') {
    signFile = planDkmsSignFile(kernel, ctx.distro.id) ?? '';
    if (signFile === '' || !(await isFile(onHost(signFile))))
      signFile = `/lib/modules/${kernel}/build/scripts/sign-file`;
  }
  const key =
    fw.mok_signing_key === undefined || fw.mok_signing_key === ''
      ? '/var/lib/dkms/mok.key'
      : fw.mok_signing_key;
  const certificate =
    fw.mok_certificate === undefined || fw.mok_certificate === ''
      ? '/var/lib/dkms/mok.pub'
      : fw.mok_certificate;
  const start = planDkmsSigningStart({
    signFile,
    signFileUsable: await isExecutableFile(onHost(signFile)),
    key,
    certificate,
    keyExists: await isFile(onHost(key)),
    certificateExists: await isFile(onHost(certificate)),
  });
  say(t, start.lines.map((l) => `${l}\n`).join(''));
  if (start.kind === 'no-sign-file') return false;
  if (start.generate) {
    // kmodforge keeps a lone half of a pair rather than replacing it; the check below then says so.
    await ensureMokKeyPair(onHost(key), onHost(certificate)).catch((error: unknown) => {
      if (!(error instanceof KmodError)) throw error;
    });
  }
  const end = planDkmsSigningEnd({
    key,
    certificate,
    generated: start.generate,
    keyExists: await isFile(onHost(key)),
    certificateExists: await isFile(onHost(certificate)),
  });
  say(t, end.lines.map((l) => `${l}\n`).join(''));
  return end.signs;
}

/**
 * prepare_build's add_module, for a module that is not added yet (or a source tree, which dkms adds every
 * time, so a second kernel finds it added: exit 3). Returns the module added, or undefined after a `die`.
 */
async function addForDkms(
  locked: LockedContext,
  inv: DkmsInvocation,
  target: KernelTarget,
  t: DkmsTranscript,
): Promise<{ module: string; version: string } | undefined> {
  const { args } = inv;
  const directives = dkmsDirectives(inv);
  const fromSource =
    args.sourceDir !== undefined && (args.module ?? '') === '' && (args.moduleVersion ?? '') === '';
  let module = args.module ?? '';
  let version = args.moduleVersion ?? '';
  const spec = fromSource
    ? { kind: 'source' as const, dir: path.resolve(args.sourceDir ?? '') }
    : { kind: 'registered' as const, module, version };
  if (fromSource) {
    try {
      ({ module, version } = await readAddPlan(locked, spec, { target, directives }));
    } catch (error) {
      if (!(error instanceof KmodError)) throw error;
      die(t, 10, ['Malformed dkms.conf file. Cannot load source tree.']);
      return undefined;
    }
  }
  if (module === '' || version === '') {
    die(t, 1, dkmsAddUsage);
    return undefined;
  }
  if (await isAdded(locked.paths, module, version)) {
    die(t, 3, [
      `DKMS tree already contains: ${module}-${version}`,
      'You cannot add the same module/version combo more than once.',
    ]);
    return undefined;
  }
  const sourceDir = tree.source(locked.paths, module, version);
  if (!fromSource && !(await isDir(sourceDir))) {
    die(t, 2, ['Could not find module source directory.', `Directory: ${sourceDir} does not exist.`]);
    return undefined;
  }
  const from = inv.events.length;
  try {
    await addModule(locked, spec, { target, directives });
  } catch (error) {
    if (!(error instanceof KmodError)) throw error;
    die(t, 8, formatBadConf(args.conf ?? path.join(sourceDir, 'dkms.conf')).split('\n'));
    return undefined;
  }
  // get_pkginfo_from_conf read the source tree's file with no module yet; add_module reads the copy.
  const { conf } = await readRegisteredConf(locked, module, version, target, { directives });
  const addConf = args.conf ?? path.join(sourceDir, 'dkms.conf');
  if (fromSource) {
    sayConfRead(inv, t, conf, [path.join(spec.kind === 'source' ? spec.dir : sourceDir, 'dkms.conf')]);
    t.confRead = false;
  }
  sayConfRead(inv, t, conf, [addConf, ...conf.sourced.slice(1)]);
  say(t, `Creating symlink ${tree.sourceLink(locked.paths, module, version)} -> ${sourceDir}\n`);
  // prepare_build does not look at add_module's status, which is POST_ADD's.
  for (const run of parseScriptRuns(inv.events.slice(from), ['POST_ADD'])) {
    const printed = formatScriptRun(run);
    say(t, printed.out);
    if (printed.err !== '') sayErr(t, printed.err);
  }
  return { module, version };
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
    const ids = await addForDkms(locked, inv, target, t);
    if (ids === undefined) return undefined;
    ({ module, version } = ids);
  }
  return planDkmsBuild(inv, run, { module, version, signs, added, unbuilt });
}

/** prepare_build after add_module, for an added module: its checks, and the make line dkms would run. */
export async function planDkmsBuild(
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
  sayConfRead(inv, t, conf, dkmsConfFiles(inv, module, version, conf));
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

/**
 * dkms's make.log is <dkms_tree>/M/V/build/make.log, which its failure message names: the failed build's
 * own log is copied there so that the message points at it.
 */
async function copyFailedLog(inv: DkmsInvocation, q: QueuedBuild): Promise<void> {
  const { paths } = inv.ctx;
  const key = { module: q.module, version: q.version, kernel: q.run.target.release, arch: q.run.target.arch };
  const log = path.join(tree.work(paths, key), 'make.log');
  if (!(await exists(log))) return;
  try {
    await copyFile(log, path.join(tree.sharedBuild(paths, q.module, q.version), 'make.log'));
  } catch (error) {
    if (!isErrno(error, 'ENOENT', 'EACCES', 'EROFS', 'EPERM')) throw error;
  }
}

/** actual_build and clean_build, in dkms's words, for a build kmodforge ran. */
export async function sayBuildOutcome(inv: DkmsInvocation, q: QueuedBuild, o: BuildOutcome): Promise<void> {
  const { t } = q.run;
  const { release: kernel, arch } = q.run.target;
  const buildDir = tree.sharedBuild(inv.ctx.paths, q.module, q.version);
  const step = o.error instanceof BuildStepError ? o.error.step : undefined;
  for (const patch of q.conf.patches) {
    if (step?.kind === 'patch-missing' && step.patch === patch) {
      die(t, 5, [` Patch ${patch} as specified in dkms.conf cannot be`, `found in ${buildDir}/patches/.`]);
      return;
    }
    if (step?.kind === 'patch' && step.patch === patch) {
      say(t, `applying patch ${patch}...(bad exit status: ${step.exitStatus})\n`);
      die(t, 6, [`Application of patch ${patch} failed.`, `Check ${buildDir} for more information.`]);
      return;
    }
    say(t, `applying patch ${patch}...\n`);
  }
  sayBuildScripts(inv, q, 'PRE_BUILD');
  if (o.status === 'excluded') {
    die(t, 77, formatBuildExclusive(tree.built(inv.ctx.paths, { ...q, kernel, arch }), q.module));
    return;
  }
  if (o.status === 'failed' && o.error?.code === 'NO_HEADERS') {
    die(t, 1, formatNoHeaders(kernel));
    return;
  }
  if (o.status === 'failed' && step?.kind !== 'make' && step?.kind !== 'module-missing') {
    die(t, o.error?.exitCode ?? 1, (o.error?.message ?? 'build failed').split('\n'));
    return;
  }
  const dots = formatProgressDots(o.seconds);
  say(t, `\nBuilding module:\nCleaning build area...\n${q.makeLine}...${dots}`);
  if (step?.kind === 'make') {
    say(t, `(bad exit status: ${step.exitStatus})\n`);
    await copyFailedLog(inv, q);
    die(t, 10, formatBadReturnStatus(kernel, arch, buildDir));
    return;
  }
  say(t, '\n');
  if (step?.kind === 'module-missing') {
    const record = q.conf.modules.find((m) => m.index === step.index);
    await copyFailedLog(inv, q);
    die(t, 7, formatBuiltModuleMissing(record?.builtName ?? '', kernel, arch, buildDir));
    return;
  }
  if (q.signs)
    for (const m of q.conf.modules)
      say(t, `Signing module ${buildDir}/${m.builtLocation}${m.builtName}.ko\n`);
  sayBuildScripts(inv, q, 'POST_BUILD');
  say(t, 'Cleaning build area...\n');
}

/** run_build_script for PRE_BUILD or POST_BUILD of a build kmodforge ran: its heading and output. */
function sayBuildScripts(inv: DkmsInvocation, q: QueuedBuild, kind: 'PRE_BUILD' | 'POST_BUILD'): void {
  const { release, arch } = q.run.target;
  for (const run of parseScriptRuns(inv.events, [kind])) {
    if (run.kernel !== release || run.arch !== arch) continue;
    const printed = formatScriptRun(run);
    say(q.run.t, printed.out);
    if (printed.err !== '') sayErr(q.run.t, printed.err);
  }
}

/** Runs the queued builds together (kmodforge's parallel builds) and adds each one's text to its kernel. */
export async function runQueuedBuilds(
  locked: LockedContext,
  inv: DkmsInvocation,
  queued: readonly QueuedBuild[],
): Promise<void> {
  const first = queued[0];
  if (first === undefined) return;
  const outcomes = await buildModule(locked, {
    module: first.module,
    version: first.version,
    targets: queued.map((q) => q.run.target),
    force: true,
    directives: dkmsDirectives(inv),
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
