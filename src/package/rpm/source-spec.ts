/**
 * The spec of a source RPM that rebuilds a dkms module into kmod packages with rpmbuild alone: no
 * kmodforge, no dkms on the rebuilding machine. The SRPM holds the module source (Source0), its
 * dkms.conf again (Source1, so that the spec can read it at parse time, before %prep) and kmod-build.sh
 * (Source2), the bash helper that reads dkms.conf per kernel as dkms and kmodforge do, and builds.
 *
 * When the spec is parsed, a Lua block asks kmod-build.sh which kernels to build for (the `kernels` or
 * `flavors` define, else the running kernel) and what each gets; a kernel that BUILD_EXCLUSIVE_* keeps
 * out gets no package, every other one a `kmod-<name>-<kernel>` package named and related as
 * {@link planRpmIdentity} says.
 */
import { KmodError } from '../../errors.ts';
import { planRpmIdentity, rpmSafe } from '../naming.ts';
import { formatChangelogDate } from '../package-info.ts';

export const kmodBuildScriptName = 'kmod-build.sh';

/** Where the helper script lives next to this module (it ships as Source2 of every SRPM). */
export const kmodBuildScriptUrl = new URL(`./${kmodBuildScriptName}`, import.meta.url);

/** Defined on the command line by `kmodforge mksrpm` so that parsing the spec there plans no packages. */
export const srpmOnlyMacro = '_kmf_srpm_only';

export interface SourceSpecInput {
  /** PACKAGE_NAME. */
  name: string;
  /** PACKAGE_VERSION, as dkms.conf has it (the source directory's name uses it as is). */
  version: string;
  /** rpm Release. */
  release: string;
  /** rpm License. */
  license: string;
  /** Seconds since the epoch: the %changelog date (SOURCE_DATE_EPOCH). */
  date: number;
  /** What made the spec, e.g. "kmodforge 0.1.0". */
  generator: string;
}

/** `<name>-kmod`, as RPM Fusion names the source package of kmod-<name>-<kernel> packages. */
export function planSourcePackageName(name: string): string {
  return `${name}-kmod`;
}

/** Source0: the module source as `<name>-<version>/…`. */
export function planSourceTarballName(input: Pick<SourceSpecInput, 'name' | 'version'>): string {
  return `${input.name}-${input.version}.tar.gz`;
}

export function planSpecFileName(input: Pick<SourceSpecInput, 'name'>): string {
  return `${planSourcePackageName(input.name)}.spec`;
}

/** What rpmbuild -bs writes: `<name>-kmod-<version>-<release>.src.rpm`. */
export function planSrpmFileName(input: Pick<SourceSpecInput, 'name' | 'version' | 'release'>): string {
  return `${planSourcePackageName(input.name)}-${rpmSafe(input.version)}-${rpmSafe(input.release)}.src.rpm`;
}

/**
 * Checks an rpm Release (`--release`): what rpm accepts there, without "-". It becomes a word of a spec
 * file, so nothing else (a newline, a macro) may reach it.
 */
export function checkRpmRelease(release: string): string {
  if (!/^[A-Za-z0-9._+~^]+$/.test(release))
    throw new KmodError('USAGE', `--release "${release}": expected letters, digits and . _ + ~ ^ (no "-")`);
  return release;
}

/** A Lua string literal; braces are escaped too, since rpm matches %{lua:…}'s braces before Lua runs. */
export function luaString(value: string): string {
  let out = '"';
  for (const ch of value) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (code < 0x20 || code === 0x7f || ch === '{' || ch === '}' || ch === '%' || code > 0x7e) {
      for (const byte of Buffer.from(ch, 'utf8')) out += `\\${String(byte).padStart(3, '0')}`;
    } else out += ch;
  }
  return `${out}"`;
}

/**
 * The kmod naming of naming.ts with placeholders that the spec's Lua fills in per kernel and module: the
 * package name and its Provides. The kernel requirement is `kernel-uname-r = <release>` for every
 * kernel, also a Debian or SUSE release with two "-" (which the spec lets rpm accept: both sides of the
 * comparison split at the last "-" alike); a file requirement such as /lib/modules/<K>/modules.order
 * cannot be met where the kernel package owns /usr/lib/modules/<K>/ instead.
 */
export function planPackageTemplates(name: string): {
  name: string;
  kernelRelations: string[];
  moduleRelations: string[];
} {
  const identity = planRpmIdentity('kmod', {
    name,
    version: '@VERSION@',
    release: '@RELEASE@',
    kernel: { release: '@KERNEL@', version: '', abi: '', flavor: '', arch: undefined, family: 'unknown' },
    arch: 'x86_64',
    modules: ['@MODULE@'],
  });
  const provides = identity.relations.filter((r) => r.startsWith('Provides:'));
  return {
    name: identity.name,
    kernelRelations: [
      'Requires: kernel-uname-r = @KERNEL@',
      ...provides.filter((r) => !r.includes('@MODULE@')),
    ],
    moduleRelations: provides.filter((r) => r.includes('@MODULE@')),
  };
}

