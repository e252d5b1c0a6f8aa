import {
  deprecatedDirectives,
  moduleRecordDirectives,
  type DirectiveName,
  type DirectiveValue,
} from './directives.ts';
import { findDirectiveLine, throwConfProblems, type ConfProblem } from './conf-problem.ts';
import { planNameProblem } from './names.ts';
import { planExclusion } from './exclusive.ts';
import type { EvaluatedConf } from './evaluate.ts';
import type { ModuleConf, ModuleRecord, Userland, UserlandFile } from './module-conf.ts';

export interface ResolveContext {
  /** The main dkms.conf, for messages. */
  file: string;
  /** Its text, to point messages at a line. */
  text: string | undefined;
  kernel: string;
  arch: string;
  kernelSourceDir: string;
  /** The directory make builds in (M=) for the default make command. */
  buildDir: string;
  /** The kernel's .config as CONFIG_X → value; undefined when the kernel has none. */
  kernelConfig: ReadonlyMap<string, string> | undefined;
  /** Where the distro puts dkms modules (e.g. /updates/dkms), replacing DEST_MODULE_LOCATION; undefined keeps it. */
  destOverride: string | undefined;
}

const destPrefixes = ['/kernel', '/updates', '/extra'];

/**
 * Resolves the directives bash read from a dkms.conf into what dkms does for one (kernel, arch): module
 * records with defaults, the make command, patches, exclusivity. Pure; throws CONF_INVALID listing every
 * problem found.
 */
export function resolveModuleConf(
  evaluated: Pick<EvaluatedConf, 'directives' | 'matches' | 'sourced'>,
  ctx: ResolveContext,
): ModuleConf {
  const problems: ConfProblem[] = [];
  const raw = evaluated.directives;
  const problem = (
    directive: DirectiveName | undefined,
    index: number | undefined,
    message: string,
  ): void => {
    const line =
      directive === undefined || ctx.text === undefined
        ? undefined
        : findDirectiveLine(ctx.text, directive, index);
    problems.push({ directive, index, line, message });
  };
  const scalar = (name: DirectiveName): string | undefined => {
    const value = raw.get(name)?.get(0);
    return value === undefined || value === '' ? undefined : stripCr(value);
  };
  const entries = (name: DirectiveName): [number, string][] =>
    [...(raw.get(name) ?? new Map<number, string>())]
      .map(([i, v]): [number, string] => [i, stripCr(v)])
      .sort((a, b) => a[0] - b[0]);

  const packageName = scalar('PACKAGE_NAME');
  const packageVersion = scalar('PACKAGE_VERSION');
  if (packageName === undefined)
    problem('PACKAGE_NAME', undefined, 'is not set; expected the package name, e.g. PACKAGE_NAME="hello"');
  else if (planNameProblem(packageName) !== undefined)
    problem('PACKAGE_NAME', undefined, planNameProblem(packageName) ?? '');
  if (packageVersion === undefined)
    problem(
      'PACKAGE_VERSION',
      undefined,
      'is not set; expected the package version, e.g. PACKAGE_VERSION="1.0"',
    );
  else if (planNameProblem(packageVersion) !== undefined)
    problem('PACKAGE_VERSION', undefined, planNameProblem(packageVersion) ?? '');

  const modules = resolveModules(raw, packageName ?? '', ctx.destOverride, problem);
  const make = resolveMake(
    entries('MAKE'),
    evaluated.matches.get('MAKE_MATCH'),
    raw.get('MAKE_MATCH'),
    ctx,
    problem,
  );
  const patches = resolvePatches(
    entries('PATCH'),
    evaluated.matches.get('PATCH_MATCH'),
    raw.get('PATCH_MATCH'),
  );
  const autoinstall = parseYesNo('AUTOINSTALL', scalar('AUTOINSTALL'), problem);
  const buildDependsRebuild = parseYesNo('BUILD_DEPENDS_REBUILD', scalar('BUILD_DEPENDS_REBUILD'), problem);
  const noWeakModules = parseYesNo('NO_WEAK_MODULES', scalar('NO_WEAK_MODULES'), problem);
  const buildDepends = entries('BUILD_DEPENDS').flatMap(([, v]) => v.split(/\s+/).filter((d) => d !== ''));
  for (const [directive, statuses] of evaluated.matches) {
    for (const [index, status] of statuses) {
      if (status === 2) {
        const value = raw.get(directive as DirectiveName)?.get(index) ?? '';
        problem(
          directive as DirectiveName,
          index,
          `"${value}" is not a valid regular expression (bash =~ rejected it)`,
        );
      }
    }
  }
  const userland = resolveUserland(scalar('USERLAND_BUILD'), entries('USERLAND_FILE'), problem);
  if (problems.length > 0) throwConfProblems(ctx.file, problems);

  const exclusion = planExclusion({
    kernel: ctx.kernel,
    kernelMatched: evaluated.matches.get('BUILD_EXCLUSIVE_KERNEL')?.get(0),
    archMatched: evaluated.matches.get('BUILD_EXCLUSIVE_ARCH')?.get(0),
    arch: ctx.arch,
    kernelRegex: scalar('BUILD_EXCLUSIVE_KERNEL'),
    archRegex: scalar('BUILD_EXCLUSIVE_ARCH'),
    kernelMin: scalar('BUILD_EXCLUSIVE_KERNEL_MIN'),
    kernelMax: scalar('BUILD_EXCLUSIVE_KERNEL_MAX'),
    config: scalar('BUILD_EXCLUSIVE_CONFIG'),
    obsoleteBy: scalar('OBSOLETE_BY'),
    kernelConfig: ctx.kernelConfig,
  });

  const warnings: string[] = [];
  const deprecated = deprecatedDirectives.filter((d) => raw.has(d));
  for (const d of deprecated) warnings.push(`Deprecated feature: ${d} (${ctx.file})`);
  const clean = scalar('CLEAN');

  return {
    file: ctx.file,
    sourced: evaluated.sourced,
    packageName: packageName ?? '',
    packageVersion: packageVersion ?? '',
    kernel: ctx.kernel,
    arch: ctx.arch,
    modules,
    make,
    clean,
    patches,
    scripts: {
      preBuild: scalar('PRE_BUILD'),
      postBuild: scalar('POST_BUILD'),
      postAdd: scalar('POST_ADD'),
      preInstall: scalar('PRE_INSTALL'),
      postInstall: scalar('POST_INSTALL'),
      postRemove: scalar('POST_REMOVE'),
    },
    autoinstall: autoinstall ?? false,
    buildDepends,
    buildDependsRebuild: buildDependsRebuild ?? false,
    obsoleteBy: scalar('OBSOLETE_BY'),
    noWeakModules: noWeakModules ?? false,
    exclusion,
    deprecated,
    warnings,
    directives: Object.fromEntries([...raw].map(([name, values]) => [name, Object.fromEntries(values)])),
    userland,
  };
}

