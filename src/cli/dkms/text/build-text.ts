/**
 * dkms 3.0.10's words for `build` (and the build `install` starts with), from facts: pure. Each kernel's
 * text is a transcript of chunks on stdout and stderr, printed in order once its work is done.
 */
import { formatDirectiveEcho } from './add-conf-errors.ts';
import { formatDkmsError } from './messages.ts';

/** What dkms prints for one kernel, in order, on its two streams. */
export interface DkmsTranscript {
  chunks: { stream: 'out' | 'err'; text: string }[];
  /** The exit status of dkms's per-kernel subshell: its `die` code, or 0. */
  status: number;
  /**
   * read_conf read this module's dkms.conf for the kernel already: dkms keeps the reading (last_mvka) for
   * the rest of the kernel's subshell, and so does not print its DIRECTIVE and deprecation lines again.
   */
  confRead: boolean;
}

export function newTranscript(): DkmsTranscript {
  return { chunks: [], status: 0, confRead: false };
}

export function say(t: DkmsTranscript, text: string): void {
  t.chunks.push({ stream: 'out', text });
}

export function sayErr(t: DkmsTranscript, text: string): void {
  t.chunks.push({ stream: 'err', text });
}

/**
 * What read_conf prints of a dkms.conf it sources: safe_source's deprecation warnings for each file sourced
 * (stderr), then each --directive (stdout).
 */
export function formatDkmsConfRead(facts: {
  files: readonly string[];
  deprecated: readonly string[];
  directives: readonly string[];
}): { out: string; err: string } {
  const err = facts.files
    .flatMap((file) => facts.deprecated.map((d) => `Deprecated feature: ${d} (${file})\n`))
    .join('');
  return { out: facts.directives.map(formatDirectiveEcho).join(''), err };
}

/** dkms's `die N lines…` inside a kernel's subshell: the error on stderr, and the subshell's status. */
export function die(t: DkmsTranscript, status: number, lines: readonly string[]): void {
  sayErr(t, formatDkmsError(lines));
  t.status = status;
}

/**
 * The dots dkms's invoke_command prints while a background command runs: one after each full 3 seconds
 * (the last, partial interval is cut short when the command ends).
 */
export function formatProgressDots(seconds: number | undefined): string {
  return '.'.repeat(Math.max(0, Math.floor((seconds ?? 0) / 3)));
}

/** The sign-file dkms uses when framework.conf names none (prepare_signing), before its -f fallback. */
export function planDkmsSignFile(kernel: string, distroId: string): string | undefined {
  // ${kernelver%.*}: everything before the last dot.
  if (distroId.startsWith('debian'))
    return `/usr/lib/linux-kbuild-${kernel.replace(/\.[^.]*$/, '')}/scripts/sign-file`;
  if (distroId.startsWith('ubuntu')) return `/usr/src/linux-headers-${kernel}/scripts/sign-file`;
  return undefined;
}

/** What prepare_signing decided before any key is generated. */
export type DkmsSigningStart =
  | { kind: 'no-sign-file'; lines: string[] }
  | { kind: 'keys'; lines: string[]; key: string; certificate: string; generate: boolean };

/**
 * prepare_signing up to the key generation: "Sign command:", then either the missing binary, or the key
 * and certificate dkms uses and whether it generates them (either file missing, for a non-pkcs11 key).
 */
export function planDkmsSigningStart(facts: {
  signFile: string;
  signFileUsable: boolean;
  key: string;
  certificate: string;
  keyExists: boolean;
  certificateExists: boolean;
}): DkmsSigningStart {
  const lines = [`Sign command: ${facts.signFile}`];
  if (!facts.signFileUsable) {
    lines.push(`Binary ${facts.signFile} not found, modules won't be signed`);
    return { kind: 'no-sign-file', lines };
  }
  lines.push(`Signing key: ${facts.key}`, `Public certificate (MOK): ${facts.certificate}`);
  const generate = !facts.key.startsWith('pkcs11:') && (!facts.keyExists || !facts.certificateExists);
  if (generate) lines.push('Certificate or key are missing, generating self signed certificate for MOK...');
  return { kind: 'keys', lines, key: facts.key, certificate: facts.certificate, generate };
}

