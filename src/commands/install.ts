import type { JobSlots } from '../build/job-slots.ts';
import path from 'node:path';
import type { DirectiveOverride } from '../conf/eval-script.ts';
import type { ModuleConf } from '../conf/module-conf.ts';
import type { Context } from '../context.ts';
import { KmodError } from '../errors.ts';
import { runDepmod } from '../install/depmod.ts';
import { planInstallOps, type InstallFacts } from '../install/install-plan.ts';
import { readExisting, readInstalledFiles } from '../install/read-install-facts.ts';
import { runTransaction, type Op } from '../install/journal.ts';
import { findModulesNamed, findOriginalModule, type OriginalModule } from '../install/originals.ts';
import { compareModuleVersions, readModuleVersion } from '../install/version-sanity.ts';
import type { KernelTarget } from '../kernel/target.ts';
import { findModuleFile } from '../state/module-file.ts';
import { readKernelLink } from '../state/read-state.ts';
import { readRegisteredConf, requireAdded } from '../state/registered.ts';
import { tree } from '../state/tree.ts';
import {
  describeBuildDecision,
  ensureBuilt,
  planEnsureBuilt,
  prepareBuild,
  type BuildOutcome,
} from './build.ts';
import type { CommandPlan } from './command-plan.ts';
import { compressionSuffix } from '../build/postprocess.ts';
import { stageModules } from '../install/stage.ts';
import { runModuleScript } from './module-scripts.ts';
import { planModprobeKernels, runModprobeOnInstall } from '../install/modprobe.ts';
import { isDir } from '../state/fs.ts';
import type { LockedContext } from './mutation.ts';
import { verifyBuilds, type BuildVerify, type VerifySettings } from './verify.ts';

export type InstallStatus = 'installed' | 'already-installed' | 'staged' | 'excluded' | 'failed';

export interface InstallOutcome {
  module: string;
  version: string;
  kernel: string;
  arch: string;
  status: InstallStatus;
  /** The module files installed (or staged). */
  files: string[];
  error: KmodError | undefined;
  build: BuildOutcome | undefined;
  /** install --verify: the verify that let this kernel's install go ahead, or failed it. */
  verify?: BuildVerify | undefined;
}

export interface InstallOptions {
  module: string;
  version: string;
  targets: readonly KernelTarget[];
  force: boolean;
  directives: readonly DirectiveOverride[];
  noDepmod: boolean;
  /** Stage the modules under this directory instead of installing them (no state change, no depmod). */
  destDir?: string | undefined;
  /** The jobs the builds this install needs run on (default: a jobserver with the context's budget). */
  slots?: JobSlots | undefined;
  /** PRE_BUILD and POST_BUILD of the builds this install needs run as dkms 3.0.10 runs them. */
  dkmsScripts?: boolean | undefined;
  /**
   * dkms 3.0.10's version check, decided by the caller (the `dkms` front end) instead of kmodforge's: the
   * modules it refused, by `<kernel>/<arch>`, are left out and the kernel is marked installed all the same,
   * as dkms does; PRE_INSTALL runs only when the first module was not refused.
   */
  dkmsRefused?: ReadonlyMap<string, ReadonlySet<string>> | undefined;
  /** Load the new modules of the running kernel once installed (dkms's modprobe_on_install). */
  modprobe?: boolean | undefined;
  /**
   * Verify each build under QEMU before it is installed (install --verify): a kernel whose modules do not
   * all load is not installed (what is installed there stays), the others are.
   */
  verify?: VerifySettings | undefined;
}

/** One kernel's install, read and planned: its outcome, the transaction's ops, and its scripts. */
interface Prepared {
  outcome: InstallOutcome;
  ops: Op[];
  conf: ModuleConf | undefined;
}

/**
 * dkms.in check_version_sanity: refuses to replace a module in the kernel tree that is newer than, or as
 * new as, the one being installed, unless --force.
 */
async function checkVersionSanity(ctx: Context, kernel: string, name: string, built: string): Promise<void> {
  const existing = await findModulesNamed(path.join(ctx.paths.installTree, kernel), name);
  if (existing.length !== 1 || existing[0] === undefined) return;
  const ours = await readModuleVersion(built);
  const theirs = await readModuleVersion(existing[0]);
  const verdict = compareModuleVersions(ours, theirs);
  if (verdict === 'older') {
    throw new KmodError(
      'VERSION_SANITY',
      `Module version ${ours.version} for ${name}.ko is not newer than what is already found in kernel ${kernel} (${theirs.version}, ${existing[0]}).`,
      {
        hint: 'You may override by specifying --force.',
      },
    );
  }
  if (verdict === 'same' && ours.srcversion === theirs.srcversion && ours.version !== '') {
    throw new KmodError(
      'VERSION_SANITY',
      `Module version ${ours.version} for ${name}.ko exactly matches what is already found in kernel ${kernel} (${existing[0]}); kmodforge will not replace it.`,
      {
        hint: 'You may override by specifying --force.',
      },
    );
  }
}

