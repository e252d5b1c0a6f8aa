import type { ErrorCode } from '../../errors.ts';
import type { ManBlock } from './man-page.ts';

/**
 * The parts of the man pages that no table holds, written by hand. Everything about commands and options
 * comes from the command table and the dkms grammar instead (kmodforge-man.ts, dkms-man.ts).
 */

export const kmodforgeDescription: readonly ManBlock[] = [
  {
    kind: 'paragraph',
    text: [
      { bold: 'kmodforge' },
      ' builds out-of-tree Linux kernel modules for every installed kernel and flavor, in parallel, installs ' +
        'them in one journaled transaction that a failure or a crash undoes, and packages them as RPM, DEB ' +
        'and dkms tarballs, all from one ',
      { italic: 'dkms.conf' },
      '.',
    ],
  },
  {
    kind: 'paragraph',
    text: [
      'It keeps the state tree of ',
      { bold: 'dkms' },
      ' and sources dkms.conf with bash as dkms does, so it takes over a system that dkms managed, and ' +
        'dkms can take it back. The ',
      { bold: 'dkms' },
      ' command it installs (',
      { bold: 'dkms' },
      '(8)) is the same program with the command line of dkms 3.0.10.',
    ],
  },
  {
    kind: 'paragraph',
    text: [
      'Global options may come before or after the command name. A module is named as ',
      { italic: 'module/version' },
      ', by ',
      { bold: '-m' },
      ' and ',
      { bold: '-v' },
      ", or, where the command's argument says so, by its source directory or its dkms.conf, which adds " +
        'it first as dkms does. Commands that change the state take a lock, so two of them never run at ' +
        'once; with ',
      { bold: '--dry-run' },
      ' they print their plan and change nothing.',
    ],
  },
];

export const kmodforgeFiles: readonly ManBlock[] = [
  {
    kind: 'item',
    term: [{ italic: '/var/lib/dkms' }],
    body: [
      [
        'The dkms state tree: a directory per module and version with its builds for each kernel (',
        { bold: '--dkmstree' },
        ').',
      ],
    ],
  },
  {
    kind: 'item',
    term: [{ italic: '/var/lib/dkms/.kmodforge.lock' }],
    body: [['The state lock, taken with flock(2), so that flock(1) and other kmodforge processes agree.']],
  },
  {
    kind: 'item',
    term: [{ italic: '/usr/src/' }, { italic: 'module' }, '-', { italic: 'version' }],
    body: [['The sources of an added module (', { bold: '--sourcetree' }, ').']],
  },
  {
    kind: 'item',
    term: [{ italic: '/lib/modules/' }, { italic: 'kernel' }],
    body: [
      [
        "A kernel's modules, where modules are installed, and its headers in ",
        { italic: 'build' },
        ' (',
        { bold: '--installtree' },
        ', ',
        { bold: '--kernelsourcedir' },
        ').',
      ],
    ],
  },
  {
    kind: 'item',
    term: [{ italic: '/etc/dkms/framework.conf' }, ', ', { italic: '/etc/dkms/framework.conf.d/*.conf' }],
    body: [["dkms's settings; read as data, never run."]],
  },
  {
    kind: 'item',
    term: [{ italic: '/etc/kmodforge/config' }],
    body: [
      [
        "kmodforge's own settings, in sections: [flavor NAME], [build] (jobs, cache_size), [signing] (key, " +
          'certificate, sign_file, require) and [package] (maintainer).',
      ],
    ],
  },
  {
    kind: 'item',
    term: [{ italic: '/var/lib/dkms/mok.key' }, ', ', { italic: '/var/lib/dkms/mok.pub' }],
    body: [['The module signing key and certificate, unless the settings name others.']],
  },
  {
    kind: 'item',
    term: [{ italic: '/var/cache/kmodforge/builds' }],
    body: [
      [
        'The build cache: finished builds by the hash of everything they were made from (',
        { bold: 'kmodforge cache' },
        ').',
      ],
    ],
  },
  {
    kind: 'paragraph',
    text: [
      'Every path above hangs off ',
      { bold: '--root' },
      ' when it is given, and under it the three trees move with their own options.',
    ],
  },
];

export const kmodforgeEnvironment: readonly ManBlock[] = [
  {
    kind: 'item',
    term: [{ bold: 'MAKEFLAGS' }],
    body: [
      [
        'Its ',
        { bold: '-j' },
        ' is the job budget when neither ',
        { bold: '-j' },
        ', the configuration nor framework.conf sets one.',
      ],
    ],
  },
  {
    kind: 'item',
    term: [{ bold: 'SOURCE_DATE_EPOCH' }],
    body: [['The time stamped into packages and tarballs, for reproducible builds.']],
  },
  {
    kind: 'item',
    term: [{ bold: 'GNUPGHOME' }],
    body: [['The keyring that signs RPMs (', { bold: 'mkrpm --gpg-key' }, ').']],
  },
  {
    kind: 'item',
    term: [{ bold: 'NO_COLOR' }],
    body: [['When set, errors and warnings are not coloured.']],
  },
  {
    kind: 'item',
    term: [{ bold: 'TERM' }],
    body: [['When ', { italic: 'dumb' }, ', builds show no live progress view on a terminal.']],
  },
  {
    kind: 'item',
    term: [{ bold: 'PATH' }],
    body: [['Where make, the compiler, depmod, rpmbuild and the other tools are found.']],
  },
];

