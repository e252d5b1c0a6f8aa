/**
 * What `kmodforge doctor` makes of the facts it read (src/commands/doctor.ts): one finding per thing
 * checked, each with a severity, a line naming the kernel, module or path, and what to do. Pure: the
 * facts come in as data, so every judgement can be tested without a system to judge.
 */
import path from 'node:path';
import { planKernelCc } from '../build/make-command.ts';
import type { KernelInfo } from '../kernel/discover.ts';
import type { KernelRelease } from '../kernel/release.ts';
import { ok, problem, warning, type DoctorFinding } from './doctor-finding.ts';
import {
  planModuleFindings,
  planStateFindings,
  type ModuleFacts,
  type StateFacts,
} from './doctor-state-checks.ts';

export type { DoctorFinding } from './doctor-finding.ts';

export interface DoctorKernel {
  kernel: KernelInfo;
  /** `uname -r` of this machine. */
  running: boolean;
  /** <installTree>/<K> holds the kernel's own modules (its image is installed), not only headers or ours. */
  hasModules: boolean;
}

export interface CompilerFacts {
  /** The command, as make gets it (`gcc-12`, `gcc`, `clang`). */
  command: string;
  /** Where PATH finds it; undefined when it is not there. */
  file: string | undefined;
  /** The first line of `<command> --version`; undefined when it did not run or printed nothing. */
  versionLine: string | undefined;
}

export type EnrollmentFacts = { kind: 'mokutil'; output: string } | { kind: 'unknown'; reason: string };

export interface SecureBootFacts {
  /** <root>/sys/firmware/efi exists: the system booted through EFI. */
  efi: boolean;
  /** <root>/sys/firmware/efi/efivars/SecureBoot-<guid>. */
  variableFile: string;
  /** Its bytes (4 bytes of attributes, then the value); undefined when it does not exist. */
  variable: Uint8Array | undefined;
  certificate: string;
  certificateExists: boolean;
  /** The command that enrolls the certificate (mokutil --import …). */
  enrollCommand: string;
  /** What `mokutil --test-key` said, read only when Secure Boot is on and the certificate exists. */
  enrollment: EnrollmentFacts | undefined;
}

export interface LockHolder {
  pid: number;
  /** Its command line, when /proc still shows it. */
  command: string | undefined;
}

/** A dkms 3.0.10 `--rpm_safe_upgrade` lock: `$TMPDIR/dkms_rpm_safe_upgrade_lock.<ppid>.XXXXXX`. */
export interface DkmsUpgradeLock {
  file: string;
  pid: number;
  /** Its first line: `<module>-<version>`. */
  module: string;
  /** Its last line: the start time of `pid` as `ps -o lstart` printed it when dkms wrote the file. */
  recordedStart: string;
  /** The start time of the process with that pid now; undefined when there is none. */
  liveStart: string | undefined;
}

export interface LockFacts {
  /** <dkmsTree>/.kmodforge.lock. */
  file: string;
  /** Processes holding flock(2) on it (from /proc/locks). */
  holders: LockHolder[];
  dkmsLocks: DkmsUpgradeLock[];
}

export interface RootFacts {
  /** --root: the system checked, '/' for this machine. */
  dir: string;
  exists: boolean;
  /** Where kernels' module trees are looked for (<root>/lib/modules, or --installtree). */
  installTree: string;
}

export interface DoctorFacts {
  root: RootFacts;
  kernels: DoctorKernel[];
  /** The compiler each kernel's builds would use, by release (kernels with headers and a .config). */
  compilerOf: ReadonlyMap<string, CompilerFacts>;
  secureBoot: SecureBootFacts;
  state: StateFacts;
  modules: ModuleFacts;
  lock: LockFacts;
}

/**
 * Every finding, in the order of the checks: kernels, compilers, Secure Boot, state, modules, lock. A root
 * that does not exist is the one finding: every other check would find nothing and call that ok.
 */
export function planDoctorFindings(facts: DoctorFacts): DoctorFinding[] {
  const { root } = facts;
  if (!root.exists) {
    return [
      warning(
        'root',
        `${root.dir} does not exist: there is no system to check`,
        `give --root the directory that holds the system (its /lib/modules, /var/lib/dkms and /etc/dkms)`,
        root.dir,
      ),
    ];
  }
  return [
    ...planHeaderFindings(facts),
    ...planCompilerFindings(facts.kernels, facts.compilerOf),
    ...planSecureBootFindings(facts.secureBoot),
    ...planStateFindings(facts.state, facts.lock.holders),
    ...planModuleFindings(facts.modules),
    ...planLockFindings(facts.lock),
  ];
}

