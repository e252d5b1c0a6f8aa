import { dkmsActions, dkmsOptions, type DkmsOption } from './grammar.ts';

/** What a bare argument names on disk, which decides how dkms takes it. */
export type ArgumentKind = 'dkms.conf' | 'source-dir' | 'file' | 'other';

/** dkms's command line, read: the values of its options and arguments, before any default applies. */
export interface DkmsArgs {
  action: string | undefined;
  module: string | undefined;
  moduleVersion: string | undefined;
  kernels: string[];
  arches: string[];
  templateKernel: string | undefined;
  conf: string | undefined;
  quiet: boolean;
  binariesOnly: boolean;
  sourceOnly: boolean;
  force: boolean;
  forceVersionOverride: boolean;
  all: boolean;
  verbose: boolean;
  rpmSafeUpgrade: boolean;
  dkmsTree: string | undefined;
  sourceTree: string | undefined;
  installTree: string | undefined;
  kernelConfig: string | undefined;
  archive: string | undefined;
  kernelSourceDir: string | undefined;
  directives: string[];
  noDepmod: boolean;
  modprobeOnInstall: boolean;
  jobs: string | undefined;
  /** A dkms.conf or a directory holding one, named on the command line (dkms's try_source_tree). */
  sourceDir: string | undefined;
}

/**
 * How reading the command line ended: with a request, or early as dkms's parser ends (--version, an
 * unknown option, a second action). `warnings` were printed to stderr on the way (-q silences those after it).
 */
export type DkmsParse =
  | { kind: 'request'; args: DkmsArgs; warnings: string[] }
  | { kind: 'version'; args: DkmsArgs; warnings: string[] }
  | { kind: 'unknown-option'; option: string; args: DkmsArgs; warnings: string[] }
  | { kind: 'error'; exitCode: number; message: string[]; args: DkmsArgs; warnings: string[] };

/** dkms 3.0.10's `action_re`, and dkms 3.1's actions, which the front end answers too. */
export const dkmsActionPattern = new RegExp(`^(${dkmsActions.map((a) => a.name).join('|')})$`);

function emptyArgs(): DkmsArgs {
  return {
    action: undefined,
    module: undefined,
    moduleVersion: undefined,
    kernels: [],
    arches: [],
    templateKernel: undefined,
    conf: undefined,
    quiet: false,
    binariesOnly: false,
    sourceOnly: false,
    force: false,
    forceVersionOverride: false,
    all: false,
    verbose: false,
    rpmSafeUpgrade: false,
    dkmsTree: undefined,
    sourceTree: undefined,
    installTree: undefined,
    kernelConfig: undefined,
    archive: undefined,
    kernelSourceDir: undefined,
    directives: [],
    noDepmod: false,
    modprobeOnInstall: false,
    jobs: undefined,
    sourceDir: undefined,
  };
}

function matches(pattern: string, arg: string): boolean {
  return pattern.endsWith('*') ? arg.startsWith(pattern.slice(0, -1)) : arg === pattern;
}

/** The option whose pattern matches first, in dkms's order. */
export function findDkmsOption(arg: string): DkmsOption | undefined {
  return dkmsOptions.find((option) => option.patterns.some((p) => matches(p, arg)));
}

/**
 * What bash's `read var <<< "$text"` stores, which dkms's read_arg uses for every option value: the first
 * line, backslash escapes removed (a backslash-newline joins lines), blanks and tabs at either end trimmed
 * unless a backslash escapes them.
 */
export function parseReadBuiltin(text: string): string {
  const chars: { c: string; escaped: boolean }[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i] ?? '';
    if (c === '\\') {
      const next = text[i + 1];
      i++;
      if (next !== undefined && next !== '\n') chars.push({ c: next, escaped: true });
      continue;
    }
    if (c === '\n') break;
    chars.push({ c, escaped: false });
  }
  const blank = (x: { c: string; escaped: boolean } | undefined): boolean =>
    x !== undefined && !x.escaped && (x.c === ' ' || x.c === '\t');
  let from = 0;
  let to = chars.length;
  while (from < to && blank(chars[from])) from++;
  while (to > from && blank(chars[to - 1])) to--;
  return chars
    .slice(from, to)
    .map((x) => x.c)
    .join('');
}

/** dkms's `mv_re`: `a/b` splits at the first slash; no slash leaves the second part unset. */
function splitAtSlash(text: string): [string, string | undefined] {
  const slash = text.indexOf('/');
  return slash === -1 ? [text, undefined] : [text.slice(0, slash), text.slice(slash + 1)];
}

/**
 * Reads dkms 3.0.10's command line as its `while (($# > 0))` loop does: options anywhere, values after `=`
 * or in the next argument, the action among the bare arguments, the others taken as a dkms.conf, a source
 * directory, an archive or module/version by what they name on disk (`classify`).
 */