/**
 * What each error code means, for EXIT STATUS; several codes share an exit status, as in dkms. Each starts
 * with a plain word, which the page capitalizes.
 */
export const exitCodeMeanings: Readonly<Record<ErrorCode, string>> = {
  USAGE: 'a bad command line',
  NOT_PERMITTED: 'not permitted (run it as root, or point the trees somewhere writable)',
  MISSING_ARGS: 'an argument the command needs is missing',
  NO_SOURCE_DIR: 'the module source directory is missing',
  ALREADY_ADDED: 'the module version is already added',
  NOT_ADDED: 'the module version is not added',
  CONF_NOT_FOUND: 'no dkms.conf',
  KERNEL_COUNT: 'the command needs one kernel, or the kernels and arches given do not pair up',
  BROKEN_MODULE: 'an unfinished transaction whose journal kmodforge cannot read or undo',
  ALL_BANNED: 'the command does not take --all',
  PATCH_INVALID: 'a PATCH of dkms.conf is missing or misplaced',
  PATCH_FAILED: 'a patch did not apply',
  INSTALL_FAILED: 'the install failed',
  DEPMOD_FAILED: 'depmod failed',
  BUILT_MODULE_MISSING: 'the build did not make a module dkms.conf names',
  CONF_INVALID: 'an invalid dkms.conf',
  CONF_FAILED: 'sourcing dkms.conf failed',
  ARCHIVE_INVALID: 'the tarball is not one kmodforge or dkms can load',
  BUILD_FAILED: 'the build failed',
  SIGN_FAILED: 'a module could not be signed and a signature is required',
  AUTOINSTALL_FAILED: 'a module failed to autoinstall',
  VERIFY_FAILED: 'a module that differs from its build, found by status --verify',
  MISSING_DEPENDS: 'a module of BUILD_DEPENDS is not installed for the kernel',
  DOCTOR_PROBLEM: 'a problem found by doctor (warnings alone exit 0)',
  LOAD_FAILED: 'a module did not load, oopsed or warned in the kernel verify booted',
  NO_HEADERS: 'the kernel has no headers',
  CONFIG_INVALID: 'an invalid configuration of kmodforge or dkms',
  COMMAND_FAILED: 'a command or a file operation failed',
  VERSION_SANITY: 'the kernel already has a newer version of the module',
  BUILD_EXCLUSIVE: 'the module does not build for this kernel (BUILD_EXCLUSIVE)',
  PRE_INSTALL_FAILED: 'the PRE_INSTALL script refused the install',
};

export const dkmsDescription: readonly ManBlock[] = [
  {
    kind: 'paragraph',
    text: [
      'This ',
      { bold: 'dkms' },
      ' is the front end of ',
      { bold: 'kmodforge' },
      "(1) with dkms 3.0.10's interface: the same actions, options and positional forms (",
      { bold: '-m' },
      '/',
      { bold: '-v' },
      ' or ',
      { italic: 'module/module-version' },
      ', actions spelled with underscores, options anywhere on the line), the same output on standard ' +
        'output and standard error, and the same exit codes. Scripts written for dkms, such as the ' +
        "maintainer scripts of Debian's *-dkms packages, run it unchanged.",
    ],
  },
  {
    kind: 'paragraph',
    text: [
      "Behind that interface the work is kmodforge's: modules build for several kernels in parallel, " +
        'installs are one journaled transaction, and the state tree, ',
      { italic: '/var/lib/dkms' },
      ', is the one dkms keeps. The actions marked dkms 3.1 are answered as dkms 3.1 answers them.',
    ],
  },
];

export const dkmsFiles: readonly ManBlock[] = [
  {
    kind: 'item',
    term: [{ italic: '/var/lib/dkms' }],
    body: [['The state tree (', { bold: '--dkmstree' }, ').']],
  },
  {
    kind: 'item',
    term: [{ italic: '/usr/src/' }, { italic: 'module' }, '-', { italic: 'module-version' }],
    body: [['The sources of an added module, with its dkms.conf (', { bold: '--sourcetree' }, ').']],
  },
  {
    kind: 'item',
    term: [{ italic: '/lib/modules/' }, { italic: 'kernel' }],
    body: [['Where modules are installed (', { bold: '--installtree' }, ').']],
  },
  {
    kind: 'item',
    term: [{ italic: '/etc/dkms/framework.conf' }, ', ', { italic: '/etc/dkms/framework.conf.d/*.conf' }],
    body: [['The settings, read as data, never run.']],
  },
];