/** The packaging of each family, as the command that installs a kernel's headers. */
export function planHeadersInstall(kernel: KernelRelease, modulesDir: string): string {
  const { release, flavor } = kernel;
  switch (kernel.family) {
    case 'debian':
    case 'ubuntu':
      return `apt-get install linux-headers-${release}`;
    case 'fedora':
    case 'rhel':
      return `dnf install "kernel-devel-uname-r == ${release}"`;
    case 'suse':
      return `zypper install kernel-${flavor === '' ? 'default' : flavor}-devel`;
    case 'arch': {
      const variant = flavor.replace(/-?ARCH$/, '');
      return `pacman -S linux${variant === '' ? '' : `-${variant}`}-headers`;
    }
    case 'redhat-legacy':
      return `install the kernel-source (2.4) or kernel${flavor === '' ? '' : `-${flavor}`}-devel (2.6) package of ${release}`;
    case 'custom':
    case 'unknown':
      return `install the headers of ${release} so that ${modulesDir}/build/include exists, or point --kernelsourcedir at them`;
  }
}

/**
 * Kernels whose image is installed (or that run) without headers. Modules added to the dkms tree and not
 * installed for such a kernel cannot be built for it: that is a problem; with none, a warning. No kernel
 * at all is a warning too: nothing can be built, and every other check has little to look at.
 */
function planHeaderFindings(facts: DoctorFacts): DoctorFinding[] {
  const findings = planKernelHeaderFindings(facts);
  if (findings.length > 0) return findings;
  const { dir, installTree } = facts.root;
  const where = [installTree, path.join(dir, 'usr/src/kernels'), path.join(dir, 'usr/src/linux-obj')];
  return [
    warning(
      'headers',
      `no kernel found: no kernel's modules or headers in ${where.join(', ')}: nothing to build modules for`,
      `install a kernel and its headers, or point --root (or --installtree) at the system to check`,
      installTree,
    ),
  ];
}

function planKernelHeaderFindings(facts: DoctorFacts): DoctorFinding[] {
  const findings: DoctorFinding[] = [];
  for (const { kernel, running, hasModules } of facts.kernels) {
    const name = `${kernel.release}${running ? ' (running)' : ''}`;
    if (kernel.headersDir !== undefined) {
      findings.push(ok('headers', `${name}: headers in ${kernel.headersDir}`, kernel.headersDir));
      continue;
    }
    if (!hasModules && !running) continue;
    const waiting = facts.state.versions
      .filter(
        (v) =>
          !v.broken &&
          !facts.state.versions.some(
            (w) => w.module === v.module && w.builds.some((b) => b.kernel === kernel.release && b.installed),
          ),
      )
      .map((v) => `${v.module}/${v.version}`);
    const buildDir = `${kernel.modulesDir}/build`;
    findings.push(
      (waiting.length === 0 ? warning : problem)(
        'headers',
        `${name}: no headers (no ${buildDir}/include); ${waiting.length === 0 ? 'no module can be built for it' : `${waiting.join(', ')} cannot be built for it`}`,
        planHeadersInstall(kernel, kernel.modulesDir),
        buildDir,
      ),
    );
  }
  return findings;
}

/**
 * The compiler a build for the kernel runs: LLVM=1's clang, the kernel's own (planKernelCc: `gcc-12`) when
 * PATH has it, else make's default gcc; as build-plan.ts decides.
 */
export function planBuildCompiler(kernel: KernelInfo, kernelCcOnPath: boolean): string {
  if (kernel.config?.compiler.clang === true) return 'clang';
  const cc = planKernelCc(kernel.config);
  return cc !== undefined && kernelCcOnPath ? cc : 'gcc';
}

export interface CompilerVersion {
  major: number;
  minor: number;
  /** As written: "12.2.0". */
  text: string;
}

/**
 * The version in a compiler's banner: clang's "version 14.0.6", else gcc's first dotted number standing
 * alone ("gcc-12 (Debian 12.2.0-14) 12.2.0", "gcc (GCC) 13.2.1 20231011 (Red Hat 13.2.1-4)").
 */
export function parseCompilerVersion(line: string): CompilerVersion | undefined {
  const clang = /\bversion (\d+)\.(\d+)(?:\.\d+)*/.exec(line);
  const token = line.split(/\s+/).find((t) => /^\d+\.\d+(?:\.\d+)*$/.test(t));
  const text = clang?.[0].slice('version '.length) ?? token;
  if (text === undefined) return undefined;
  const [major = 0, minor = 0] = text.split('.').map(Number);
  return { major, minor, text };
}

/** The Debian package that ships a compiler command (gcc-12, clang-16), where the family has one. */
function planCompilerInstall(kernel: KernelInfo, command: string): string {
  return kernel.family === 'debian' || kernel.family === 'ubuntu'
    ? `apt-get install ${command}`
    : `install ${command}`;
}

