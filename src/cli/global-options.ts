import { Option, type Command, type OptionValues } from 'commander';
import { parseDirectiveOverride } from '../conf/directive-override.ts';
import type { DirectiveOverride } from '../conf/eval-script.ts';
import { KmodError } from '../errors.ts';

/** Options every command accepts, where dkms accepts them: anywhere on the command line. */
export interface GlobalOptions {
  root: string | undefined;
  dkmsTree: string | undefined;
  sourceTree: string | undefined;
  installTree: string | undefined;
  kernelSourceDir: string | undefined;
  kernels: string[];
  arches: string[];
  module: string | undefined;
  moduleVersion: string | undefined;
  directives: DirectiveOverride[];
  jobs: number | undefined;
  all: boolean;
  allKernels: boolean;
  force: boolean;
  noDepmod: boolean;
  quiet: boolean;
  verbose: boolean;
  json: boolean;
  destDir: string | undefined;
  templateKernel: string | undefined;
  requireSignature: boolean;
  noCache: boolean;
  dryRun: boolean;
  verify: boolean;
  /** build/install --verify-timeout: the time limit of each verify boot, in seconds. */
  verifyTimeout: number | undefined;
}

const collect = (value: string, previous: readonly string[] = []): string[] => [...previous, value];

/** A number of seconds, more than 0. */
export function parseSeconds(option: string, value: string): number {
  if (!/^\d+(\.\d+)?$/.test(value) || Number(value) <= 0)
    throw new KmodError('USAGE', `${option} "${value}": expected a number of seconds`);
  return Number(value);
}

function parseJobs(value: string): number {
  if (!/^\d+$/.test(value)) throw new KmodError('USAGE', `-j "${value}": expected a number of jobs`);
  return Number(value);
}

/** Options of the whole program, which every command takes, before or after its name (as dkms does). */
export function addGlobalOptions(program: Command): Command {
  return program
    .option(
      '--root <dir>',
      'treat <dir> as the whole system: every tree, /etc/dkms and the kernels hang off it',
    )
    .option('--dkmstree <dir>', 'the dkms state tree (default <root>/var/lib/dkms)')
    .option('--sourcetree <dir>', 'where module sources are registered (default <root>/usr/src)')
    .option('--installtree <dir>', "the kernels' module trees (default <root>/lib/modules)")
    .option('-q, --quiet', 'print nothing but errors')
    .option('--verbose', 'show the commands run and their output')
    .option('--json', 'print NDJSON: events and one result object per line');
}

/** The options a command may take besides the global ones; each command declares which it takes. */
export type CommandOptionName =
  | 'kernel'
  | 'arch'
  | 'module'
  | 'moduleVersion'
  | 'kernelSourceDir'
  | 'directive'
  | 'jobs'
  | 'all'
  | 'allKernels'
  | 'force'
  | 'noDepmod'
  | 'requireSignature'
  | 'noCache'
  | 'templateKernel'
  | 'destDir'
  | 'dryRun'
  | 'verify'
  | 'verifyLoad'
  | 'verifyTimeout';

const commandOptions: Readonly<Record<CommandOptionName, () => Option>> = {
  kernel: () =>
    new Option('-k, --kernelver <kernel[/arch]>', 'a kernel to work on (repeatable)').argParser(collect),
  arch: () =>
    new Option('-a, --arch <arch>', 'the arch of each -k, 1:1, or one for all (repeatable)').argParser(
      collect,
    ),
  module: () => new Option('-m <module[/version]>', 'the module (with its version)'),
  moduleVersion: () => new Option('-v <version>', 'the module version'),
  kernelSourceDir: () =>
    new Option(
      '--kernelsourcedir <dir>',
      'kernel headers to build against, instead of <root>/lib/modules/<kernel>/build',
    ),
  directive: () =>
    new Option(
      '--directive <NAME=value>',
      'set a dkms.conf directive after the file is read (repeatable)',
    ).argParser(collect),
  jobs: () => new Option('-j, --jobs <n>', 'job budget for all builds together').argParser(parseJobs),
  all: () => new Option('--all', 'every kernel the module is built for'),
  allKernels: () => new Option('--all-kernels', 'every kernel of the system that has headers'),
  force: () => new Option('--force', 'redo what is already done; override safety checks'),
  noDepmod: () => new Option('--no-depmod', 'do not run depmod'),
  requireSignature: () =>
    new Option('--require-signature', 'fail a build whose modules cannot be signed (instead of a warning)'),
  noCache: () =>
    new Option('--no-cache', 'compile even when the build cache has the result (the new result is stored)'),
  templateKernel: () => new Option('--templatekernel <kernel>', 'the kernel whose installed modules to copy'),
  destDir: () =>
    new Option(
      '--destdir <dir>',
      'install into this staging tree only; the live system and the state stay as they are',
    ),
  dryRun: () => new Option('--dry-run', 'print what would be done, and change nothing'),
  verify: () =>
    new Option(
      '--verify',
      'also compare built and installed modules byte for byte and check their vermagic; exit 12 if any differ',
    ),
  verifyLoad: () =>
    new Option(
      '--verify',
      'first boot each kernel under QEMU and load the built modules there, as `kmodforge verify` does; exit 15 if one does not load. build keeps such a build in the dkms tree; install does not install it, and what is installed there stays',
    ),
  verifyTimeout: () =>
    new Option(
      '--verify-timeout <seconds>',
      "the time limit of each --verify boot (default: that of verify's --timeout)",
    ).argParser((value) => parseSeconds('--verify-timeout', value)),
};