/**
 * Reads what installing one built kernel must know (the link, the built files, the modules it shadows,
 * what an older version left) with its dkms.conf read once, checks the version sanity, and plans the ops.
 * When installing, `beforeTreeRead` runs PRE_INSTALL where dkms runs it: after the version check, before
 * the originals and existing files are looked at, so what the script changes is what the plan sees.
 */
async function prepareInstall(
  ctx: Context,
  options: InstallOptions,
  target: KernelTarget,
  build: BuildOutcome,
  /** Runs after the version check and before the kernel's tree is read (PRE_INSTALL, as dkms runs it). */
  beforeTreeRead?: (conf: ModuleConf) => Promise<void>,
): Promise<Prepared> {
  const { module, version } = options;
  const { release: kernel, arch } = target;
  const base = { module, version, kernel, arch, build };
  const linked = await readKernelLink(ctx.paths, module, kernel, arch);
  const linkedVersion = linked?.split('/')[0];
  if (linkedVersion === version && !options.force)
    return {
      outcome: { ...base, status: 'already-installed', files: [], error: undefined },
      ops: [],
      conf: undefined,
    };
  const kernelTree = path.join(ctx.paths.installTree, kernel);
  if (!(await isDir(kernelTree))) {
    throw new KmodError(
      'INSTALL_FAILED',
      `The directory ${kernelTree} doesn't exist. You cannot install a module onto a non-existent kernel.`,
    );
  }
  const { conf } = await readRegisteredConf(ctx, module, version, target, { directives: options.directives });
  const moduleDir = tree.builtModules(ctx.paths, { module, version, kernel, arch });
  const builtFiles = new Map<string, string>();
  const refused = options.dkmsRefused?.get(`${kernel}/${arch}`) ?? new Set<string>();
  for (const record of conf.modules) {
    const file = await findModuleFile(moduleDir, record.destName);
    if (file === undefined)
      throw new KmodError(
        'BUILT_MODULE_MISSING',
        `${record.destName}.ko is missing from ${moduleDir}; rebuild with --force`,
      );
    if (refused.has(record.destName)) continue;
    builtFiles.set(record.destName, file);
    if (!options.force && options.dkmsRefused === undefined)
      await checkVersionSanity(ctx, kernel, record.destName, file);
  }
  const first = conf.modules[0]?.destName;
  if (first === undefined || !refused.has(first)) await beforeTreeRead?.(conf);
  const originals = new Map<string, OriginalModule>();
  if (linkedVersion === undefined) {
    for (const record of conf.modules) {
      if (refused.has(record.destName)) continue;
      const original = await findOriginalModule(kernelTree, record.destName, record.destLocation);
      if (original.kind === 'ambiguous') {
        ctx.emit({
          type: 'warning',
          message: `${original.files.length} modules named ${record.destName} in ${kernelTree}; none is archived as the original: ${original.files.join(', ')}`,
        });
      }
      originals.set(record.destName, original);
    }
  }
  let staleFiles: string[] = [];
  if (linkedVersion !== undefined && linkedVersion !== version) {
    const previous = await readRegisteredConf(ctx, module, linkedVersion, target).catch(() => undefined);
    if (previous !== undefined) staleFiles = await readInstalledFiles(ctx.paths, previous.conf, kernel);
  }
  const dests = conf.modules
    .filter((r) => builtFiles.has(r.destName))
    .map((r) => path.join(kernelTree, r.destLocation, path.basename(builtFiles.get(r.destName) ?? '')));
  const facts: InstallFacts = {
    module,
    version,
    kernel,
    arch,
    conf,
    builtFiles,
    linkedVersion,
    staleFiles,
    originals,
    existing: await readExisting([...dests, ...staleFiles]),
    archiveByCopy: /^(debian|ubuntu)/.test(ctx.distro.id),
  };
  return {
    outcome: { ...base, status: 'installed', files: dests, error: undefined },
    ops: planInstallOps(ctx.paths, facts),
    conf,
  };
}

async function stageInstall(
  ctx: Context,
  options: InstallOptions & { destDir: string },
  target: KernelTarget,
  build: BuildOutcome,
): Promise<InstallOutcome> {
  const staged = await stageModules(ctx, { ...options, target }, options.destDir);
  return {
    module: options.module,
    version: options.version,
    kernel: target.release,
    arch: target.arch,
    status: 'staged',
    files: staged.map((f) => f.file),
    error: undefined,
    build,
  };
}