/**
 * Each kernel's compiler (CONFIG_CC_VERSION_TEXT) against the one its builds would run: another major
 * version is a problem (modules may not build, or not load), another minor one a warning.
 */
function planCompilerFindings(
  kernels: readonly DoctorKernel[],
  compilerOf: ReadonlyMap<string, CompilerFacts>,
): DoctorFinding[] {
  const findings: DoctorFinding[] = [];
  for (const { kernel } of kernels) {
    const compiler = compilerOf.get(kernel.release);
    if (kernel.headersDir === undefined || compiler === undefined) continue;
    const release = kernel.release;
    const text = kernel.config?.compiler.versionText;
    if (text === undefined) {
      findings.push(
        ok(
          'compiler',
          `${release}: its .config does not say which compiler built it (no CONFIG_CC_VERSION_TEXT); not compared`,
          kernel.config?.file,
        ),
      );
      continue;
    }
    const kernelCc =
      kernel.config?.compiler.clang === true ? 'clang' : (planKernelCc(kernel.config) ?? 'gcc');
    const configFile = kernel.config?.file;
    if (compiler.file === undefined || compiler.versionLine === undefined) {
      findings.push(
        problem(
          'compiler',
          `${release}: built by "${text}", and ${compiler.file === undefined ? `no ${compiler.command} is on PATH` : `${compiler.file} --version printed nothing`} to build its modules`,
          planCompilerInstall(kernel, kernelCc),
          compiler.file ?? configFile,
        ),
      );
      continue;
    }
    const built = parseCompilerVersion(text);
    const used = parseCompilerVersion(compiler.versionLine);
    const uses = `builds run ${compiler.file}`;
    if (built === undefined || used === undefined) {
      findings.push(
        warning(
          'compiler',
          `${release}: built by "${text}"; ${uses}; cannot read ${built === undefined ? "the kernel's" : "the compiler's"} version to compare them`,
          `check by hand that ${compiler.command} is the compiler of "${text}"`,
          compiler.file,
        ),
      );
      continue;
    }
    if (built.major === used.major && built.minor === used.minor) {
      findings.push(
        ok(
          'compiler',
          `${release}: built by ${kernelCc} ${built.text}, and ${uses} ${used.text}`,
          compiler.file,
        ),
      );
      continue;
    }
    const major = built.major !== used.major;
    findings.push(
      (major ? problem : warning)(
        'compiler',
        `${release}: built by "${text}", but ${uses}, ${used.text}: another ${major ? 'major' : 'minor'} version`,
        major
          ? `install the kernel's compiler ${built.text} (${planCompilerInstall(kernel, kernelCc)}), or use a kernel built by ${used.text}`
          : `usually harmless; to match, install the kernel's compiler ${built.text} or update the kernel to one built by ${used.text}`,
        compiler.file,
      ),
    );
  }
  return findings;
}

/** Secure Boot's state from its EFI variable: 4 bytes of attributes, then 1 (on) or 0 (off). */
export function parseSecureBootVariable(bytes: Uint8Array): 'on' | 'off' | undefined {
  const value = bytes[4];
  return value === 1 ? 'on' : value === 0 ? 'off' : undefined;
}

/** What `mokutil --test-key <cert>` says of the certificate. */
export function parseMokutilTestKey(output: string): 'enrolled' | 'pending' | 'not-enrolled' | undefined {
  if (/is already enrolled/.test(output)) return 'enrolled';
  if (/already in the enrollment request/.test(output)) return 'pending';
  if (/is not enrolled/.test(output)) return 'not-enrolled';
  return undefined;
}

