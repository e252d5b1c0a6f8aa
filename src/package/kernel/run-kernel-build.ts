import { chmod, copyFile, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { KmodEvent } from '../../context.ts';
import { KmodError } from '../../errors.ts';
import { quoteCommand } from '../../exec/quote.ts';
import { baseEnv, runOrThrow } from '../../exec/run.ts';
import { isOnPath } from '../../exec/which.ts';
import { parseKernelConfig } from '../../kernel/kconfig.ts';
import { machineToDebianArch, machineToRpmArch } from '../../kernel/release.ts';
import { exists, listDir, makeDirs, readOptional } from '../../state/fs.ts';
import { runRpmbuild } from '../rpm/rpmbuild.ts';
import { planDevelDir, planDevelSpec, planDevelStageScript } from './devel-plan.ts';
import {
  buildPathProblem,
  planConfigure,
  planKernelBuild,
  planKernelReleaseQuery,
  planMkspecWrapper,
  planSrcArch,
  type KernelBuildDirs,
  type KernelCommand,
} from './make-plan.ts';
import {
  parseKernelMakefileVersion,
  planKernelPackageNames,
  planKernelRelease,
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

export interface KernelPackage {
  role: 'image' | 'devel' | 'user-headers';
  name: string;
  file: string;
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

/**
 * Builds a kernel beside its source tree and packages it with the kernel's own target (binrpm-pkg or
 * bindeb-pkg) under the seed's release scheme, plus, for rpm, a kernel-devel package made here. Every
 * command's output goes to the log; each step is an event.
 */
export async function runKernelBuild(request: KernelBuildRequest): Promise<KernelBuildResult> {
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
  await makeDirs(buildDir);
  const log = path.join(request.outDir, `mkkernel-${plan.release}-${request.format}.log`);
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

  if (request.configFile !== undefined) await copyFile(request.configFile, path.join(buildDir, '.config'));
  for (const command of planConfigure(dirs, request.configFile !== undefined)) await run(command);
  const config = parseKernelConfig(await readFile(path.join(buildDir, '.config'), 'utf8'));
  if (config.get('CONFIG_MODULES') !== 'y')
    throw new KmodError(
      'CONFIG_INVALID',
      `${request.configFile ?? 'the defconfig'} does not enable CONFIG_MODULES: no module could be built for this kernel`,
      { hint: 'Set CONFIG_MODULES=y ("Enable loadable module support" in make menuconfig).' },
    );
  const actual = (await run(planKernelReleaseQuery(dirs, plan))).trim().split('\n').at(-1);
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
  for (const command of planKernelBuild(dirs, plan, request.format, request.jobs)) await run(command);

  const develRoot = path.join(buildDir, 'kmodforge-devel');
  await rm(develRoot, { recursive: true, force: true });
  await run({
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
  });
  const develTree = path.join(develRoot, planDevelDir(plan.release));
  const packages =
    request.format === 'rpm'
      ? await collectRpms(request, dirs, plan, develRoot, log)
      : await collectDebs(request, plan);
  return { plan, buildDir, develTree, log, packages };
}

async function collectRpms(
  request: KernelBuildRequest,
  dirs: KernelBuildDirs,
  plan: KernelReleasePlan,
  develRoot: string,
  log: string,
): Promise<KernelPackage[]> {
  const names = planKernelPackageNames('rpm', plan);
  const arch = machineToRpmArch(request.machine);
  const built = path.join(dirs.rpmTopDir, 'RPMS', arch);
  const packages: KernelPackage[] = [];
  for (const [role, name] of [
    ['image', names.image],
    ['user-headers', names.userHeaders],
  ] as const) {
    const file = `${name}-${plan.rpmVersion}-${plan.rpmRelease}.${arch}.rpm`;
    if (!(await listDir(built)).includes(file))
      throw new KmodError('COMMAND_FAILED', `binrpm-pkg made no ${file} in ${built}`);
    await rename(path.join(built, file), path.join(request.outDir, file));
    packages.push({ role, name, file: path.join(request.outDir, file) });
  }
  request.emit({ type: 'kernel-step', release: plan.release, step: 'kernel-devel', log });
  const devel = await runRpmbuild({
    spec: planDevelSpec(plan, request.packager),
    stageDir: develRoot,
    outDir: request.outDir,
    arch,
    sourceDateEpoch: Math.floor(Date.now() / 1000),
  });
  packages.push({ role: 'devel', name: names.devel, file: devel });
  return packages;
}

async function collectDebs(request: KernelBuildRequest, plan: KernelReleasePlan): Promise<KernelPackage[]> {
  const names = planKernelPackageNames('deb', plan);
  const arch = machineToDebianArch(request.machine);
  const packages: KernelPackage[] = [];
  for (const [role, name] of [
    ['image', names.image],
    ['devel', names.devel],
    ['user-headers', names.userHeaders],
  ] as const) {
    const file = path.join(request.outDir, `${name}_${plan.debVersion}_${arch}.deb`);
    if (!(await exists(file))) throw new KmodError('COMMAND_FAILED', `bindeb-pkg made no ${file}`);
    packages.push({ role, name, file });
  }
  return packages;
}
