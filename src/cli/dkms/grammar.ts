/**
 * dkms 3.0.10's command line, as data: its actions and its options in the order its parser tries them. The
 * `dkms` front end parses with it (parse-dkms-argv.ts), and the man page and bash completion are generated
 * from it, so the three cannot disagree.
 */

/** What an option does to the request; `value` options take the next argument or the text after `=`. */
export type DkmsOptionField =
  | 'module'
  | 'moduleVersion'
  | 'kernel'
  | 'templateKernel'
  | 'conf'
  | 'quiet'
  | 'version'
  | 'deprecated'
  | 'binariesOnly'
  | 'sourceOnly'
  | 'force'
  | 'forceVersionOverride'
  | 'all'
  | 'verbose'
  | 'rpmSafeUpgrade'
  | 'dkmsTree'
  | 'sourceTree'
  | 'installTree'
  | 'symlinkModules'
  | 'kernelConfig'
  | 'archive'
  | 'arch'
  | 'kernelSourceDir'
  | 'directive'
  | 'noDepmod'
  | 'modprobeOnInstall'
  | 'debug'
  | 'jobs';

export interface DkmsOption {
  /** The spellings: a `*` at the end matches any continuation, as dkms's `case` patterns do (`--arch*`). */
  patterns: readonly string[];
  field: DkmsOptionField;
  /** The value's name, for options that take one. */
  value?: string;
  description: string;
}

/** In dkms's order: the first pattern that matches wins (`--archive*` before `--arch*`). */
export const dkmsOptions: readonly DkmsOption[] = [
  {
    patterns: ['--module*', '-m'],
    field: 'module',
    value: 'module[/version]',
    description: 'the module (and its version)',
  },
  { patterns: ['-v'], field: 'moduleVersion', value: 'module-version', description: 'the module version' },
  {
    patterns: ['--kernelver*', '-k'],
    field: 'kernel',
    value: 'kernel[/arch]',
    description: 'a kernel to work on (repeatable)',
  },
  {
    patterns: ['--templatekernel*'],
    field: 'templateKernel',
    value: 'kernel',
    description: 'match: the kernel whose installed modules to install on -k',
  },
  { patterns: ['-c'], field: 'conf', value: 'dkms.conf-location', description: 'the dkms.conf to read' },
  { patterns: ['--quiet', '-q'], field: 'quiet', description: 'print nothing' },
  { patterns: ['--version', '-V'], field: 'version', description: 'print the version (dkms-3.0.10)' },
  { patterns: ['--no-initrd'], field: 'deprecated', description: 'deprecated; ignored with a warning' },
  { patterns: ['--no-clean-kernel'], field: 'deprecated', description: 'deprecated; ignored with a warning' },
  {
    patterns: ['--no-prepare-kernel'],
    field: 'deprecated',
    description: 'deprecated; ignored with a warning',
  },
  {
    patterns: ['--binaries-only'],
    field: 'binariesOnly',
    description: 'mktarball: leave the source out',
  },
  { patterns: ['--source-only'], field: 'sourceOnly', description: 'mktarball: leave the binaries out' },
  { patterns: ['--force'], field: 'force', description: 'redo what is done; override safety checks' },
  {
    patterns: ['--force-version-override'],
    field: 'forceVersionOverride',
    description: 'install even when the kernel has a newer version of the module',
  },
  { patterns: ['--all'], field: 'all', description: 'every kernel the module is built for' },
  { patterns: ['--verbose'], field: 'verbose', description: 'show the commands run' },
  {
    patterns: ['--rpm_safe_upgrade'],
    field: 'rpmSafeUpgrade',
    description: 'remove: for RPM %preun scripts',
  },
  { patterns: ['--dkmstree*'], field: 'dkmsTree', value: 'path', description: 'the dkms state tree' },
  {
    patterns: ['--sourcetree*'],
    field: 'sourceTree',
    value: 'path',
    description: 'where module sources live',
  },
  {
    patterns: ['--installtree*'],
    field: 'installTree',
    value: 'path',
    description: "the kernels' module trees",
  },
  {
    patterns: ['--symlink-modules'],
    field: 'symlinkModules',
    description: 'accepted; has no effect, as in dkms 3.0.10',
  },
  {
    patterns: ['--config*'],
    field: 'kernelConfig',
    value: 'kernel-.config-location',
    description: "the kernel's .config",
  },
  {
    patterns: ['--archive*'],
    field: 'archive',
    value: 'tarball-location',
    description: 'mktarball/ldtarball: the archive',
  },
  { patterns: ['--arch*', '-a'], field: 'arch', value: 'arch', description: 'the arch of each -k' },
  {
    patterns: ['--kernelsourcedir*'],
    field: 'kernelSourceDir',
    value: 'source-location',
    description: 'the kernel headers to build against',
  },
  {
    patterns: ['--directive*'],
    field: 'directive',
    value: 'cli-directive=cli-value',
    description: 'set a dkms.conf directive (repeatable)',
  },
  { patterns: ['--no-depmod'], field: 'noDepmod', description: 'do not run depmod' },
  {
    patterns: ['--modprobe-on-install'],
    field: 'modprobeOnInstall',
    description: 'load the module after installing it for the running kernel',
  },
  { patterns: ['--debug'], field: 'debug', description: 'accepted for compatibility' },
  { patterns: ['-j'], field: 'jobs', value: 'number', description: 'parallel make jobs' },
];