type ProblemSink = (directive: DirectiveName | undefined, index: number | undefined, message: string) => void;

// dkms 3.1.5+ strips the CR that a CRLF dkms.conf leaves at the end of values.
function stripCr(value: string): string {
  return value.replace(/\r+$/, '');
}

function resolveModules(
  raw: ReadonlyMap<DirectiveName, DirectiveValue>,
  packageName: string,
  destOverride: string | undefined,
  problem: ProblemSink,
): ModuleRecord[] {
  let count = 0;
  for (const name of moduleRecordDirectives) {
    for (const index of raw.get(name)?.keys() ?? []) count = Math.max(count, index + 1);
  }
  if (count === 0) {
    problem(
      'DEST_MODULE_LOCATION',
      0,
      'no module records; expected at least DEST_MODULE_LOCATION[0], e.g. DEST_MODULE_LOCATION[0]="/updates"',
    );
    return [];
  }
  for (const name of moduleRecordDirectives) {
    const values = raw.get(name);
    if (values === undefined || values.size <= 1) continue;
    const indices = [...values.keys()].sort((a, b) => a - b);
    const last = indices[indices.length - 1] ?? 0;
    const missing = [];
    for (let i = 0; i < last; i++) if (!values.has(i)) missing.push(i);
    if (missing.length > 0) {
      problem(
        name,
        missing[0],
        `has entries [${indices.join(', ')}] but none at ${missing.join(', ')}; module records must be numbered 0, 1, 2, … without gaps`,
      );
    }
  }
  const value = (name: DirectiveName, index: number): string => stripCr(raw.get(name)?.get(index) ?? '');
  const stripDefault = parseStrip(value('STRIP', 0)) ?? true;
  const records: ModuleRecord[] = [];
  for (let index = 0; index < count; index++) {
    let builtName = value('BUILT_MODULE_NAME', index);
    if (builtName === '' && count === 1) builtName = packageName;
    const destName = value('DEST_MODULE_NAME', index) || builtName;
    let builtLocation = value('BUILT_MODULE_LOCATION', index);
    if (builtLocation !== '' && !builtLocation.endsWith('/')) builtLocation += '/';
    const rawDestLocation = value('DEST_MODULE_LOCATION', index);
    if (builtName === '')
      problem(
        'BUILT_MODULE_NAME',
        index,
        `is not set for module record #${index}; expected the name make gives the module, without .ko`,
      );
    for (const [name, v] of [
      ['BUILT_MODULE_NAME', builtName],
      ['DEST_MODULE_NAME', value('DEST_MODULE_NAME', index)],
    ] as const) {
      if (/\.k?o$/.test(v))
        problem(
          name,
          index,
          `"${v}" ends in .o or .ko; expected the module name without the suffix, e.g. "${v.replace(/\.k?o$/, '')}"`,
        );
      else if (v.includes('/'))
        problem(
          name,
          index,
          `"${v}" contains "/"; expected a bare module name (put directories in the _LOCATION directive)`,
        );
    }
    if (rawDestLocation === '')
      problem(
        'DEST_MODULE_LOCATION',
        index,
        `is not set for module record #${index}; expected /kernel/…, /updates/… or /extra/…`,
      );
    else if (!destPrefixes.some((p) => rawDestLocation.startsWith(p))) {
      problem(
        'DEST_MODULE_LOCATION',
        index,
        `"${rawDestLocation}" does not begin with /kernel, /updates or /extra`,
      );
    } else if (rawDestLocation.split('/').includes('..')) {
      problem(
        'DEST_MODULE_LOCATION',
        index,
        `"${rawDestLocation}" contains ".."; expected a directory under the kernel's module tree`,
      );
    }
    const stripValue = value('STRIP', index);
    records.push({
      index,
      builtName,
      builtLocation,
      destName,
      destLocation: destOverride ?? rawDestLocation,
      rawDestLocation,
      strip: stripValue === '' ? stripDefault : (parseStrip(stripValue) ?? true),
    });
  }
  checkDuplicates(records, problem);
  return records;
}