/** rpm expands % in spec text; a literal one is %%. */
function specText(value: string): string {
  return value.replaceAll('%', '%%');
}

/** A word for the shell lines of the spec (macro values, %build), single-quoted when needed. */
function shellWord(value: string): string {
  return /^[\w@+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}

/** The spec text. Pure. */
export function planSourceSpec(input: SourceSpecInput): string {
  const packageName = planSourcePackageName(input.name);
  const version = specText(rpmSafe(input.version));
  const release = specText(rpmSafe(input.release));
  const templates = planPackageTemplates(input.name);
  const lua = (values: readonly string[]): string => `{ ${values.map(luaString).join(', ')} }`;
  const helperEnv = [
    `KMF_NAME=${shellWord(specText(input.name))}`,
    `KMF_VERSION=${shellWord(specText(input.version))}`,
    "KMF_ARCH='%{_target_cpu}'",
    "KMF_JOBS='%{?_smp_build_ncpus}%{!?_smp_build_ncpus:1}'",
    "KMF_MODDIR='%{kmod_moddir}'",
    "KMF_KERNELS='%{?kernels}'",
    "KMF_FLAVORS='%{?flavors}'",
    "KMF_SIGN_KEY='%{?kmod_sign_key}'",
    "KMF_SIGN_CERT='%{?kmod_sign_cert}'",
    "KMF_SIGN_FILE='%{?kmod_sign_file}'",
  ].join(' ');
  return `# ${packageName}.spec: made by ${specText(input.generator)} (kmodforge mksrpm ${specText(input.name)}/${specText(input.version)})
# from the module's dkms.conf. Rebuilding needs rpmbuild, bash, make, a compiler, patch and the headers
# of each kernel; not kmodforge, not dkms:
#
#   rpmbuild --rebuild ${packageName}-${version}-${release}.src.rpm
#       builds for the running kernel (uname -r);
#   ... --define 'kernels K1 K2'        for these kernels;
#   ... --define 'flavors rt-amd64'     for every installed kernel (with headers in /lib/modules/K/build
#                                       or /usr/src/kernels/K) of these flavors: releases ending in
#                                       -rt-amd64 after the ABI number, +rt-amd64 or .rt-amd64.
#
# Each kernel K gets a package kmod-${specText(input.name)}-K with the modules in <kmod_moddir>/K/<location>/,
# requiring kernel-uname-r = K and running depmod for K when installed and removed. kmod-build.sh
# (Source2) reads dkms.conf for each kernel as dkms does: sourced by bash with dkms's variables set,
# MAKE/MAKE_MATCH, PATCH/PATCH_MATCH, BUILD_EXCLUSIVE_*, DEST_MODULE_LOCATION as the distro puts dkms
# modules, STRIP, PRE_BUILD/POST_BUILD; a kernel that BUILD_EXCLUSIVE_* keeps out gets no package.
# Modules are stripped, signed and compressed as each kernel expects. Other defines:
#   --define 'kmod_sign_key /path/key.pem' --define 'kmod_sign_cert /path/cert.der'
#       sign the modules for kernels that check signatures (CONFIG_MODULE_SIG_HASH), with the kernel's
#       sign-file (Debian's linux-kbuild, else the headers'), or --define 'kmod_sign_file /path/sign-file';
#   --define 'kmod_moddir /usr/lib/modules'   where the packages put module trees (default /lib/modules).
#
# There are no BuildRequires: the headers are found per kernel, and the rpm database of a Debian or
# Ubuntu rebuilder has no packages to satisfy them.

%if 0%{!?kmod_moddir:1}
%global kmod_moddir /lib/modules
%endif
# rpm's strip and debuginfo would break module signatures, and kernel modules need neither.
%global debug_package %{nil}
%global __spec_install_post %{nil}
%global __os_install_post %{nil}
%global _build_id_links none
# Debian and Ubuntu kernel releases have two "-" (6.1.0-56-amd64): kernel-uname-r = <release> is then
# not a well-formed EVR, which rpm only accepts with this (it compares such EVRs split at the last "-").
%global _wrong_version_format_terminate_build 0

Name:           ${packageName}
Version:        ${version}
Release:        ${release}
Summary:        Kernel modules of ${specText(input.name)} ${specText(input.version)}, for any kernel
License:        ${specText(input.license)}
Source0:        ${specText(planSourceTarballName(input))}
Source1:        dkms.conf
Source2:        ${kmodBuildScriptName}
Group:          System Environment/Kernel
Packager:       %{?packager}%{!?packager:kmodforge}
ExclusiveOS:    linux

# kmod-build.sh with the module, the arch, the job count, the kernels asked for and the signing defines.
%global kmf_helper ${helperEnv} bash '%{SOURCE2}'

%description
The source of the ${specText(input.name)} ${specText(input.version)} kernel modules, with their dkms.conf.
Rebuilding it makes one kmod-${specText(input.name)}-<kernel> package
for each kernel, without dkms.

%{lua:
-- One package per kernel: kmod-build.sh picks the kernels and reads dkms.conf (Source1) for each
-- one. Quietly: a spec is also read where nothing is built (rpm -q --specfile, rpmlint); what goes
-- wrong is told when building ("explain"). Nothing is planned while kmodforge makes the source RPM.
local kernels = {}
if rpm.expand("%{?${srpmOnlyMacro}}") == "" then
  local command = rpm.expand("KMF_CONF='%{SOURCE1}' KMF_SOURCE_TREE='%{_builddir}/%{name}-%{version}' %{kmf_helper} plan 2>/dev/null")
  local pipe = io.popen(command)
  local out = pipe:read("a")
  if not pipe:close() then out = "" end
  for line in out:gmatch("[^\\n]+") do
    local f = {}
    for field in (line .. "\\t"):gmatch("([^\\t]*)\\t") do f[#f + 1] = field end
    if f[1] == "build" then
      kernels[#kernels + 1] = { release = f[2], modules = {} }
    elseif f[1] == "module" then
      local m = kernels[#kernels].modules
      m[#m + 1] = { name = f[3], location = f[4], suffix = f[5] }
    end
  end
end

local module_name, module_version = ${luaString(input.name)}, ${luaString(input.version)}
local name_template = ${luaString(templates.name)}
local kernel_relations = ${lua(templates.kernelRelations)}
local module_relations = ${lua(templates.moduleRelations)}
local version, release = rpm.expand("%{version}"), rpm.expand("%{release}")
local moddir = rpm.expand("%{kmod_moddir}")
local function fill(template, kernel, module)
  local s = template:gsub("@KERNEL@", function() return kernel end)
  s = s:gsub("@VERSION@", function() return version end)
  s = s:gsub("@RELEASE@", function() return release end)
  return (s:gsub("@MODULE@", function() return module or "" end))
end
-- depmod for this kernel only, where there is a depmod (an install into an empty --root has none).
local function depmod(kernel)
  return "for _, d in ipairs({ \\"/usr/sbin/depmod\\", \\"/sbin/depmod\\", \\"/usr/bin/depmod\\", \\"/bin/depmod\\" }) do\\n"
    .. "  if posix.access(d, \\"x\\") then pcall(rpm.execute, d, \\"-a\\", \\"" .. kernel .. "\\") break end\\n"
    .. "end\\n"
end

local built = {}
for _, k in ipairs(kernels) do
  local pkg = fill(name_template, k.release)
  built[#built + 1] = k.release
  local names = {}
  for _, m in ipairs(k.modules) do names[#names + 1] = m.name end
  print("%package -n " .. pkg .. "\\n")
  print("Summary: Kernel modules of " .. module_name .. " for Linux " .. k.release .. "\\n")
  for _, r in ipairs(kernel_relations) do print(fill(r, k.release) .. "\\n") end
  for _, m in ipairs(k.modules) do
    for _, r in ipairs(module_relations) do print(fill(r, k.release, m.name) .. "\\n") end
  end
  print("%description -n " .. pkg .. "\\n")
  print("The " .. module_name .. " " .. module_version .. " kernel modules built for Linux " .. k.release .. ":\\n")
  print(table.concat(names, ", ") .. ".\\n")
  print("%post -n " .. pkg .. " -p <lua>\\n" .. depmod(k.release))
  print("%postun -n " .. pkg .. " -p <lua>\\n" .. depmod(k.release))
  print("%files -n " .. pkg .. "\\n%defattr(0644,root,root,0755)\\n")
  for _, m in ipairs(k.modules) do
    local file = moddir .. "/" .. k.release .. m.location .. "/" .. m.name .. ".ko" .. m.suffix
    if file:find("%s") then file = "\\"" .. file .. "\\"" end
    print(file .. "\\n")
  end
end
rpm.define("kmf_kernels " .. (#built == 0 and "%{nil}" or table.concat(built, " ")))
}

%prep
%setup -q -c

%build
# Which kernels get no package and why, or why nothing can be built.
KMF_SOURCE_TREE="$PWD" %{kmf_helper} explain
for kernel in %{kmf_kernels}; do
  KMF_SOURCE_TREE="$PWD" KMF_WORK="$PWD/_kmod_build" %{kmf_helper} build "$kernel"
done

%install
for kernel in %{kmf_kernels}; do
  KMF_SOURCE_TREE="$PWD" KMF_WORK="$PWD/_kmod_build" %{kmf_helper} install "$kernel" '%{buildroot}'
done

%changelog
* ${formatChangelogDate(input.date)} ${specText(input.generator)} - ${version}-${release}
- Source package made from the dkms.conf of ${specText(input.name)} ${specText(input.version)}
`;
}
