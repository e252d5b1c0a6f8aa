/**
 * The spec of a source RPM that rebuilds a dkms module into kmod packages with rpmbuild alone: no
 * kmodforge, no dkms on the rebuilding machine. The SRPM holds the module source (Source0), its
 * dkms.conf again (Source1, so that the spec can read it at parse time, before %prep) and kmod-build.sh
 * (Source2), the bash helper that reads dkms.conf per kernel as dkms and kmodforge do, and builds.
 *
 * When the spec is parsed, a Lua block asks kmod-build.sh which kernels to build for (the `kernels`,
 * `flavors` or `targetboard` define, else the running kernel) and what each gets; a kernel that
 * BUILD_EXCLUSIVE_* keeps out gets no package, every other one a `kmod-<name>-<kernel>` package named and
 * related as {@link planRpmIdentity} says. A module with USERLAND_FILE also gets its userland
 * subpackage, {@link planRpmUserlandName}.
 *
 * The spec's text is source.spec.in, beside this module; the values filled into it are escaped here.
 */
import { readFile } from 'node:fs/promises';
import { getAsset, isSea } from 'node:sea';
import { KmodError, isErrno } from '../../errors.ts';
import { planRpmIdentity, planRpmUserlandName, rpmSafe } from '../naming.ts';
import { formatChangelogDate } from '../package-info.ts';

export const kmodBuildScriptName = 'kmod-build.sh';

/** Where the helper script lives next to this module (it ships as Source2 of every SRPM). */
export const kmodBuildScriptUrl = new URL(`./${kmodBuildScriptName}`, import.meta.url);

export const sourceSpecTemplateName = 'source.spec.in';

/** The spec's text with `{{name}}` placeholders, beside this module as kmod-build.sh is. */
export const sourceSpecTemplateUrl = new URL(`./${sourceSpecTemplateName}`, import.meta.url);

/**
 * The text of a file shipped with this module. The single executable carries it as an asset
 * (scripts/sea.ts), since nothing may have to be found beside it; elsewhere it is the file beside this
 * module (src/, or dist/, where scripts/bundle.ts copies it).
 */
export async function readShippedFile(
  name: typeof kmodBuildScriptName | typeof sourceSpecTemplateName,
): Promise<string> {
  if (isSea()) return getAsset(name, 'utf8');
  const url = new URL(`./${name}`, import.meta.url);
  try {
    return await readFile(url, 'utf8');
  } catch (error) {
    if (!isErrno(error, 'ENOENT')) throw error;
    throw new KmodError('COMMAND_FAILED', `kmodforge is incomplete: ${url.pathname} is missing`, {
      hint: `${name} must be installed beside source-spec.js`,
    });
  }
}

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
  /** The userland subpackage's name, and what each kernel's package then requires of it. */
  userlandName: string;
  userlandRelations: string[];
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
    userlandName: planRpmUserlandName(name),
    userlandRelations: [`Requires: ${planRpmUserlandName(name)} = @VERSION@-@RELEASE@`],
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

/**
 * The spec text: the template (source.spec.in) with each `{{name}}` filled in, every value escaped for
 * where it stands there (spec text, a shell word, a Lua string). Pure.
 */
export function planSourceSpec(input: SourceSpecInput, template: string): string {
  const templates = planPackageTemplates(input.name);
  const lua = (values: readonly string[]): string => `{ ${values.map(luaString).join(', ')} }`;
  const helperEnv = [
    `KMF_NAME=${shellWord(specText(input.name))}`,
    `KMF_VERSION=${shellWord(specText(input.version))}`,
    "KMF_ARCH='%{_target_cpu}'",
    "KMF_JOBS='%{?_smp_build_ncpus}%{!?_smp_build_ncpus:1}'",
    "KMF_MODDIR='%{kmod_moddir}'",
    "KMF_KERNELS='%{?kernels}'",
    // The seed's `--define 'targetboard host108'` is one more flavor.
    "KMF_FLAVORS='%{?flavors}%{?targetboard: %{targetboard}}'",
    "KMF_SIGN_KEY='%{?kmod_sign_key}'",
    "KMF_SIGN_CERT='%{?kmod_sign_cert}'",
    "KMF_SIGN_FILE='%{?kmod_sign_file}'",
  ].join(' ');
  return fillTemplate(template, {
    package_name: planSourcePackageName(input.name),
    name: specText(input.name),
    dkms_version: specText(input.version),
    version: specText(rpmSafe(input.version)),
    release: specText(rpmSafe(input.release)),
    license: specText(input.license),
    generator: specText(input.generator),
    source0: specText(planSourceTarballName(input)),
    source2: kmodBuildScriptName,
    helper_env: helperEnv,
    srpm_only_macro: srpmOnlyMacro,
    lua_name: luaString(input.name),
    lua_dkms_version: luaString(input.version),
    lua_name_template: luaString(templates.name),
    lua_kernel_relations: lua(templates.kernelRelations),
    lua_module_relations: lua(templates.moduleRelations),
    userland_name: specText(templates.userlandName),
    lua_userland_name: luaString(templates.userlandName),
    lua_userland_relations: lua(templates.userlandRelations),
    changelog_date: formatChangelogDate(input.date),
  });
}

/**
 * Replaces each `{{name}}` in one pass, so that a value which looks like a placeholder stays as it is.
 * A name without a value means the installed template does not belong to this kmodforge.
 */
function fillTemplate(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (placeholder, name: string) => {
    const value = values[name];
    if (value === undefined)
      throw new KmodError(
        'COMMAND_FAILED',
        `kmodforge is incomplete: ${sourceSpecTemplateName} has an unknown placeholder ${placeholder}`,
      );
    return value;
  });
}