function checkDuplicates(records: readonly ModuleRecord[], problem: ProblemSink): void {
  const built = new Map<string, number>();
  const dest = new Map<string, number>();
  for (const r of records) {
    const builtKey = `${r.builtLocation}${r.builtName}`;
    const firstBuilt = built.get(builtKey);
    if (firstBuilt !== undefined && r.builtName !== '') {
      problem(
        'BUILT_MODULE_NAME',
        r.index,
        `"${r.builtName}" in "${r.builtLocation || '.'}" is already module record #${firstBuilt}; each record must name a different module`,
      );
    } else built.set(builtKey, r.index);
    const firstDest = dest.get(r.destName);
    if (firstDest !== undefined && r.destName !== '') {
      problem(
        'DEST_MODULE_NAME',
        r.index,
        `"${r.destName}" is already the name of module record #${firstDest}; two modules cannot be installed under one name`,
      );
    } else dest.set(r.destName, r.index);
  }
}

function parseStrip(value: string): boolean | undefined {
  if (/^[nN]/.test(value)) return false;
  if (/^[yY]/.test(value)) return true;
  return undefined;
}

function parseYesNo(
  name: DirectiveName,
  value: string | undefined,
  problem: ProblemSink,
): boolean | undefined {
  if (value === undefined) return undefined;
  const v = value.toLowerCase();
  if (v === 'yes') return true;
  if (v === 'no') return false;
  problem(name, undefined, `"${value}" is not valid; expected yes, no or empty`);
  return undefined;
}

function resolveMake(
  makes: readonly [number, string][],
  matched: ReadonlyMap<number, number> | undefined,
  makeMatch: DirectiveValue | undefined,
  ctx: ResolveContext,
  problem: ProblemSink,
): ModuleConf['make'] {
  // dkms: MAKE[0] unless MAKE_MATCH[0] is set; then every MAKE[i] whose MAKE_MATCH[i] matches, the last one winning.
  let chosen: [number, string] | undefined;
  const first = makes.find(([i]) => i === 0);
  if ((makeMatch?.get(0) ?? '') === '' && first !== undefined && first[1] !== '') chosen = first;
  for (const [index, command] of makes) {
    if (command !== '' && (makeMatch?.get(index) ?? '') !== '' && matched?.get(index) === 0)
      chosen = [index, command];
  }
  for (const index of makeMatch?.keys() ?? []) {
    if (!makes.some(([i]) => i === index))
      problem('MAKE_MATCH', index, `has no MAKE[${index}] to go with it`);
  }
  if (chosen === undefined)
    return { command: `make -C ${ctx.kernelSourceDir} M=${ctx.buildDir}`, index: undefined };
  return { command: chosen[1], index: chosen[0] };
}

function resolvePatches(
  patches: readonly [number, string][],
  matched: ReadonlyMap<number, number> | undefined,
  patchMatch: DirectiveValue | undefined,
): string[] {
  const chosen: string[] = [];
  for (const [index, patch] of patches) {
    if (patch === '') continue;
    if ((patchMatch?.get(index) ?? '') === '' || matched?.get(index) === 0) chosen.push(patch);
  }
  return chosen;
}

/** USERLAND_FILE[i]="<path in the source>:<absolute path on the system>[:<octal mode>]". */
function resolveUserland(
  build: string | undefined,
  files: readonly [number, string][],
  problem: ProblemSink,
): Userland | undefined {
  if (build === undefined && files.length === 0) return undefined;
  const resolved: UserlandFile[] = [];
  for (const [index, value] of files) {
    const [source = '', dest = '', mode = '0644', ...rest] = value.split(':');
    const expected = 'expected "<path in the source>:<absolute path on the system>[:<octal mode>]"';
    if (rest.length > 0 || source === '' || dest === '')
      problem('USERLAND_FILE', index, `"${value}": ${expected}`);
    else if (source.startsWith('/') || source.split('/').includes('..'))
      problem('USERLAND_FILE', index, `"${source}" must be a path inside the source`);
    else if (!dest.startsWith('/') || dest.split('/').includes('..') || dest.endsWith('/'))
      problem('USERLAND_FILE', index, `"${dest}" must be an absolute file path without ".."`);
    else if (!/^0?[0-7]{3}$/.test(mode))
      problem('USERLAND_FILE', index, `"${mode}" is not an octal file mode such as 0755`);
    else resolved.push({ source, dest, mode: parseInt(mode, 8) });
  }
  return { build, files: resolved };
}
