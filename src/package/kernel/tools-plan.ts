import { KmodError } from '../../errors.ts';
import type { KernelPackageFormat } from './release-plan.ts';

/** Something a kernel build needs: a program on PATH, or a header a host program includes. */
export interface BuildTool {
  kind: 'program' | 'header';
  /** The program's name, or the header's path. */
  name: string;
  /** The Debian package that provides it. */
  debianPackage: string;
}

const program = (name: string, debianPackage: string): BuildTool => ({
  kind: 'program',
  name,
  debianPackage,
});
const header = (name: string, debianPackage: string): BuildTool => ({ kind: 'header', name, debianPackage });

/**
 * What building and packaging a kernel needs: the Build-Depends that the kernel's own mkdebian writes, the
 * headers of objtool (libelf) and of sign-file and extract-cert (openssl), and each format's packager.
 * Pure.
 */
export function planBuildTools(format: KernelPackageFormat): BuildTool[] {
  return [
    program('make', 'make'),
    program('gcc', 'gcc'),
    program('bc', 'bc'),
    program('flex', 'flex'),
    program('bison', 'bison'),
    program('perl', 'perl'),
    program('rsync', 'rsync'),
    program('cpio', 'cpio'),
    program('depmod', 'kmod'),
    header('/usr/include/gelf.h', 'libelf-dev'),
    header('/usr/include/openssl/opensslv.h', 'libssl-dev'),
    ...(format === 'rpm'
      ? [program('rpmbuild', 'rpm')]
      : [program('dpkg-buildpackage', 'dpkg-dev'), program('fakeroot', 'fakeroot')]),
  ];
}

/** Throws the error that names what is missing and the Debian packages that provide it. Pure. */
export function checkBuildTools(missing: readonly BuildTool[]): void {
  if (missing.length === 0) return;
  const packages = [...new Set(missing.map((t) => t.debianPackage))];
  throw new KmodError(
    'MISSING_DEPENDS',
    `building the kernel needs ${missing.map((t) => t.name).join(', ')}, which ${missing.length === 1 ? 'is' : 'are'} not installed`,
    { hint: `on Debian: apt-get install ${packages.join(' ')}` },
  );
}