/** The options that name a module and its kernels. */
export const moduleOptions = [
  'module',
  'moduleVersion',
  'kernel',
  'arch',
] as const satisfies readonly CommandOptionName[];

/** The options of commands that build a module where it is not built yet (build, install, packages). */
export const buildOptions = [
  ...moduleOptions,
  'allKernels',
  'jobs',
  'force',
  'directive',
  'kernelSourceDir',
  'requireSignature',
  'noCache',
] as const satisfies readonly CommandOptionName[];

/** The options of commands that build and install for the kernels given (autoinstall and its hooks). */
export const autoinstallOptions = [
  'kernel',
  'arch',
  'jobs',
  'kernelSourceDir',
  'requireSignature',
  'noCache',
  'noDepmod',
] as const satisfies readonly CommandOptionName[];

/** Declares the options a command takes, in the order given; any other option is a usage error. */
export function addCommandOptions(command: Command, names: readonly CommandOptionName[]): Command {
  for (const name of names) command.addOption(commandOptions[name]());
  return command;
}

/**
 * Takes `--all` on a command only to refuse it with dkms's exit 5, as dkms 3.0.10 does for add, build and
 * install, rather than as an unknown option (exit 2).
 */
export function refuseAllOption(command: Command): Command {
  return command.addOption(new Option('--all').hideHelp());
}

function str(values: OptionValues, key: string): string | undefined {
  const value: unknown = values[key];
  return typeof value === 'string' ? value : undefined;
}

function strings(values: OptionValues, key: string): string[] {
  const value: unknown = values[key];
  return Array.isArray(value) ? value.map(String) : [];
}

/** Reads the typed global options out of commander's merged option values. */
export function readGlobalOptions(values: OptionValues): GlobalOptions {
  let module = str(values, 'm');
  let moduleVersion = str(values, 'v');
  if (module?.includes('/') === true) {
    const [name, version] = module.split('/', 2);
    module = name;
    moduleVersion ??= version;
  }
  const jobs: unknown = values['jobs'];
  return {
    root: str(values, 'root'),
    dkmsTree: str(values, 'dkmstree'),
    sourceTree: str(values, 'sourcetree'),
    installTree: str(values, 'installtree'),
    kernelSourceDir: str(values, 'kernelsourcedir'),
    kernels: strings(values, 'kernelver'),
    arches: strings(values, 'arch'),
    module,
    moduleVersion,
    directives: strings(values, 'directive').map(parseDirectiveOverride),
    jobs: typeof jobs === 'number' ? jobs : undefined,
    all: values['all'] === true,
    allKernels: values['allKernels'] === true,
    force: values['force'] === true,
    noDepmod: values['depmod'] === false,
    quiet: values['quiet'] === true,
    verbose: values['verbose'] === true,
    json: values['json'] === true,
    destDir: str(values, 'destdir'),
    templateKernel: str(values, 'templatekernel'),
    requireSignature: values['requireSignature'] === true,
    noCache: values['cache'] === false,
    dryRun: values['dryRun'] === true,
    verify: values['verify'] === true,
    verifyTimeout: typeof values['verifyTimeout'] === 'number' ? values['verifyTimeout'] : undefined,
  };
}