/**
 * Installs a module for several kernels (dkms install): builds what is not built yet, in parallel; then
 * installs every kernel's modules in one transaction with one depmod per kernel, rolled back as a whole
 * if any step fails. With destDir, stages the modules there instead and changes nothing else.
 */
export async function installModule(ctx: LockedContext, options: InstallOptions): Promise<InstallOutcome[]> {
  await requireAdded(ctx, options.module, options.version);
  const builds = await ensureBuilt(ctx, options);
  const verified =
    options.verify === undefined
      ? new Map<number, BuildVerify>()
      : await verifyToInstall(ctx, options, options.verify, builds);
  const outcomes: InstallOutcome[] = [];
  const prepared: Prepared[] = [];
  for (const [i, target] of options.targets.entries()) {
    const build = builds[i];
    if (build === undefined) throw new Error('build did not run');
    const verify = verified.get(i);
    const base = {
      module: options.module,
      version: options.version,
      kernel: target.release,
      arch: target.arch,
      files: [],
      build,
      verify,
    };
    if (build.status === 'failed' || build.status === 'excluded') {
      outcomes.push({ ...base, status: build.status, error: build.error });
      continue;
    }
    // Before PRE_INSTALL and the transaction: a module that does not load changes nothing.
    if (verify?.error !== undefined) {
      outcomes.push({ ...base, status: 'failed', error: verify.error });
      continue;
    }
    try {
      if (options.destDir !== undefined)
        outcomes.push({
          ...(await stageInstall(ctx, { ...options, destDir: options.destDir }, target, build)),
          verify,
        });
      else {
        const p = await prepareInstall(ctx, options, target, build, (conf) =>
          runPreInstall(ctx, options, target, conf),
        );
        p.outcome.verify = verify;
        outcomes.push(p.outcome);
        if (p.ops.length > 0) prepared.push(p);
      }
    } catch (error) {
      if (!(error instanceof KmodError)) throw error;
      outcomes.push({ ...base, status: 'failed', error });
    }
  }
  if (prepared.length === 0) return outcomes;
  const kernels = [...new Set(prepared.map((p) => p.outcome.kernel))];
  const depmodAll = async (): Promise<void> => {
    if (!options.noDepmod)
      for (const kernel of kernels)
        await runDepmod(ctx.paths, kernel, ctx.emit, 'the install was rolled back');
  };
  try {
    await runTransaction(
      ctx.paths,
      {
        command: `install ${options.module}/${options.version}`,
        kernels,
        ops: prepared.flatMap((p) => p.ops),
      },
      depmodAll,
      depmodAll,
      ctx.killAfterOp,
    );
  } catch (error) {
    // The transaction is rolled back by now; a file that changed under it (a script, another tool) is the
    // user's error to see, not a bug in kmodforge.
    const failure =
      error instanceof KmodError
        ? error
        : error instanceof Error && 'code' in error
          ? new KmodError('INSTALL_FAILED', `installation failed and was rolled back: ${error.message}`, {
              cause: error,
            })
          : undefined;
    if (failure === undefined) throw error;
    for (const p of prepared) Object.assign(p.outcome, { status: 'failed', files: [], error: failure });
    return outcomes;
  }
  for (const { outcome: p, conf } of prepared) {
    if (conf?.scripts.postInstall !== undefined) {
      await runModuleScript(ctx, {
        module: options.module,
        version: options.version,
        kind: 'POST_INSTALL',
        script: conf.scripts.postInstall,
        kernel: p.kernel,
        arch: p.arch,
      });
    }
  }
  if (options.modprobe === true) {
    const installed = prepared.map((p) => p.outcome.kernel);
    if (planModprobeKernels(installed, ctx.runningKernel, ctx.paths.root).length > 0)
      await runModprobeOnInstall();
  }
  return outcomes;
}

/**
 * install --verify: the builds to install, verified, by the target's index; a kernel the module is already
 * installed for (without --force) is not booted, since nothing would be installed there.
 */
async function verifyToInstall(
  ctx: LockedContext,
  options: InstallOptions,
  settings: VerifySettings,
  builds: readonly BuildOutcome[],
): Promise<Map<number, BuildVerify>> {
  const chosen: { index: number; target: KernelTarget }[] = [];
  for (const [index, build] of builds.entries()) {
    if (build.status !== 'built' && build.status !== 'already-built') continue;
    const linked = await readKernelLink(ctx.paths, options.module, build.kernel, build.arch);
    const installed = linked?.split('/')[0] === options.version;
    if (installed && !options.force && options.destDir === undefined) continue;
    chosen.push({ index, target: { release: build.kernel, arch: build.arch } });
  }
  const verified = await verifyBuilds(
    ctx,
    {
      module: options.module,
      version: options.version,
      targets: chosen.map((c) => c.target),
      hint: 'it is not installed for this kernel; what was installed there stays (the build stays in the dkms tree)',
    },
    settings,
  );
  const byIndex = new Map<number, BuildVerify>();
  for (const [j, { index }] of chosen.entries()) {
    const v = verified[j];
    if (v !== undefined) byIndex.set(index, v);
  }
  return byIndex;
}