export interface DkmsAction {
  name: string;
  /** The module arguments it takes, for the man page. */
  synopsis: string;
  description: string;
  /** In dkms 3.0.10's `action_re`; the others are dkms 3.1's, which kmodforge also answers. */
  inDkms3010: boolean;
}

export const dkmsActions: readonly DkmsAction[] = [
  {
    name: 'add',
    synopsis: '[module/module-version] [/path/to/source-tree] [/path/to/tarball.tar]',
    description: 'register a module version in the DKMS tree',
    inDkms3010: true,
  },
  {
    name: 'remove',
    synopsis: '[module/module-version] [-k kernel/arch] [--all]',
    description: 'uninstall and unbuild, and unregister when no kernel is left',
    inDkms3010: true,
  },
  {
    name: 'build',
    synopsis: '[module/module-version] [-k kernel/arch]',
    description: 'build a module for a kernel',
    inDkms3010: true,
  },
  {
    name: 'unbuild',
    synopsis: '[module/module-version] [-k kernel/arch] [--all]',
    description: 'remove the built module of a kernel',
    inDkms3010: true,
  },
  {
    name: 'install',
    synopsis: '[module/module-version] [-k kernel/arch]',
    description: "install a built module into the kernel's module tree",
    inDkms3010: true,
  },
  {
    name: 'uninstall',
    synopsis: '[module/module-version] [-k kernel/arch] [--all]',
    description: 'uninstall a module, restoring the original one',
    inDkms3010: true,
  },
  {
    name: 'match',
    synopsis: '--templatekernel=kernel -k kernel [module]',
    description: 'install on a kernel the modules installed on another',
    inDkms3010: true,
  },
  {
    name: 'autoinstall',
    synopsis: '[-k kernel]',
    description: 'build and install every AUTOINSTALL module for a kernel',
    inDkms3010: true,
  },
  {
    name: 'mktarball',
    synopsis: '[module/module-version] [-k kernel/arch] [--archive=path] [--source-only] [--binaries-only]',
    description: 'write a tarball of the source and built modules',
    inDkms3010: true,
  },
  {
    name: 'ldtarball',
    synopsis: '[/path/to/tarball.tar] [--force]',
    description: 'load a tarball made by mktarball',
    inDkms3010: true,
  },
  {
    name: 'status',
    synopsis: '[module/module-version] [-k kernel/arch]',
    description: 'print the state of modules',
    inDkms3010: true,
  },
  {
    name: 'generate_mok',
    synopsis: '',
    description: 'create the module signing key and certificate (dkms 3.1)',
    inDkms3010: false,
  },
  {
    name: 'kernel_postinst',
    synopsis: '-k kernel',
    description: 'autoinstall for a kernel that was just installed (dkms 3.1)',
    inDkms3010: false,
  },
  {
    name: 'kernel_prerm',
    synopsis: '-k kernel',
    description: 'remove every module built for a kernel about to be removed (dkms 3.1)',
    inDkms3010: false,
  },
];

/** The version `dkms --version` prints: the dkms whose interface this front end keeps. */
export const dkmsVersion = '3.0.10';