/** The end of prepare_signing, after the generation: whether modules are signed, or why not. */
export function planDkmsSigningEnd(facts: {
  key: string;
  certificate: string;
  generated: boolean;
  keyExists: boolean;
  certificateExists: boolean;
}): { lines: string[]; signs: boolean } {
  if (facts.generated && !facts.keyExists)
    return {
      lines: [`Key file ${facts.key} not found and can't be generated, modules won't be signed`],
      signs: false,
    };
  if (!facts.certificateExists)
    return {
      lines: [
        `Certificate file ${facts.certificate} not found and can't be generated, modules won't be signed`,
      ],
      signs: false,
    };
  return { lines: [], signs: true };
}

/**
 * The make command line dkms prints: its make command with a leading "make" given -j and KERNELRELEASE
 * (`${make_command/#make/…}`), and CC=clang / LD=ld.lld for a kernel built with them.
 */
export function formatDkmsMakeLine(facts: {
  /** MAKE[] as dkms.conf gave it, or undefined for dkms's default. */
  confMake: string | undefined;
  kernelSourceDir: string;
  dkmsTree: string;
  module: string;
  version: string;
  kernel: string;
  parallelJobs: string;
  clang: boolean;
  lld: boolean;
}): string {
  let command =
    facts.confMake ??
    `make -C ${facts.kernelSourceDir} M=${facts.dkmsTree}/${facts.module}/${facts.version}/build`;
  if (facts.clang) command += ' CC=clang';
  if (facts.lld) command += ' LD=ld.lld';
  return command.startsWith('make')
    ? `make -j${facts.parallelJobs} KERNELRELEASE=${facts.kernel}${command.slice(4)}`
    : command;
}

/**
 * The make command kmodforge's build is given when dkms's make would refuse its -j: make 4.3 takes a
 * positive count after -j, or none, and on anything else ("abc", "00", "-2") fails at once with exit status
 * 2. A count with spaces around it is split from -j by the shell and read as the count. Undefined when make
 * takes the -j, or when the make line has none (its command does not start with `make`). Pure.
 */
export function planRefusedJobsMake(makeLine: string, parallelJobs: string): string | undefined {
  if (!makeLine.startsWith(`make -j${parallelJobs} `)) return undefined;
  if (/^\s*(0*[1-9]\d*)?\s*$/.test(parallelJobs)) return undefined;
  return `make -j${parallelJobs}`;
}

/** The module arguments dkms's add_module asks for, with its usage for `add`. */
export const dkmsAddUsage = [
  'Arguments <module> and <module-version> are not specified.',
  'Usage: add <module>/<module-version> or',
  '       add -m <module>/<module-version> or',
  '       add -m <module> -v <module-version>',
];

export function formatAlreadyBuilt(module: string, version: string, kernel: string, arch: string): string {
  return `Module ${module}/${version} already built for kernel ${kernel} (${arch}), skip. You may override by specifying --force.\n`;
}

export function formatNoHeaders(kernel: string): string[] {
  return [
    `Your kernel headers for kernel ${kernel} cannot be found at /lib/modules/${kernel}/build or /lib/modules/${kernel}/source.`,
    `Please install the linux-headers-${kernel} package or use the --kernelsourcedir option to tell DKMS where it's located.`,
  ];
}

export function formatBuildExclusive(baseDir: string, module: string): string[] {
  return [
    `The ${baseDir}/dkms.conf for module ${module} includes a BUILD_EXCLUSIVE directive which does not match this kernel/arch/config.`,
    'This indicates that it should not be built.',
  ];
}

export function formatBadReturnStatus(kernel: string, arch: string, buildDir: string): string[] {
  return [
    `Bad return status for module build on kernel: ${kernel} (${arch})`,
    `Consult ${buildDir}/make.log for more information.`,
  ];
}

export function formatBuiltModuleMissing(
  builtName: string,
  kernel: string,
  arch: string,
  buildDir: string,
): string[] {
  return [
    ` Build of ${builtName}.ko failed for: ${kernel} (${arch})`,
    'Make sure the name of the generated module is correct and at the root of the',
    'build directory, or consult make.log in the build directory',
    `${buildDir} for more information.`,
  ];
}

export function formatAlreadyBuiltOn(kernel: string, baseDir: string): string[] {
  return [
    `This module/version has already been built on: ${kernel}`,
    `Directory ${baseDir} already exists. Use the dkms remove function before trying to build again.`,
  ];
}