/** PRE_INSTALL, as dkms runs it before installing a kernel's modules; exit 101 when it fails (unless --force). */
async function runPreInstall(
  ctx: Context,
  options: InstallOptions,
  target: KernelTarget,
  conf: ModuleConf,
): Promise<void> {
  if (conf.scripts.preInstall === undefined) return;
  const status = await runModuleScript(ctx, {
    module: options.module,
    version: options.version,
    kind: 'PRE_INSTALL',
    script: conf.scripts.preInstall,
    kernel: target.release,
    arch: target.arch,
  });
  if (status !== 0 && !options.force)
    throw new KmodError('PRE_INSTALL_FAILED', 'pre_install failed, aborting install.', {
      hint: 'You may override by specifying --force.',
    });
}

/**
 * What build (install: false) or install would do, with nothing run or written: per kernel, the build it
 * needs (or why none), then, for a kernel already built, the install's file changes; for one still to be
 * built, where its modules will go.
 */
export async function planInstallCommand(
  ctx: Context,
  options: InstallOptions & { install: boolean },
): Promise<CommandPlan> {
  await requireAdded(ctx, options.module, options.version);
  const steps: string[] = [];
  const ops: Op[] = [];
  const depmod = new Set<string>();
  for (const target of options.targets) {
    const where = `${options.module}/${options.version} for ${target.release} (${target.arch})`;
    const request = options.install ? planEnsureBuilt({ ...options, target }) : { ...options, target };
    const decided = await prepareBuild(ctx, request, { jobs: ctx.jobs, server: undefined }, { dryRun: true });
    const step = describeBuildDecision(where, decided);
    if (step !== undefined) steps.push(step);
    if ('plan' in decided) {
      const { plan } = decided;
      if (!options.install) continue;
      const suffix = compressionSuffix(plan.compression);
      const files = plan.conf.modules.map((m) =>
        path.join(ctx.paths.installTree, target.release, m.destLocation, `${m.destName}.ko${suffix}`),
      );
      steps.push(`then install ${where}: ${files.join(' ')}`);
      depmod.add(target.release);
      continue;
    }
    const { outcome } = decided;
    if (outcome.status !== 'already-built') continue;
    if (!options.install) {
      steps.push(`${where} is already built (--force builds it again)`);
      continue;
    }
    const prepared = await prepareInstall(ctx, options, target, outcome).catch((error: unknown) => {
      if (error instanceof KmodError) return error;
      throw error;
    });
    if (prepared instanceof KmodError) steps.push(`fail ${where}: ${prepared.message}`);
    else if (prepared.outcome.status === 'already-installed') steps.push(`${where} is already installed`);
    else {
      const preInstall = prepared.conf?.scripts.preInstall;
      if (preInstall !== undefined) steps.push(`run PRE_INSTALL ${preInstall} for ${where}`);
      ops.push(...prepared.ops);
      depmod.add(target.release);
    }
  }
  return {
    command: `${options.install ? 'install' : 'build'} ${options.module}/${options.version}`,
    steps,
    ops,
    depmod: options.noDepmod ? [] : [...depmod],
  };
}

/**
 * A dry run of build --verify or install --verify: the plan with, for each kernel whose build there is or
 * will be (and, for install, that would be installed), the boot that verifies it, after its build and
 * before its install. Pure.
 */
export function planVerifySteps(
  plan: CommandPlan,
  targets: readonly KernelTarget[],
  install: boolean,
): CommandPlan {
  const subject = plan.command.slice(plan.command.indexOf(' ') + 1);
  const steps = [...plan.steps];
  for (const target of targets) {
    const where = `${subject} for ${target.release} (${target.arch})`;
    const none = [`fail ${where}:`, `skip ${where}:`, ...(install ? [`${where} is already installed`] : [])];
    if (steps.some((s) => none.some((n) => s.startsWith(n)))) continue;
    const step = `verify ${where}: boot ${target.release} under QEMU and load the modules${install ? '; install them only if they all load' : ''}`;
    const built = steps.findLastIndex(
      (s) => s.startsWith(`build ${where}`) || s.startsWith(`${where} is already built`),
    );
    const preInstall = steps.findIndex((s) => s.startsWith('run PRE_INSTALL') && s.endsWith(` for ${where}`));
    if (built !== -1) steps.splice(built + 1, 0, step);
    else if (preInstall !== -1) steps.splice(preInstall, 0, step);
    else steps.push(step);
  }
  return { ...plan, steps };
}