function planSecureBootFindings(facts: SecureBootFacts): DoctorFinding[] {
  const { variableFile, certificate } = facts;
  if (!facts.efi) return [ok('secure-boot', 'not booted through EFI: Secure Boot does not apply', undefined)];
  if (facts.variable === undefined)
    return [ok('secure-boot', `Secure Boot is off (no ${variableFile})`, variableFile)];
  const state = parseSecureBootVariable(facts.variable);
  if (state === undefined) {
    return [
      warning(
        'secure-boot',
        `cannot read Secure Boot's state from ${variableFile} (${facts.variable.length} bytes)`,
        'check with mokutil --sb-state',
        variableFile,
      ),
    ];
  }
  if (state === 'off') return [ok('secure-boot', `Secure Boot is off (${variableFile})`, variableFile)];
  const enroll = `${facts.enrollCommand}, reboot, and confirm the key in MokManager`;
  if (!facts.certificateExists) {
    return [
      problem(
        'secure-boot',
        `Secure Boot is on, and the signing certificate ${certificate} does not exist: the kernel refuses unsigned modules`,
        `kmodforge generate-mok, then ${enroll}; then rebuild: kmodforge autoinstall --force`,
        certificate,
      ),
    ];
  }
  const enrollment = facts.enrollment ?? { kind: 'unknown', reason: 'it was not asked' };
  const said = enrollment.kind === 'mokutil' ? parseMokutilTestKey(enrollment.output) : undefined;
  switch (said) {
    case 'enrolled':
      return [ok('secure-boot', `Secure Boot is on, and ${certificate} is enrolled`, certificate)];
    case 'pending':
      return [
        warning(
          'secure-boot',
          `Secure Boot is on, and ${certificate} is waiting to be enrolled`,
          'reboot and confirm the key in MokManager',
          certificate,
        ),
      ];
    case 'not-enrolled':
      return [
        problem(
          'secure-boot',
          `Secure Boot is on, and ${certificate} is not enrolled: the kernel refuses the modules kmodforge signs with it`,
          enroll,
          certificate,
        ),
      ];
    case undefined: {
      const why =
        enrollment.kind === 'unknown'
          ? enrollment.reason
          : `mokutil said "${enrollment.output.trim().split('\n')[0] ?? ''}"`;
      return [
        warning(
          'secure-boot',
          `Secure Boot is on; cannot tell whether ${certificate} is enrolled (${why})`,
          `check with mokutil --test-key ${certificate}; enroll it with ${enroll}`,
          certificate,
        ),
      ];
    }
  }
}

/** One flock(2) or POSIX lock of /proc/locks: who holds it on which file (waiters are left out). */
export interface ProcLock {
  pid: number;
  major: number;
  minor: number;
  inode: bigint;
}

/** Parses /proc/locks: `1: FLOCK  ADVISORY  WRITE 2236 fe:00:2424896 0 EOF`; `->` lines are waiters. */
export function parseProcLocks(text: string): ProcLock[] {
  const locks: ProcLock[] = [];
  for (const line of text.split('\n')) {
    const m = /^\d+:\s+(\S+)\s+\S+\s+\S+\s+(-?\d+)\s+([0-9a-f]+):([0-9a-f]+):(\d+)\s/.exec(line);
    if (m === null || m[1] === '->') continue;
    const pid = Number(m[2]);
    if (pid <= 0) continue;
    locks.push({
      pid,
      major: parseInt(m[3] ?? '', 16),
      minor: parseInt(m[4] ?? '', 16),
      inode: BigInt(m[5] ?? '0'),
    });
  }
  return locks;
}

/** The pids holding a lock on the file with this st_dev and st_ino (glibc's encoding of dev_t). */
export function planLockHolders(locks: readonly ProcLock[], dev: bigint, inode: bigint): number[] {
  const major = Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn));
  const minor = Number((dev & 0xffn) | ((dev >> 12n) & ~0xffn));
  const pids = locks
    .filter((l) => l.inode === inode && l.major === major && l.minor === minor)
    .map((l) => l.pid);
  return [...new Set(pids)];
}

function planLockFindings(lock: LockFacts): DoctorFinding[] {
  const findings: DoctorFinding[] = [];
  if (lock.holders.length === 0) {
    findings.push(ok('lock', `${lock.file} is free`, lock.file));
  }
  for (const holder of lock.holders) {
    const who = `pid ${holder.pid}${holder.command === undefined ? '' : ` (${holder.command})`}`;
    findings.push(
      warning(
        'lock',
        `${lock.file} is held by ${who}: commands that change the state wait for it`,
        `let it finish; if it is stuck, end it (kill ${holder.pid}). Do not remove the file: the lock is the open file, and another kmodforge could take it twice`,
        lock.file,
      ),
    );
  }
  for (const d of lock.dkmsLocks) {
    if (d.liveStart !== undefined && d.liveStart.trim() === d.recordedStart.trim()) {
      findings.push(
        ok(
          'lock',
          `${d.file}: dkms --rpm_safe_upgrade lock of ${d.module}, held by the running pid ${d.pid}`,
          d.file,
        ),
      );
      continue;
    }
    findings.push(
      warning(
        'lock',
        `${d.file}: stale dkms --rpm_safe_upgrade lock of ${d.module} (pid ${d.pid} ${d.liveStart === undefined ? 'is gone' : 'is another process now'})`,
        `rm ${d.file} (only the package transaction that wrote it reads it, and it has ended)`,
        d.file,
      ),
    );
  }
  return findings;
}

/** The exit status's question: did any check find a problem (warnings allowed)? */
export function hasProblem(findings: readonly DoctorFinding[]): boolean {
  return findings.some((f) => f.severity === 'problem');
}
