import path from 'node:path';
import { KmodError } from '../../errors.ts';
import { machineToDebianArch, machineToRpmArch } from '../../kernel/release.ts';

export type KernelPackageFormat = 'rpm' | 'deb';

export const kernelPackageFormats: readonly KernelPackageFormat[] = ['rpm', 'deb'];

/**
 * The version a kernel source tree's Makefile declares (`VERSION = 6`, `PATCHLEVEL = 1`, `SUBLEVEL = 192`,
 * `EXTRAVERSION =`), as `make kernelversion` prints it; undefined when the Makefile is not a kernel's. Pure.
 */
export function parseKernelMakefileVersion(text: string): string | undefined {
  const value = (name: string): string | undefined =>
    new RegExp(`^${name}\\s*=[ \\t]*(\\S*)[ \\t]*$`, 'm').exec(text)?.[1];
  const version = value('VERSION');
  const patchlevel = value('PATCHLEVEL');
  const sublevel = value('SUBLEVEL');
  if (
    version === undefined ||
    patchlevel === undefined ||
    !/^\d+$/.test(version) ||
    !/^\d+$/.test(patchlevel)
  )
    return undefined;
  const sub = sublevel === undefined || sublevel === '' ? '' : `.${sublevel}`;
  return `${version}.${patchlevel}${sub}${value('EXTRAVERSION') ?? ''}`;
}

/**
 * Checks a flavor. It ends the kernel release right after the release number (`6.1.192-1host108`), so it
 * begins with a letter (a digit would read as part of the number); it is part of a Debian package name
 * (`linux-image-<release>`), so lowercase letters and digits only.
 */
export function checkFlavor(flavor: string): string {
  if (!/^[a-z][a-z0-9]*$/.test(flavor) || flavor.length > 32)
    throw new KmodError(
      'USAGE',
      `--flavor "${flavor}": expected lowercase letters and digits, beginning with a letter`,
      {
        hint: 'The flavor ends the kernel release as the Red Hat scheme has it: smp, bigmem, host108.',
      },
    );
  return flavor;
}

/** Checks --release: the number before the flavor in the kernel release. */
export function checkKernelPackageRelease(release: string): string {
  if (!/^[1-9]\d{0,8}$/.test(release))
    throw new KmodError('USAGE', `--release "${release}": expected a number from 1`);
  return release;
}

/** How a custom kernel is named everywhere: its release, and the version and release of its packages. */
export interface KernelReleasePlan {
  /** `make kernelversion`: 6.1.192. */
  kernelVersion: string;
  /** What `uname -r` will say: `<version>-<release><flavor>`, 6.1.192-1host108. */
  release: string;
  flavor: string;
  /** LOCALVERSION given to make: what the release adds to the kernel version. */
  localVersion: string;
  /** The RPM Version tag: the kernel version, "-" being rpm's separator (6.1.0-rc1 → 6.1.0_rc1). */
  rpmVersion: string;
  /** The RPM Release tag: `<release><flavor>`, as in kernel-2.4.18-14host108. */
  rpmRelease: string;
  /** The .deb version: `<version>-<release><flavor>`, the Debian revision being the rpm release. */
  debVersion: string;
}

/** The seed's Red Hat scheme on any kernel version: `<version>-<release><flavor>`. Pure. */
export function planKernelRelease(kernelVersion: string, release: string, flavor: string): KernelReleasePlan {
  const suffix = `${release}${flavor}`;
  return {
    kernelVersion,
    release: `${kernelVersion}-${suffix}`,
    flavor,
    localVersion: `-${suffix}`,
    rpmVersion: kernelVersion.replaceAll('-', '_'),
    rpmRelease: suffix,
    debVersion: `${kernelVersion.replaceAll('-', '~')}-${suffix}`,
  };
}

/** The packages one format makes of a kernel, by their role. Pure. */
export function planKernelPackageNames(
  format: KernelPackageFormat,
  plan: KernelReleasePlan,
): { image: string; devel: string; userHeaders: string } {
  return format === 'rpm'
    ? { image: 'kernel', devel: 'kernel-devel', userHeaders: 'kernel-headers' }
    : {
        image: `linux-image-${plan.release}`,
        devel: `linux-headers-${plan.release}`,
        userHeaders: 'linux-libc-dev',
      };
}

/** One package of a kernel build: its role, its name, and the file it is written to. */
export interface KernelPackage {
  role: 'image' | 'devel' | 'user-headers';
  name: string;
  file: string;
}

/**
 * The package files a kernel build writes into outDir, as binrpm-pkg and rpmbuild or bindeb-pkg name them
 * for a machine (`uname -m`): image, then user headers and devel for rpm, devel then user headers for deb.
 * Pure.
 */
export function planKernelPackageFiles(
  format: KernelPackageFormat,
  plan: KernelReleasePlan,
  machine: string,
  outDir: string,
): KernelPackage[] {
  const names = planKernelPackageNames(format, plan);
  const roles =
    format === 'rpm'
      ? ([
          ['image', names.image],
          ['user-headers', names.userHeaders],
          ['devel', names.devel],
        ] as const)
      : ([
          ['image', names.image],
          ['devel', names.devel],
          ['user-headers', names.userHeaders],
        ] as const);
  return roles.map(([role, name]) => ({
    role,
    name,
    file: path.join(
      outDir,
      format === 'rpm'
        ? `${name}-${plan.rpmVersion}-${plan.rpmRelease}.${machineToRpmArch(machine)}.rpm`
        : `${name}_${plan.debVersion}_${machineToDebianArch(machine)}.deb`,
    ),
  }));
}

/** The format the system's own kernels come in: deb on Debian and its kin, else rpm. Pure. */
export function planDefaultKernelFormat(distroId: string): KernelPackageFormat {
  return ['debian', 'ubuntu'].includes(distroId) ? 'deb' : 'rpm';
}