export function parseDkmsArgv(argv: readonly string[], classify: (arg: string) => ArgumentKind): DkmsParse {
  const args = emptyArgs();
  const warnings: string[] = [];
  // dkms's -q sends everything after it to /dev/null, including what its parser prints.
  const print = (text: string): void => {
    if (!args.quiet) warnings.push(text);
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const option = findDkmsOption(arg);
    if (option === undefined) {
      if (arg.startsWith('-')) return { kind: 'unknown-option', option: arg, args, warnings };
      if (dkmsActionPattern.test(arg)) {
        if (args.action !== undefined)
          return {
            kind: 'error',
            exitCode: 4,
            message: ['Cannot specify more than one action.'],
            args,
            warnings,
          };
        args.action = arg;
        continue;
      }
      const kind = classify(arg);
      if (kind === 'dkms.conf') args.sourceDir = `${arg.slice(0, -'dkms.conf'.length)}./`;
      else if (kind === 'source-dir') args.sourceDir = arg;
      else if (kind === 'file') args.archive = arg;
      else if (args.module === undefined || args.module === '') {
        [args.module, args.moduleVersion] = splitModuleVersion(arg, args.moduleVersion);
      } else print(`Warning: I do not know how to handle ${arg}.\n`);
      continue;
    }
    let value = '';
    if (option.value !== undefined) {
      const eq = /^[^=]*=(.*)$/s.exec(arg);
      if (eq !== null) value = parseReadBuiltin(eq[1] ?? '');
      else {
        value = parseReadBuiltin(argv[i + 1] ?? '');
        i++;
      }
    }
    switch (option.field) {
      case 'module':
        [args.module, args.moduleVersion] = splitModuleVersion(value, args.moduleVersion);
        break;
      case 'moduleVersion':
        args.moduleVersion = value;
        break;
      case 'kernel': {
        const [kernel, arch] = splitAtSlash(value);
        args.kernels.push(kernel);
        if (arch !== undefined) args.arches.push(arch);
        break;
      }
      case 'arch':
        args.arches.push(value);
        break;
      case 'directive':
        args.directives.push(value);
        break;
      case 'version':
        return { kind: 'version', args, warnings };
      case 'deprecated':
        print(`Deprecated feature: ${arg}\n`);
        break;
      case 'quiet':
        args.quiet = true;
        break;
      case 'symlinkModules':
      case 'debug':
        // dkms 3.0.10 sets a misspelt variable for --symlink-modules and traces itself for --debug:
        // neither changes what it does.
        break;
      case 'templateKernel':
      case 'conf':
      case 'dkmsTree':
      case 'sourceTree':
      case 'installTree':
      case 'kernelConfig':
      case 'archive':
      case 'kernelSourceDir':
      case 'jobs':
        args[option.field] = value;
        break;
      case 'binariesOnly':
      case 'sourceOnly':
      case 'force':
      case 'forceVersionOverride':
      case 'all':
      case 'verbose':
      case 'rpmSafeUpgrade':
      case 'noDepmod':
      case 'modprobeOnInstall':
        args[option.field] = true;
        break;
    }
  }
  const conflict = checkDkmsArgs(args);
  if (conflict !== undefined) return { kind: 'error', ...conflict, args, warnings };
  return { kind: 'request', args, warnings };
}

/** A module/version pair sets the version only when it has one; `-m m -v v` and `m/v` both work. */
function splitModuleVersion(text: string, version: string | undefined): [string, string | undefined] {
  const [module, moduleVersion] = splitAtSlash(text);
  return [module, moduleVersion ?? version];
}

/** dkms's checks of the whole command line, in its order, with its words and exit codes. */
function checkDkmsArgs(args: DkmsArgs): { exitCode: number; message: string[] } | undefined {
  if (args.binariesOnly && args.sourceOnly)
    return {
      exitCode: 8,
      message: [' You have specified both --binaries-only and --source-only.', 'You cannot do this.'],
    };
  if (args.kernels.length !== args.arches.length && args.arches.length > 1)
    return {
      exitCode: 1,
      message: [
        ' If more than one arch is specified on the command line, then there',
        'must be an equal number of kernel versions also specified (1:1 relationship).',
      ],
    };
  if (args.kernels.length > 0 && (args.kernels[0] ?? '') !== '' && args.all)
    return {
      exitCode: 2,
      message: [' You cannot specify a kernel version and also specify', '--all on the command line.'],
    };
  if (args.arches.length > 0 && (args.arches[0] ?? '') !== '' && args.all)
    return {
      exitCode: 3,
      message: [' You cannot specify an arch and also specify', '--all on the command line.'],
    };
  return undefined;
}
