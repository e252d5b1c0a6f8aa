import { chmod, copyFile, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { KmodEvent } from '../../context.ts';
import { KmodError } from '../../errors.ts';
import { quoteCommand } from '../../exec/quote.ts';
import { baseEnv, runOrThrow } from '../../exec/run.ts';
import { isOnPath } from '../../exec/which.ts';
import { parseKernelConfig } from '../../kernel/kconfig.ts';
import { machineToRpmArch } from '../../kernel/release.ts';
import { exists, listDir, makeDirs, readOptional } from '../../state/fs.ts';
import { runRpmbuild } from '../rpm/rpmbuild.ts';
import { planDevelDir, planDevelSpec, planDevelStageScript } from './devel-plan.ts';
import {
  buildPathProblem,
  planConfigure,
  planKernelBuild,
  planKernelReleaseQuery,
  planMkspecWrapper,
  planDefconfigFiles,
  planSrcArch,
  type KernelBuildDirs,
  type KernelCommand,
} from './make-plan.ts';
import {
  parseKernelMakefileVersion,
  planKernelPackageFiles,
  planKernelRelease,
  type KernelPackage,
  type KernelPackageFormat,
  type KernelReleasePlan,
} from './release-plan.ts';
import { checkBuildTools, planBuildTools, type BuildTool } from './tools-plan.ts';

/** A kernel build's time limit: a distribution's whole config takes hours on a small machine. */
const kernelBuildTimeoutMs = 24 * 60 * 60 * 1000;

export interface KernelBuildRequest {
  sourceDir: string;
  flavor: string;
  release: string;
  format: KernelPackageFormat;
  /** The .config to start from; the architecture's defconfig without one. */
  configFile: string | undefined;
  outDir: string;
  jobs: number;
  /** `uname -m` of the machine, which the kernel is built for. */
  machine: string;
  packager: string;
  emit: (event: KmodEvent) => void;
}

export interface KernelBuildResult {
  plan: KernelReleasePlan;
  /** The build tree (O=), kept for the next build of the same release. */
  buildDir: string;
  /** The module build tree as the devel package holds it, staged: headers to build modules against. */
  develTree: string;
  log: string;
  packages: KernelPackage[];
}

/** The kernel version of a source tree, checked to be one kbuild can build beside itself. */
export async function readKernelSource(sourceDir: string): Promise<string> {
  const makefile = await readOptional(path.join(sourceDir, 'Makefile'));
  const version = makefile === undefined ? undefined : parseKernelMakefileVersion(makefile);
  if (version === undefined)
    throw new KmodError(
      'NO_SOURCE_DIR',
      `${sourceDir} is not a kernel source tree: ${makefile === undefined ? 'it has no Makefile' : 'its Makefile sets no VERSION and PATCHLEVEL'}`,
      {
        hint: 'Give the top directory of a Linux source tree, e.g. the one /usr/src/linux-source-6.1.tar.xz unpacks.',
      },
    );
  if (!/^[0-9A-Za-z.+_~-]+$/.test(version))
    throw new KmodError(
      'NO_SOURCE_DIR',
      `${sourceDir}: kernel version "${version}" has characters no package version takes`,
    );
  for (const built of ['.config', 'include/config'])
    if (await exists(path.join(sourceDir, built)))
      throw new KmodError(
        'USAGE',
        `${sourceDir} has been configured or built in place (${built}); kmodforge builds beside the tree, which kbuild refuses then`,
        {
          hint: `Keep its config (cp ${path.join(sourceDir, '.config')} my.config), run make -C ${sourceDir} mrproper, and pass --config my.config.`,
        },
      );
  return version;
}

function checkBuildPath(dir: string): void {
  const problem = buildPathProblem(dir);
  if (problem !== undefined) throw new KmodError('USAGE', `${dir}: ${problem}`);
}

async function readMissingTools(format: KernelPackageFormat): Promise<BuildTool[]> {
  const missing: BuildTool[] = [];
  for (const tool of planBuildTools(format))
    if (!(tool.kind === 'program' ? isOnPath(tool.name) : await exists(tool.name))) missing.push(tool);
  return missing;
}

/** What a kernel build is asked for, less what only running it needs. */
export type KernelBuildPlanRequest = Omit<KernelBuildRequest, 'packager' | 'emit'>;

/** A kernel build as planned from its checked request: where everything goes, and every command. */
export interface KernelBuildSetup {
  plan: KernelReleasePlan;
  dirs: KernelBuildDirs;
  log: string;
  /** The staging root of the module build tree. */
  develRoot: string;
  /** The module build tree in it, which --with-modules builds against. */
  develTree: string;
  configure: KernelCommand[];
  releaseQuery: KernelCommand;
  build: KernelCommand[];
  stage: KernelCommand;
  packages: KernelPackage[];
}

/**
 * Checks a kernel build's request as the build would (the source tree, the tools, the paths) and plans
 * it. Writes nothing.
 */
export async function readKernelBuildSetup(request: KernelBuildPlanRequest): Promise<KernelBuildSetup> {
  const kernelVersion = await readKernelSource(request.sourceDir);
  checkBuildTools(await readMissingTools(request.format));
  checkBuildPath(request.sourceDir);
  checkBuildPath(request.outDir);
  const plan = planKernelRelease(kernelVersion, request.release, request.flavor);
  // bindeb-pkg writes its packages into the build tree's parent: the output directory.
  const buildDir = path.join(request.outDir, `build-${plan.release}`);
  const dirs: KernelBuildDirs = {
    sourceDir: request.sourceDir,
    buildDir,
    rpmTopDir: path.join(buildDir, 'kmodforge-rpmbuild'),
    mkspecWrapper: path.join(buildDir, 'kmodforge-mkspec'),
  };
  const develRoot = path.join(buildDir, 'kmodforge-devel');
  return {
    plan,
    dirs,
    log: path.join(request.outDir, `mkkernel-${plan.release}-${request.format}.log`),
    develRoot,
    develTree: path.join(develRoot, planDevelDir(plan.release)),
    configure: planConfigure(dirs, request.configFile !== undefined),
    releaseQuery: planKernelReleaseQuery(dirs, plan),
    build: planKernelBuild(dirs, plan, request.format, request.jobs),
    stage: {
      step: 'stage the module build tree',
      file: 'sh',
      args: [
        '-c',
        planDevelStageScript(),
        'stage',
        request.sourceDir,
        buildDir,
        develRoot,
        planSrcArch(request.machine),
        plan.release,
        planDevelDir(plan.release),
      ],
    },
    packages: planKernelPackageFiles(request.format, plan, request.machine, request.outDir),
  };
}

/** Throws unless a kernel config enables modules, which every package of a kernel build is for. */
function checkConfigModules(config: ReadonlyMap<string, string>, configFile: string | undefined): void {
  if (config.get('CONFIG_MODULES') !== 'y')
    throw new KmodError(
      'CONFIG_INVALID',
      `${configFile ?? 'the defconfig'} does not enable CONFIG_MODULES: no module could be built for this kernel`,
      { hint: 'Set CONFIG_MODULES=y ("Enable loadable module support" in make menuconfig).' },
    );
}

/**
 * Checks, before anything is configured, that the config a build starts from enables modules: the given
 * one, or the architecture's defconfig when it is where planDefconfigFiles looks (else the check after
 * configuring is the only one). CONFIG_MODULES has no default, so olddefconfig leaves it as the file has it.
 */
export async function requireStartingConfigModules(request: KernelBuildPlanRequest): Promise<void> {
  const files =
    request.configFile === undefined
      ? planDefconfigFiles(request.machine).map((f) => path.join(request.sourceDir, f))
      : [request.configFile];
  for (const file of files) {
    const text = await readOptional(file);
    if (text === undefined) {
      if (request.configFile !== undefined)
        throw new KmodError('USAGE', `--config ${request.configFile}: no such file`);
      continue;
    }
    checkConfigModules(parseKernelConfig(text), request.configFile);
    return;
  }
}

/**
 * Builds a kernel beside its source tree and packages it with the kernel's own target (binrpm-pkg or
 * bindeb-pkg) under the seed's release scheme, plus, for rpm, a kernel-devel package made here. Every
 * command's output goes to the log; each step is an event.
 */
export async function runKernelBuild(request: KernelBuildRequest): Promise<KernelBuildResult> {
  const setup = await readKernelBuildSetup(request);
  await requireStartingConfigModules(request);
  const { plan, dirs, log } = setup;
  await makeDirs(dirs.buildDir);
  await writeFile(log, '');
  const run = async (command: KernelCommand): Promise<string> => {
    request.emit({ type: 'kernel-step', release: plan.release, step: command.step, log });
    await writeFile(log, `$ ${quoteCommand([command.file, ...command.args])}\n`, { flag: 'a' });
    const result = await runOrThrow(command.file, command.args, {
      env: baseEnv({ DEBEMAIL: request.packager }),
      logFile: log,
      timeoutMs: kernelBuildTimeoutMs,
    });
    return result.stdout;
  };

  if (request.configFile !== undefined)
    await copyFile(request.configFile, path.join(dirs.buildDir, '.config'));
  for (const command of setup.configure) await run(command);
  checkConfigModules(
    parseKernelConfig(await readFile(path.join(dirs.buildDir, '.config'), 'utf8')),
    request.configFile,
  );
  const actual = (await run(setup.releaseQuery)).trim().split('\n').at(-1);
  if (actual !== plan.release)
    throw new KmodError(
      'CONFIG_INVALID',
      `the kernel would be released as "${actual ?? ''}", not ${plan.release}`,
      {
        hint: `A localversion* file in ${request.sourceDir} adds to the release; remove it.`,
      },
    );

  await writeFile(dirs.mkspecWrapper, planMkspecWrapper(request.sourceDir, plan));
  await chmod(dirs.mkspecWrapper, 0o755);
  await rm(dirs.rpmTopDir, { recursive: true, force: true });
  for (const command of setup.build) await run(command);

  await rm(setup.develRoot, { recursive: true, force: true });
  await run(setup.stage);
  if (request.format === 'rpm') await collectRpms(request, setup);
  for (const p of setup.packages)
    if (!(await exists(p.file))) throw new KmodError('COMMAND_FAILED', `the kernel build made no ${p.file}`);
  return { plan, buildDir: dirs.buildDir, develTree: setup.develTree, log, packages: setup.packages };
}

/** Moves binrpm-pkg's packages out of its _topdir, and makes the kernel-devel package beside them. */
async function collectRpms(request: KernelBuildRequest, setup: KernelBuildSetup): Promise<void> {
  const { plan, dirs, log } = setup;
  const arch = machineToRpmArch(request.machine);
  const built = path.join(dirs.rpmTopDir, 'RPMS', arch);
  for (const p of setup.packages) {
    if (p.role === 'devel') continue;
    const file = path.basename(p.file);
    if (!(await listDir(built)).includes(file))
      throw new KmodError('COMMAND_FAILED', `binrpm-pkg made no ${file} in ${built}`);
    await rename(path.join(built, file), p.file);
  }
  request.emit({ type: 'kernel-step', release: plan.release, step: 'kernel-devel', log });
  await runRpmbuild({
    spec: planDevelSpec(plan, request.packager),
    stageDir: setup.develRoot,
    outDir: request.outDir,
    arch,
    sourceDateEpoch: Math.floor(Date.now() / 1000),
  });
}
