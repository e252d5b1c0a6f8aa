import path from 'node:path';
import type { DirectiveOverride } from '../conf/eval-script.ts';
import type { Userland } from '../conf/module-conf.ts';
import { readModuleConf } from '../conf/read.ts';
import { readContextKernel, type Context } from '../context.ts';

import type { KernelTarget } from '../kernel/target.ts';
import { planRpmIdentity, planRpmMeta, type RpmStyle } from '../package/naming.ts';

import { readRegisteredConf, requireAdded } from '../state/registered.ts';

import { describeBuildDecision, planEnsureBuilt, prepareBuild } from './build.ts';

import { describeAddPlan, readAddPlan, type AddPlan } from './add.ts';
import type { CommandPlan } from './command-plan.ts';
import { requireModuleVersion, type ModuleSpec } from './module-arg.ts';
import { readSpecToAdd } from './module-target.ts';

import {
  checkRpmOptions,
  planNewestPerFlavor,
  planOutDir,
  planPackageInput,
  type PackageOptions,
} from './mkrpm.ts';

/** What a packaging command is asked to package, as its dry run reads it: the module may still need adding. */
export interface PackageRequest {
  /** The command, for messages ("mkrpm"). */
  action: string;
  spec: ModuleSpec | undefined;
  targets: readonly KernelTarget[];
  directives: readonly DirectiveOverride[];
  /** As for install: skips the BUILD_DEPENDS check, rebuilds nothing. */
  force: boolean;
}

/** What a packaging command does before it packages, read with nothing written. */
export interface PackageBuilds {
  module: string;
  version: string;
  /** The add it needs first, then each kernel's build, or why it has none. */
  steps: string[];
  /** The kernels that get packages: built already, or built by the command. */
  packaged: KernelTarget[];
  /** The userland of the first packaged kernel's dkms.conf, which the packages carry. */
  userland: Userland | undefined;
}

/**
 * The module a packaging command works on and, when it names a source tree (or a source in
 * <sourceTree>/M-V not added yet), the add that withModule makes first. Writes nothing.
 */
async function readModuleToPackage(
  ctx: Context,
  request: PackageRequest,
): Promise<{ module: string; version: string; add: AddPlan | undefined }> {
  const { spec } = request;
  const target = request.targets[0] ?? { release: ctx.runningKernel, arch: ctx.hostArch };
  const readAdd = async (s: ModuleSpec): Promise<{ module: string; version: string; add: AddPlan }> => {
    const add = await readAddPlan(ctx, s, { target, directives: request.directives });
    return { module: add.module, version: add.version, add };
  };
  const toAdd = await readSpecToAdd(ctx, spec);
  if (toAdd !== undefined) return readAdd(toAdd);
  const { module, version } = requireModuleVersion(spec, request.action);
  return { module, version, add: undefined };
}

/**
 * The build a packaging command needs for one kernel, as ensureBuilt would decide it (--force skips the
 * BUILD_DEPENDS check and rebuilds nothing): its step, and whether the kernel gets packages.
 */
async function readPackageBuild(
  ctx: Context,
  request: PackageRequest & { module: string; version: string },
  target: KernelTarget,
): Promise<{ step: string; packaged: boolean }> {
  const where = `${request.module}/${request.version} for ${target.release} (${target.arch})`;
  const decided = await prepareBuild(
    ctx,
    planEnsureBuilt({ ...request, target }),
    { jobs: ctx.jobs, server: undefined },
    {
      dryRun: true,
    },
  );
  const step = describeBuildDecision(where, decided);
  if (step === undefined) return { step: `${where} is already built`, packaged: true };
  return { step, packaged: 'plan' in decided };
}

/**
 * What a packaging command does before it packages, with nothing built or written: the add it needs, then
 * per kernel the build still needed (or why there is none), and which kernels get packages. A module still
 * to be added cannot have its builds planned in detail, so each kernel is listed with its build.
 */
export async function readPackageBuilds(ctx: Context, request: PackageRequest): Promise<PackageBuilds> {
  const { module, version, add } = await readModuleToPackage(ctx, request);
  if (add !== undefined && !add.alreadyAdded) {
    const [first] = request.targets;
    const conf =
      first === undefined
        ? undefined
        : await readModuleConf({
            confPath: path.join(add.copyFrom ?? add.sourceDir, 'dkms.conf'),
            paths: ctx.paths,
            kernel: await readContextKernel(ctx, first.release),
            arch: first.arch,
            distro: ctx.distro,
            runningKernel: ctx.runningKernel,
            module: { name: module, version },
            directives: request.directives,
          });
    return {
      module,
      version,
      steps: [
        ...describeAddPlan(ctx, add),
        ...request.targets.map((t) => `build ${module}/${version} for ${t.release} (${t.arch})`),
      ],
      packaged: [...request.targets],
      userland: conf?.userland,
    };
  }
  await requireAdded(ctx, module, version);
  const steps: string[] = [];
  const packaged: KernelTarget[] = [];
  for (const target of request.targets) {
    const build = await readPackageBuild(ctx, { ...request, module, version }, target);
    steps.push(build.step);
    if (build.packaged) packaged.push(target);
  }
  const [firstPackaged] = packaged;
  const userland =
    firstPackaged === undefined
      ? undefined
      : (
          await readRegisteredConf(ctx, module, version, firstPackaged, {
            directives: request.directives,
          })
        ).conf.userland;
  return { module, version, steps, packaged, userland };
}

/** The userland step of a packaging plan: USERLAND_BUILD, run once for every package. Pure. */
export function describeUserland(module: string, version: string, userland: Userland | undefined): string[] {
  if (userland === undefined) return [];
  const files = userland.files.map((f) => f.dest).join(' ');
  return [
    userland.build === undefined
      ? `take the userland of ${module}/${version} from its source: ${files}`
      : `build the userland of ${module}/${version} (${userland.build}): ${files}`,
  ];
}

/**
 * What mkrpm would do, with nothing built or written: the builds still needed, the userland build, then
 * every package file it would write (each kernel's, then the kmod style's meta packages), and the signing.
 */
export async function readMkrpmPlan(
  ctx: Context,
  request: PackageRequest &
    Pick<PackageOptions, 'release' | 'outDir'> & { style: RpmStyle; gpgKey: string | undefined },
): Promise<CommandPlan> {
  checkRpmOptions(request);
  const builds = await readPackageBuilds(ctx, request);
  const { module, version } = builds;
  const outDir = planOutDir(ctx, { ...request, module, version }, 'rpm');
  // The file names depend on the kernel, the style and the release, not on the modules or the license.
  const kernels = builds.packaged.map((target) => ({
    target,
    input: planPackageInput({ ...request, module, version }, target, ctx.config.flavorRules, []),
  }));
  const identities = [
    ...kernels.map((k) => planRpmIdentity(request.style, k.input)),
    ...(request.style === 'kmod' ? planNewestPerFlavor(kernels).map((k) => planRpmMeta(k.input)) : []),
  ];
  return {
    command: `mkrpm ${module}/${version}`,
    steps: [
      ...builds.steps,
      ...describeUserland(module, version, builds.userland),
      ...identities.map((identity) => `write ${path.join(outDir, identity.fileName)}`),
      ...(request.gpgKey === undefined || identities.length === 0
        ? []
        : [`sign them with the GPG key ${request.gpgKey} (rpmsign)`]),
    ],
    ops: [],
    depmod: [],
  };
}
