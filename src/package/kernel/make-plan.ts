import path from 'node:path';
import type { KernelPackageFormat, KernelReleasePlan } from './release-plan.ts';

/** One command of a kernel build: argv, and the step the progress names it by. */
export interface KernelCommand {
  step: string;
  file: string;
  args: string[];
}

/** Where a kernel is built and packaged from. */
export interface KernelBuildDirs {
  /** The kernel source tree, left as it is: the build happens beside it (O=). */
  sourceDir: string;
  /** The build tree (O=). The kernel's bindeb-pkg writes its packages into its parent. */
  buildDir: string;
  /** rpmbuild's _topdir for binrpm-pkg. */
  rpmTopDir: string;
  /** The wrapper of the kernel's mkspec that binrpm-pkg runs instead (planMkspecWrapper). */
  mkspecWrapper: string;
}

/**
 * The config options kmodforge sets whatever the config says, so that the release is exactly
 * `<version><LOCALVERSION>`: no CONFIG_LOCALVERSION before the flavor, no git revision after it.
 */
export function planLocalVersionConfig(sourceDir: string, buildDir: string): KernelCommand {
  return {
    step: 'configure',
    file: path.join(sourceDir, 'scripts/config'),
    args: [
      '--file',
      path.join(buildDir, '.config'),
      '--set-str',
      'LOCALVERSION',
      '',
      '--disable',
      'LOCALVERSION_AUTO',
    ],
  };
}

function make(dirs: KernelBuildDirs, args: readonly string[]): string[] {
  return ['-C', dirs.sourceDir, `O=${dirs.buildDir}`, ...args];
}

/** `make defconfig` when no config is given; `make olddefconfig` fills in what a given one lacks. Pure. */
export function planConfigure(dirs: KernelBuildDirs, hasConfig: boolean): KernelCommand[] {
  return [
    ...(hasConfig ? [] : [{ step: 'configure', file: 'make', args: make(dirs, ['defconfig']) }]),
    planLocalVersionConfig(dirs.sourceDir, dirs.buildDir),
    { step: 'configure', file: 'make', args: make(dirs, ['olddefconfig']) },
  ];
}

/** The variables every make of the build gets, so that each agrees on the release and the build version. */
function releaseVars(plan: KernelReleasePlan): string[] {
  // KBUILD_BUILD_VERSION is the #N of `uname -v`; bindeb-pkg sets it to the Debian revision, and with the
  // same value here both formats link the same vmlinux from one build tree.
  return [`LOCALVERSION=${plan.localVersion}`, `KBUILD_BUILD_VERSION=${plan.rpmRelease}`];
}

/** `make -s kernelrelease`: the release the build will have, checked against the plan's. Pure. */
export function planKernelReleaseQuery(dirs: KernelBuildDirs, plan: KernelReleasePlan): KernelCommand {
  return { step: 'configure', file: 'make', args: make(dirs, ['-s', ...releaseVars(plan), 'kernelrelease']) };
}

/** The compile, then the kernel's own packaging target. Pure. */
export function planKernelBuild(
  dirs: KernelBuildDirs,
  plan: KernelReleasePlan,
  format: KernelPackageFormat,
  jobs: number,
): KernelCommand[] {
  const common = [`-j${Math.max(1, jobs)}`, ...releaseVars(plan)];
  const packaging =
    format === 'rpm'
      ? [
          `MKSPEC=${dirs.mkspecWrapper}`,
          // A make variable that binrpm-pkg's recipe passes to rpmbuild through the shell, hence the quotes
          // (checkBuildPath keeps quotes and "$" out of the path).
          `RPMOPTS=--define '_topdir ${dirs.rpmTopDir}'`,
          'binrpm-pkg',
        ]
      : [
          `KDEB_PKGVERSION=${plan.debVersion}`,
          // mkdebian asks lsb_release otherwise, and warns where it is missing.
          'KDEB_CHANGELOG_DIST=unstable',
          'bindeb-pkg',
        ];
  return [
    { step: 'compile', file: 'make', args: make(dirs, common) },
    {
      step: format === 'rpm' ? 'binrpm-pkg' : 'bindeb-pkg',
      file: 'make',
      args: make(dirs, [...common, ...packaging]),
    },
  ];
}

/**
 * The mkspec that binrpm-pkg runs instead of the kernel's (make's MKSPEC): the kernel's own spec, with the
 * Version and Release of the seed's scheme (kernel-6.1.192-1host108) where mkspec would put the whole
 * release in Version and the build count in Release. The values are plain (checked by planKernelRelease's
 * callers), so they go into sed as they are. Pure.
 */
export function planMkspecWrapper(sourceDir: string, plan: KernelReleasePlan): string {
  return [
    '#!/bin/sh',
    'set -e',
    `spec=$(${shellQuote(path.join(sourceDir, 'scripts/package/mkspec'))} "$@")`,
    `printf '%s\\n' "$spec" | sed -e 's/^Version: .*/Version: ${plan.rpmVersion}/' -e 's/^Release: .*/Release: ${plan.rpmRelease}/'`,
    '',
  ].join('\n');
}

function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** Why a path cannot hold a kernel build, or undefined: kbuild breaks on spaces, RPMOPTS on quotes. Pure. */
export function buildPathProblem(dir: string): string | undefined {
  return /^[A-Za-z0-9_./+,@:=-]+$/.test(dir)
    ? undefined
    : 'the kernel build cannot work in a path with spaces, quotes or other shell characters';
}

/** The kernel's SRCARCH (arch/<dir>) for a `uname -m`, as its top Makefile maps it. Pure. */
export function planSrcArch(machine: string): string {
  if (/^(x86_64|i[3-6]86)$/.test(machine)) return 'x86';
  if (machine === 'aarch64') return 'arm64';
  if (/^armv?\d/.test(machine)) return 'arm';
  if (/^ppc/.test(machine)) return 'powerpc';
  if (/^riscv/.test(machine)) return 'riscv';
  if (/^s390/.test(machine)) return 's390';
  return machine;
}

/**
 * Where `make defconfig` finds the architecture's defconfig for a `uname -m`, in the order kmodforge tries
 * them: x86 names it after the machine (x86_64_defconfig), the others mostly just defconfig. Pure.
 */
export function planDefconfigFiles(machine: string): string[] {
  const configs = `arch/${planSrcArch(machine)}/configs`;
  return [`${configs}/${machine}_defconfig`, `${configs}/defconfig`];
}
