import type { KernelRelease } from '../kernel/release.ts';
import { machineToDebianArch, machineToRpmArch } from '../kernel/release.ts';

export type RpmStyle = 'kmod' | 'kmp' | 'legacy';

export const rpmStyles: readonly RpmStyle[] = ['kmod', 'kmp', 'legacy'];

/** The name, version, release and relations of one binary RPM, before anything is built. */
export interface RpmIdentity {
  name: string;
  version: string;
  release: string;
  arch: string;
  /** Extra preamble relations: "Requires: …", "Provides: …". */
  relations: string[];
  fileName: string;
}

/** The flavors of the 2004 Red Hat scheme; any other suffix of a legacy release is a custom target board. */
const legacyFlavors = new Set([
  'smp',
  'bigmem',
  'hugemem',
  'BOOT',
  'enterprise',
  'summit',
  'xen',
  'xenU',
  'xen0',
  'PAE',
  'debug',
  'kdump',
  'largesmp',
  'psmp',
  'uml',
]);

/** rpm Version and Release may not contain "-"; dkms versions sometimes do. */
export function rpmSafe(value: string): string {
  return value.replaceAll('-', '_');
}

export interface PackageInput {
  /** PACKAGE_NAME. */
  name: string;
  /** PACKAGE_VERSION. */
  version: string;
  /** Package release (rpm Release, deb revision). */
  release: string;
  kernel: KernelRelease;
  /** The machine arch the modules are built for (uname -m). */
  arch: string;
  /** The module files' base names without suffix (hello for hello.ko.xz). */
  modules: readonly string[];
}

/**
 * The exact-kernel requirement: kernel packages of rpm distros provide `kernel-uname-r = <release>`.
 * rpm splits a release with several "-" (Debian's 6.1.0-56-amd64) at the last one, on both sides alike,
 * once `_wrong_version_format_terminate_build` lets it (see rpmbuild.ts and the source spec).
 */
export function planKernelRequirement(kernel: KernelRelease): string {
  return `Requires: kernel-uname-r = ${kernel.release}`;
}

/** kmod(<module>.ko) for each module, as RHEL and Fedora kmod packages provide them. */
function kmodProvides(input: PackageInput, evr: string): string[] {
  return input.modules.map((m) => `Provides: kmod(${m}.ko) = ${evr}`);
}

/**
 * The binary RPM for one kernel, in one of three naming styles:
 * - kmod (RPM Fusion/RHEL): `kmod-<name>-<kernel release>`, so packages for several kernels of a flavor
 *   install side by side; a per-flavor meta package follows the newest (see {@link planRpmMeta}).
 * - kmp (SUSE): `<name>-kmp-<flavor>`, the kernel release in the version, installable side by side
 *   through `multiversion(kernel)`.
 * - legacy (2004 Red Hat): `kernel-module-<name>[-<flavor>]-<ver>-<rel>[<targetboard>]`: the flavor in the
 *   name and a custom target board in the release. Its limit: the name does not carry the kernel version,
 *   so only one kernel per flavor can have the package installed at a time.
 */
export function planRpmIdentity(style: RpmStyle, input: PackageInput): RpmIdentity {
  const arch = machineToRpmArch(input.arch);
  const version = rpmSafe(input.version);
  const release = rpmSafe(input.release);
  const flavor = input.kernel.flavor;
  let name: string;
  let identity: Omit<RpmIdentity, 'fileName'>;
  switch (style) {
    case 'kmod':
      name = `kmod-${input.name}-${input.kernel.release}`;
      identity = {
        name,
        version,
        release,
        arch,
        relations: [
          planKernelRequirement(input.kernel),
          ...kmodProvides(input, `${version}-${release}`),
          `Provides: ${input.name}-kmod = ${version}-${release}`,
        ],
      };
      break;
    case 'kmp': {
      const kmpFlavor = flavor === '' ? 'default' : flavor;
      name = `${input.name}-kmp-${kmpFlavor}`;
      const kmpVersion = `${version}_k${rpmSafe(input.kernel.release)}`;
      identity = {
        name,
        version: kmpVersion,
        release,
        arch,
        relations: [
          planKernelRequirement(input.kernel),
          ...kmodProvides(input, `${kmpVersion}-${release}`),
          'Provides: multiversion(kernel)',
          `Provides: ${name}-k${rpmSafe(input.kernel.release)} = ${kmpVersion}-${release}`,
          `Enhances: kernel-${kmpFlavor}`,
        ],
      };
      break;
    }
    case 'legacy': {
      const targetBoard =
        flavor !== '' &&
        !legacyFlavors.has(flavor) &&
        ['redhat-legacy', 'custom', 'unknown'].includes(input.kernel.family);
      name = `kernel-module-${input.name}${flavor === '' || targetBoard ? '' : `-${flavor}`}`;
      const legacyRelease = `${release}${targetBoard ? rpmSafe(flavor) : ''}`;
      identity = {
        name,
        version,
        release: legacyRelease,
        arch,
        relations: [
          planKernelRequirement(input.kernel),
          ...kmodProvides(input, `${version}-${legacyRelease}`),
        ],
      };
      break;
    }
  }
  return {
    ...identity,
    fileName: `${identity.name}-${identity.version}-${identity.release}.${identity.arch}.rpm`,
  };
}

/**
 * The kmod style's per-flavor meta package, `kmod-<name>[-<flavor>]`, which requires the package of the
 * newest kernel of that flavor, so that updating it follows the kernel.
 */
export function planRpmMeta(input: PackageInput): RpmIdentity {
  const kernelPackage = planRpmIdentity('kmod', input);
  const name = `kmod-${input.name}${input.kernel.flavor === '' ? '' : `-${input.kernel.flavor}`}`;
  // It holds no files, only a dependency, so it is noarch (rpmlint: no-binary otherwise).
  const identity = {
    name,
    version: kernelPackage.version,
    release: kernelPackage.release,
    arch: 'noarch',
    relations: [
      `Requires: ${kernelPackage.name} = ${kernelPackage.version}-${kernelPackage.release}`,
      `Provides: ${input.name}-kmod-meta = ${kernelPackage.version}-${kernelPackage.release}`,
    ],
  };
  return { ...identity, fileName: `${name}-${identity.version}-${identity.release}.${identity.arch}.rpm` };
}

/**
 * The userland subpackage of a rebuilt source RPM (USERLAND_BUILD, USERLAND_FILE):
 * `<name>-kmod-common`, the name RPM Fusion's kmod packages require for the files of their module that are
 * not kernel modules. Each kernel's package requires it, as each Debian modules package depends on
 * `<name>-common`.
 */
export function planRpmUserlandName(name: string): string {
  return `${name}-kmod-common`;
}

/** A Debian package name: lower case, digits, + - . only, starting alphanumeric. */
export function debSafe(value: string): string {
  return value.toLowerCase().replace(/[^a-z0-9.+-]/g, '-');
}

export interface DebIdentity {
  package: string;
  version: string;
  arch: string;
  depends: string[];
  fileName: string;
}

/** `<name>-modules-<kernel release>_<ver>-<rev>_<arch>.deb`, depending on the kernel's image package. */
export function planDebIdentity(input: PackageInput): DebIdentity {
  const pkg = debSafe(`${input.name}-modules-${input.kernel.release}`);
  const version = `${input.version}-${input.release}`;
  const arch = machineToDebianArch(input.arch);
  return {
    package: pkg,
    version,
    arch,
    depends: [`linux-image-${input.kernel.release}`],
    fileName: `${pkg}_${version}_${arch}.deb`,
  };
}
