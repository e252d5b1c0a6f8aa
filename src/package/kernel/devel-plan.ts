import type { KernelReleasePlan } from './release-plan.ts';

/** Where the module build tree of a kernel goes on an RPM system, as Fedora's kernel-devel has it. */
export function planDevelDir(release: string): string {
  return `/usr/src/kernels/${release}`;
}

/**
 * The shell script that stages the module build tree: the files Debian's linux-headers package takes (the
 * kernel's builddeb, deploy_kernel_headers), from the source tree and from the build tree, then .config,
 * and the /lib/modules/<release>/build link to it. Its arguments: the source tree, the build tree, the
 * staging root, the kernel's SRCARCH, the release, and the devel directory. Pure.
 */
export function planDevelStageScript(): string {
  return `set -e
src=$1 obj=$2 root=$3 srcarch=$4 release=$5 develdir=$6
dest=$root$develdir
mkdir -p "$dest" "$root/lib/modules/$release"
(
  cd "$src"
  find . "arch/$srcarch" -maxdepth 1 -name 'Makefile*'
  find include scripts -type f -o -type l
  find "arch/$srcarch" -name Kbuild.platforms -o -name Platform
  find $(find "arch/$srcarch" -name include -o -name scripts -type d) -type f
) > "$root/.srcfiles"
(
  cd "$obj"
  if grep -q '^CONFIG_OBJTOOL=y' .config; then echo tools/objtool/objtool; fi
  find "arch/$srcarch/include" Module.symvers include scripts -type f
  if grep -q '^CONFIG_GCC_PLUGINS=y' .config; then find scripts/gcc-plugins -name '*.so'; fi
) > "$root/.objfiles"
tar -c -f - -C "$src" -T "$root/.srcfiles" | tar -xf - -C "$dest"
tar -c -f - -C "$obj" -T "$root/.objfiles" | tar -xf - -C "$dest"
rm -f "$root/.srcfiles" "$root/.objfiles"
cp "$obj/.config" "$dest/.config"
ln -sfn "$develdir" "$root/lib/modules/$release/build"
`;
}

/**
 * The spec of the kernel-devel package (6.1's binrpm-pkg makes none): the staged module build tree as it
 * is, owned at /usr/src/kernels/<release>, with the build link. Nothing in it is stripped or scanned for
 * dependencies: its scripts and headers are for building modules, as Fedora's kernel-devel. Pure.
 */
export function planDevelSpec(plan: KernelReleasePlan, packager: string): string {
  const develDir = planDevelDir(plan.release);
  return `Name: kernel-devel
Version: ${plan.rpmVersion}
Release: ${plan.rpmRelease}
Summary: The module build tree of Linux ${plan.release}
License: GPL-2.0-only
Group: System Environment/Kernel
Packager: ${packager}
URL: https://www.kernel.org
AutoReqProv: no
Provides: kernel-devel-uname-r = ${plan.release}
%define __spec_install_post %{nil}
%define debug_package %{nil}
%define _build_id_links none

%description
Headers, Makefiles, scripts, .config and Module.symvers of Linux ${plan.release}
(${plan.flavor} flavor): what building out-of-tree kernel modules for it needs,
in ${develDir}, where /lib/modules/${plan.release}/build points.

%install
cp -a %{_sourcedir}/root/. %{buildroot}/

%files
%defattr(-,root,root)
${develDir}
/lib/modules/${plan.release}/build
`;
}
