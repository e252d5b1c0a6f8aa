import { access, constants, cp, realpath, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import type { KmodEvent } from '../context.ts';
import { describeEnd } from '../exec/run.ts';
import { quoteCommand } from '../exec/quote.ts';
import { replaceDir, writeFileAtomic } from '../state/atomic.ts';
import { copyTree } from '../state/copy-tree.ts';
import { appendLogHeader, appendTimedStep, planErrorExcerpt } from './build-log.ts';
import { failure, makeTimeoutMs, runLoggedBash, scriptTimeoutMs, shellExitStatus } from './build-steps.ts';
import { finishModules, type FinishedModule } from './finish-modules.ts';
import { lookupCachedBuild, storeCachedBuild, type BuildCacheSettings } from './build-cache.ts';
import type { BuildPlan } from './build-plan.ts';
import { readFileDigest } from './read-cache-key.ts';
import { exists, makeDirs } from '../state/fs.ts';
import type { StatusFacts } from '../state/status-facts.ts';

export interface BuildResult {
  plan: BuildPlan;
  seconds: number;
  /** The files in K/A/module/, by dest name. */
  files: Record<string, string>;
  /** The build's cache key, and whether the files came from the cache; undefined without a cache. */
  cache: { key: string; restored: boolean } | undefined;
}

export interface RunBuildOptions {
  /** The build cache to restore from and store in (build-cache.ts); none: always compile, store nothing. */
  cache?: BuildCacheSettings | undefined;
  /**
   * PRE_BUILD and POST_BUILD as dkms 3.0.10 runs them: their status is ignored, and a build that has them
   * is compiled, never restored from the cache, so that they run (the `dkms` front end).
   */
  dkmsScripts?: boolean | undefined;
}

export interface BuildMeta {
  kmodforge: string;
  module: string;
  version: string;
  kernel: string;
  arch: string;
  builtAt: string;
  seconds: number;
  makeCommand: string;
  modules: { name: string; file: string; sha256: string; signed: boolean }[];
  /** What `status` needs, so that it reads this file instead of sourcing dkms.conf with bash. */
  status: StatusFacts;
  /** The build cache key, and whether the modules were restored from the cache instead of compiled. */
  cache?: { key: string; restored: boolean };
}

/**
 * dkms's run_build_script for PRE_BUILD/POST_BUILD: a path relative to the build directory, word-split,
 * reported as a `script` event. A failure fails the build, unless `ignoreStatus` (dkms 3.0.10 goes on).
 */
async function runBuildScript(
  plan: BuildPlan,
  kind: 'PRE_BUILD' | 'POST_BUILD',
  script: string,
  emit: (e: KmodEvent) => void,
  ignoreStatus: boolean,
): Promise<void> {
  const executable = path.join(plan.buildDir, script.split(' ')[0] ?? '');
  const event = {
    type: 'script' as const,
    kind,
    module: plan.module,
    version: plan.version,
    kernel: plan.kernel.release,
    arch: plan.arch,
    script,
    path: executable,
  };
  try {
    await access(executable, constants.X_OK);
  } catch {
    emit({ ...event, ran: false, exitStatus: 0, stdout: '', stderr: '', output: '' });
    return;
  }
  const result = await runLoggedBash(plan, `${kind} script`, script, `exec ./${script}`, scriptTimeoutMs);
  const exitStatus = shellExitStatus(result);
  emit({ ...event, ran: true, exitStatus, stdout: result.stdout, stderr: result.stderr, output: result.all });
  if ((result.exitCode !== 0 || result.timedOut) && !ignoreStatus) {
    throw failure(
      plan,
      'BUILD_FAILED',
      `the ${kind} script ${script} failed (${describeEnd(result, scriptTimeoutMs)})\n${planErrorExcerpt(result.all)}`,
      { kind: 'script', script: kind, exitStatus },
    );
  }
}

/** Sets up the build's private tree: <tree>/M/V/source → the registered source, <tree>/M/V/build a copy of it. */
async function prepareWorkspace(plan: BuildPlan): Promise<void> {
  await rm(plan.workDir, { recursive: true, force: true });
  const versionDir = path.dirname(plan.buildDir);
  await makeDirs(versionDir);
  const source = await realpath(plan.sourceDir);
  await symlink(source, path.join(versionDir, 'source'));
  await copyTree(source, plan.buildDir, { preserveTimestamps: true });
}

/**
 * Builds one planned (module, version, kernel, arch) in its own directory and, only when every step
 * succeeds, replaces <dkmsTree>/M/V/K/A with the result in one rename. A failure changes nothing outside
 * the build's own directory, keeps make.log there, and throws with the failing command and the first
 * error lines.
 */
export async function runBuild(
  plan: BuildPlan,
  emit: (e: KmodEvent) => void,
  options: RunBuildOptions = {},
): Promise<BuildResult> {
  const started = performance.now();
  const id = { module: plan.module, version: plan.version, kernel: plan.kernel.release, arch: plan.arch };
  const step = (name: string): void => {
    emit({ type: 'build-step', ...id, step: name });
  };
  step('copying source');
  const copyStartedAt = new Date();
  await prepareWorkspace(plan);
  // The log lives in the workspace, so the copy is logged once it is there.
  await appendLogHeader(plan.logFile, plan.module, plan.version, plan.kernel.release, plan.arch);
  await appendTimedStep(
    plan.logFile,
    'copying the source',
    `cp -a ${quoteCommand([plan.sourceDir, plan.buildDir])}`,
    copyStartedAt,
    Date.now() - copyStartedAt.getTime(),
  );

  for (const patch of plan.patches) {
    if (!(await exists(patch.file))) {
      throw failure(
        plan,
        'PATCH_INVALID',
        `patch ${patch.name} as specified in dkms.conf cannot be found in ${path.dirname(patch.file)}/`,
        { kind: 'patch-missing', patch: patch.name },
      );
    }
    step(`applying patch ${patch.name}`);
    const result = await runLoggedBash(
      plan,
      `applying patch ${patch.name}`,
      `patch -p1 < ./patches/${patch.name}`,
      `patch -p1 < ./patches/${quoteCommand([patch.name])}`,
      scriptTimeoutMs,
    );
    if (result.exitCode !== 0)
      throw failure(
        plan,
        'PATCH_FAILED',
        `applying patch ${patch.name} failed:\n${planErrorExcerpt(result.all)}`,
        { kind: 'patch', patch: patch.name, exitStatus: shellExitStatus(result) },
      );
  }
  // The key covers the source after patches. A hit skips PRE_BUILD, make, POST_BUILD and the finishing.
  const { preBuild, postBuild } = plan.conf.scripts;
  const dkmsScripts = options.dkmsScripts === true;
  const cacheable = !dkmsScripts || (preBuild === undefined && postBuild === undefined);
  const cache = cacheable ? await lookupCachedBuild(plan, options.cache, emit) : undefined;
  if (cache?.restored !== undefined) {
    step(`restored from the build cache ${cache.key}`);
    return stageResult(plan, cache.restored.finished, {
      started,
      step,
      emit,
      cache: { key: cache.key, restored: true },
      dkmsScripts,
    });
  }
  if (preBuild !== undefined) {
    step('running PRE_BUILD');
    await runBuildScript(plan, 'PRE_BUILD', preBuild, emit, dkmsScripts);
  }

  step(plan.makeCommand);
  const make = await runLoggedBash(
    plan,
    'building the module',
    plan.makeCommand,
    `eval ${quoteCommand([plan.makeCommand])}`,
    makeTimeoutMs,
    plan.jobServer,
  );
  if (make.exitCode !== 0 || make.timedOut) {
    throw failure(
      plan,
      'BUILD_FAILED',
      `make failed (${describeEnd(make, makeTimeoutMs)})\ncommand: ${plan.makeCommand}\n${planErrorExcerpt(make.all)}`,
      { kind: 'make', exitStatus: shellExitStatus(make) },
    );
  }
  for (const m of plan.modules) {
    if (!(await exists(m.builtFile))) {
      throw failure(
        plan,
        'BUILT_MODULE_MISSING',
        `make succeeded but ${path.relative(plan.buildDir, m.builtFile)} was not built; expected at ${m.builtFile}\nCheck BUILT_MODULE_NAME[${m.index}] and BUILT_MODULE_LOCATION[${m.index}] in dkms.conf against what make produced`,
        { kind: 'module-missing', index: m.index },
      );
    }
  }

  const finished = await finishModules(plan, step, emit);
  const cacheRecord = cache === undefined ? undefined : { key: cache.key, restored: false };
  const result = await stageResult(plan, finished, { started, step, emit, cache: cacheRecord, dkmsScripts });
  if (cache !== undefined)
    await storeCachedBuild(cache.settings, cache.key, plan, finished, result.seconds, emit);
  return result;
}

interface StageRun {
  started: number;
  step: (name: string) => void;
  emit: (e: KmodEvent) => void;
  cache: BuildResult['cache'];
  dkmsScripts: boolean;
}

/**
 * Stages the result directory (module/, log/make.log, kmodforge.json) and replaces <dkmsTree>/M/V/K/A with
 * it. POST_BUILD runs here, after the modules are copied (so it cannot change them), and not for a build
 * restored from the cache: no build ran for it to follow, and its tree has nothing make would have made.
 */
async function stageResult(
  plan: BuildPlan,
  finished: readonly FinishedModule[],
  run: StageRun,
): Promise<BuildResult> {
  const { started, step, emit } = run;
  const id = { module: plan.module, version: plan.version, kernel: plan.kernel.release, arch: plan.arch };
  // Staged in the build's own directory: a kill leaves nothing in the state tree.
  const staging = path.join(plan.workDir, 'result');
  await makeDirs(path.dirname(plan.resultDir));
  try {
    const files: Record<string, string> = {};
    const moduleDir = path.join(staging, 'module');
    await makeDirs(moduleDir);
    await makeDirs(path.join(staging, 'log'));
    for (const m of finished) {
      const dest = path.join(moduleDir, path.basename(m.file));
      await cp(m.file, dest);
      files[m.destName] = dest;
    }
    const symvers = path.join(plan.buildDir, 'Module.symvers');
    if (await exists(symvers)) await cp(symvers, path.join(moduleDir, 'Module.symvers'));
    if (plan.conf.scripts.postBuild !== undefined && run.cache?.restored !== true) {
      step('running POST_BUILD');
      await runBuildScript(plan, 'POST_BUILD', plan.conf.scripts.postBuild, emit, run.dkmsScripts);
    }
    await cp(plan.logFile, path.join(staging, 'log', 'make.log'));
    const seconds = (performance.now() - started) / 1000;
    const meta: BuildMeta = {
      kmodforge: '1',
      ...id,
      builtAt: new Date().toISOString(),
      seconds,
      makeCommand: plan.makeCommand,
      status: plan.statusFacts,
      ...(run.cache === undefined ? {} : { cache: run.cache }),
      modules: await Promise.all(
        finished.map(async (m) => ({
          name: m.destName,
          file: path.basename(m.file),
          sha256: await readFileDigest(path.join(moduleDir, path.basename(m.file))),
          signed: m.signed,
        })),
      ),
    };
    await writeFileAtomic(path.join(staging, 'kmodforge.json'), `${JSON.stringify(meta, null, 2)}\n`);
    await replaceDir(staging, plan.resultDir);
    for (const m of finished) files[m.destName] = path.join(plan.resultDir, 'module', path.basename(m.file));
    await rm(plan.workDir, { recursive: true, force: true });
    return { plan, seconds, files, cache: run.cache };
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
}
