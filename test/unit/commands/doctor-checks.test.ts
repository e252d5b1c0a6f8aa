import { describe, expect, it } from 'vitest';
import {
  hasProblem,
  parseCompilerVersion,
  parseMokutilTestKey,
  parseProcLocks,
  parseSecureBootVariable,
  planBuildCompiler,
  planDoctorFindings,
  planHeadersInstall,
  planLockHolders,
  type CompilerFacts,
  type DoctorFacts,
  type DoctorKernel,
  type SecureBootFacts,
} from '../../../src/commands/doctor-checks.ts';
import type { VersionFacts } from '../../../src/commands/doctor-state-checks.ts';
import type { KernelInfo } from '../../../src/kernel/discover.ts';
import { parseKernelConfig, planConfigFacts } from '../../../src/kernel/kconfig.ts';
import { parseKernelRelease } from '../../../src/kernel/release.ts';

const gcc12Text = 'gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0';

function kernel(release: string, options: { headers?: boolean; config?: string } = {}): KernelInfo {
  const headersDir = options.headers === false ? undefined : `/usr/src/linux-headers-${release}`;
  const config =
    options.config === undefined
      ? undefined
      : planConfigFacts(`${headersDir ?? '/boot'}/.config`, parseKernelConfig(options.config));
  return {
    ...parseKernelRelease(release),
    modulesDir: `/lib/modules/${release}`,
    headersDir,
    sourceDir: headersDir,
    config,
  };
}

const ccConfig = (text: string, clang = false): string =>
  `CONFIG_CC_VERSION_TEXT="${text}"\n${clang ? 'CONFIG_CC_IS_CLANG=y\n' : ''}`;

const noEfi: SecureBootFacts = {
  efi: false,
  variableFile: '/sys/firmware/efi/efivars/SecureBoot-x',
  variable: undefined,
  certificate: '/var/lib/dkms/mok.pub',
  certificateExists: false,
  enrollCommand: 'mokutil --import /var/lib/dkms/mok.pub',
  enrollment: undefined,
};

function facts(overrides: Partial<DoctorFacts> = {}): DoctorFacts {
  return {
    root: { dir: '/', exists: true, installTree: '/lib/modules' },
    kernels: [],
    compilerOf: new Map(),
    secureBoot: noEfi,
    state: {
      dkmsTree: '/var/lib/dkms',
      treeExists: true,
      versions: [],
      kernelLinks: [],
      workDirs: [],
      sharedBuilds: [],
      journal: { kind: 'none' },
    },
    modules: { checked: 0, findings: [] },
    lock: { file: '/var/lib/dkms/.kmodforge.lock', holders: [], dkmsLocks: [] },
    ...overrides,
  };
}

const of = (f: DoctorFacts, check: string) =>
  planDoctorFindings(f).filter((finding) => finding.check === check);

describe('planHeadersInstall', () => {
  it.each([
    ['6.1.0-56-amd64', 'apt-get install linux-headers-6.1.0-56-amd64'],
    ['6.8.0-45-generic', 'apt-get install linux-headers-6.8.0-45-generic'],
    ['6.11.4-301.fc41.x86_64', 'dnf install "kernel-devel-uname-r == 6.11.4-301.fc41.x86_64"'],
    ['5.14.0-427.13.1.el9_4.x86_64', 'dnf install "kernel-devel-uname-r == 5.14.0-427.13.1.el9_4.x86_64"'],
    ['6.4.0-150600.23.7-default', 'zypper install kernel-default-devel'],
    ['6.6.1-arch1-1', 'pacman -S linux-headers'],
    ['6.6.1-zen1-1-zen', 'pacman -S linux-zen-headers'],
    ['6.6.58-1-lts', 'pacman -S linux-lts-headers'],
  ])('%s: %s', (release, command) => {
    expect(planHeadersInstall(parseKernelRelease(release), `/lib/modules/${release}`)).toBe(command);
  });

  it('names the build directory for a kernel no distro made', () => {
    expect(planHeadersInstall(parseKernelRelease('6.18.44-fc-v657'), '/lib/modules/6.18.44-fc-v657')).toMatch(
      '/lib/modules/6.18.44-fc-v657/build/include',
    );
  });
});

describe('the headers check', () => {
  const missing: DoctorKernel = {
    kernel: kernel('6.1.0-99-amd64', { headers: false }),
    running: false,
    hasModules: true,
  };
  const version = (builds: VersionFacts['builds']): VersionFacts => ({
    module: 'hello',
    version: '1.0',
    broken: false,
    sourceLink: '/var/lib/dkms/hello/1.0/source',
    sourceTarget: '/usr/src/hello-1.0',
    hasConf: true,
    builds,
  });

  it('is a warning when no module waits for the kernel, naming its package', () => {
    const [finding] = of(facts({ kernels: [missing] }), 'headers');
    expect(finding).toMatchObject({
      severity: 'warning',
      action: 'apt-get install linux-headers-6.1.0-99-amd64',
      path: '/lib/modules/6.1.0-99-amd64/build',
    });
    expect(finding?.summary).toMatch(/^6\.1\.0-99-amd64: no headers/);
  });

  it('is a problem when an added module is not installed for it', () => {
    const state = { ...facts().state, versions: [version([])] };
    const [finding] = of(facts({ kernels: [missing], state }), 'headers');
    expect(finding?.severity).toBe('problem');
    expect(finding?.summary).toMatch('hello/1.0 cannot be built for it');
  });

  it('is a warning when the module is already installed for it', () => {
    const state = {
      ...facts().state,
      versions: [version([{ kernel: '6.1.0-99-amd64', arch: 'x86_64', installed: true }])],
    };
    expect(of(facts({ kernels: [missing], state }), 'headers')[0]?.severity).toBe('warning');
  });

  it('checks the running kernel, and skips a directory with neither modules nor headers', () => {
    const leftover = { ...missing, hasModules: false };
    expect(of(facts({ kernels: [leftover, missing] }), 'headers')).toHaveLength(1);
    const [running] = of(facts({ kernels: [{ ...leftover, running: true }] }), 'headers');
    expect(running?.summary).toMatch(/^6\.1\.0-99-amd64 \(running\): no headers/);
  });

  it('is a warning when no kernel is found, naming where it looked', () => {
    const leftover = { ...missing, hasModules: false };
    const root = { dir: '/srv/image', exists: true, installTree: '/srv/image/lib/modules' };
    const expected = [
      {
        check: 'headers',
        severity: 'warning',
        summary:
          "no kernel found: no kernel's modules or headers in /srv/image/lib/modules, /srv/image/usr/src/kernels, /srv/image/usr/src/linux-obj: nothing to build modules for",
        action: 'install a kernel and its headers, or point --root (or --installtree) at the system to check',
        path: '/srv/image/lib/modules',
      },
    ];
    expect(of(facts({ root, kernels: [] }), 'headers')).toEqual(expected);
    expect(of(facts({ root, kernels: [leftover] }), 'headers')).toEqual(expected);
  });

  it('is ok for a kernel with headers', () => {
    const k = { kernel: kernel('6.1.0-56-amd64'), running: false, hasModules: true };
    expect(of(facts({ kernels: [k] }), 'headers')).toEqual([
      expect.objectContaining({ severity: 'ok', action: undefined }),
    ]);
  });
});

describe('parseCompilerVersion', () => {
  it.each([
    [gcc12Text, 12, 2, '12.2.0'],
    ['gcc (Debian 12.2.0-14+deb12u1) 12.2.0', 12, 2, '12.2.0'],
    ['gcc (GCC) 13.2.1 20231011 (Red Hat 13.2.1-4)', 13, 2, '13.2.1'],
    ['Debian clang version 14.0.6', 14, 0, '14.0.6'],
    ['Ubuntu clang version 14.0.0-1ubuntu1.1', 14, 0, '14.0.0'],
    ['clang version 16.0.6 (Fedora 16.0.6-3.fc38)', 16, 0, '16.0.6'],
  ])('%s', (line, major, minor, text) => {
    expect(parseCompilerVersion(line)).toEqual({ major, minor, text });
  });

  it('finds none in a banner without a version', () => {
    expect(parseCompilerVersion('cc: some compiler')).toBeUndefined();
  });
});

describe('planBuildCompiler', () => {
  it("is the kernel's compiler when on PATH, else gcc, and clang for clang kernels", () => {
    const gccKernel = kernel('6.1.0-56-amd64', { config: ccConfig(gcc12Text) });
    expect(planBuildCompiler(gccKernel, true)).toBe('gcc-12');
    expect(planBuildCompiler(gccKernel, false)).toBe('gcc');
    const clangKernel = kernel('6.1.0-56-amd64', { config: ccConfig('Debian clang version 14.0.6', true) });
    expect(planBuildCompiler(clangKernel, false)).toBe('clang');
    expect(planBuildCompiler(kernel('6.1.0-56-amd64'), true)).toBe('gcc');
  });
});

describe('the compiler check', () => {
  const withCompiler = (kernelText: string, compiler: CompilerFacts) => {
    const k = kernel('6.1.0-56-amd64', { config: ccConfig(kernelText) });
    return of(
      facts({
        kernels: [{ kernel: k, running: false, hasModules: true }],
        compilerOf: new Map([[k.release, compiler]]),
      }),
      'compiler',
    );
  };
  const gcc = (versionLine: string | undefined, command = 'gcc-12'): CompilerFacts => ({
    command,
    file: `/usr/bin/${command}`,
    versionLine,
  });

  it('is ok for the same major and minor version', () => {
    expect(withCompiler(gcc12Text, gcc(gcc12Text))).toEqual([
      expect.objectContaining({
        severity: 'ok',
        summary: '6.1.0-56-amd64: built by gcc-12 12.2.0, and builds run /usr/bin/gcc-12 12.2.0',
      }),
    ]);
  });

  it('is a warning for another minor version', () => {
    const [finding] = withCompiler('gcc-12 (Debian 12.3.0-1) 12.3.0', gcc(gcc12Text));
    expect(finding?.severity).toBe('warning');
    expect(finding?.summary).toMatch('another minor version');
  });

  it('is a problem for another major version, saying which compiler to install', () => {
    const [finding] = withCompiler('gcc-13 (Debian 13.2.0-4) 13.2.0', gcc(gcc12Text, 'gcc'));
    expect(finding).toMatchObject({ severity: 'problem', path: '/usr/bin/gcc' });
    expect(finding?.summary).toMatch('another major version');
    expect(finding?.action).toMatch('apt-get install gcc-13');
  });

  it('is a problem when no compiler is there', () => {
    const [finding] = withCompiler(gcc12Text, { command: 'gcc', file: undefined, versionLine: undefined });
    expect(finding).toMatchObject({ severity: 'problem', action: 'apt-get install gcc-12' });
    expect(finding?.summary).toMatch('no gcc is on PATH');
  });

  it('is a warning when a version cannot be read', () => {
    expect(withCompiler(gcc12Text, gcc('cc: no version here'))[0]?.severity).toBe('warning');
  });

  it('does not compare a kernel whose .config names no compiler', () => {
    const k = kernel('6.1.0-56-amd64', { config: 'CONFIG_MODULES=y\n' });
    const found = of(
      facts({
        kernels: [{ kernel: k, running: false, hasModules: true }],
        compilerOf: new Map([[k.release, gcc(gcc12Text)]]),
      }),
      'compiler',
    );
    expect(found).toEqual([expect.objectContaining({ severity: 'ok' })]);
  });
});

describe('the Secure Boot check', () => {
  const on = Uint8Array.from([6, 0, 0, 0, 1]);
  const off = Uint8Array.from([6, 0, 0, 0, 0]);
  const sb = (overrides: Partial<SecureBootFacts>) =>
    of(facts({ secureBoot: { ...noEfi, efi: true, ...overrides } }), 'secure-boot');

  it('reads the fifth byte of the variable', () => {
    expect(parseSecureBootVariable(on)).toBe('on');
    expect(parseSecureBootVariable(off)).toBe('off');
    expect(parseSecureBootVariable(Uint8Array.from([6, 0, 0]))).toBeUndefined();
  });

  it('is ok without EFI, without the variable, or when off', () => {
    for (const found of [of(facts(), 'secure-boot'), sb({ variable: undefined }), sb({ variable: off })]) {
      expect(found).toEqual([expect.objectContaining({ severity: 'ok' })]);
    }
  });

  it('is a problem when on without a certificate', () => {
    const [finding] = sb({ variable: on });
    expect(finding?.severity).toBe('problem');
    expect(finding?.action).toMatch(
      /^kmodforge generate-mok, then mokutil --import \/var\/lib\/dkms\/mok\.pub/,
    );
  });

  it.each([
    ['/var/lib/dkms/mok.pub is already enrolled\n', 'ok'],
    ['/var/lib/dkms/mok.pub is already in the enrollment request\n', 'warning'],
    ['/var/lib/dkms/mok.pub is not enrolled\n', 'problem'],
    ['EFI variables are not supported on this system\n', 'warning'],
  ])('mokutil says "%s": %s', (output, severity) => {
    expect(
      sb({ variable: on, certificateExists: true, enrollment: { kind: 'mokutil', output } })[0]?.severity,
    ).toBe(severity);
  });

  it('says it cannot tell without mokutil', () => {
    const [finding] = sb({
      variable: on,
      certificateExists: true,
      enrollment: { kind: 'unknown', reason: 'mokutil is not installed' },
    });
    expect(finding?.severity).toBe('warning');
    expect(finding?.summary).toMatch(
      'cannot tell whether /var/lib/dkms/mok.pub is enrolled (mokutil is not installed)',
    );
  });

  it('parses mokutil --test-key', () => {
    expect(parseMokutilTestKey('x is not enrolled')).toBe('not-enrolled');
    expect(parseMokutilTestKey('x is already enrolled')).toBe('enrolled');
    expect(parseMokutilTestKey('')).toBeUndefined();
  });
});

describe('the lock check', () => {
  const procLocks = [
    '1: FLOCK  ADVISORY  WRITE 26004 fe:00:2424896 0 EOF',
    '1: -> FLOCK  ADVISORY  WRITE 26010 fe:00:2424896 0 EOF',
    '2: POSIX  ADVISORY  WRITE 700 00:19:12 0 EOF',
    '3: OFDLCK ADVISORY  READ  -1 00:05:9 0 EOF',
  ].join('\n');

  it('reads holders from /proc/locks, leaving waiters out', () => {
    const locks = parseProcLocks(procLocks);
    expect(locks.map((l) => l.pid)).toEqual([26004, 700]);
    // st_dev 65024 is device fe:00.
    expect(planLockHolders(locks, 65024n, 2424896n)).toEqual([26004]);
    expect(planLockHolders(locks, 65024n, 1n)).toEqual([]);
    expect(planLockHolders(locks, 25n, 12n)).toEqual([700]);
  });

  it('is ok when free, a warning when held, and never says to remove the file', () => {
    expect(of(facts(), 'lock')).toEqual([expect.objectContaining({ severity: 'ok' })]);
    const lock = {
      ...facts().lock,
      holders: [{ pid: 42, command: 'flock -x /var/lib/dkms/.kmodforge.lock' }],
    };
    const [finding] = of(facts({ lock }), 'lock');
    expect(finding?.severity).toBe('warning');
    expect(finding?.summary).toMatch('held by pid 42 (flock');
    expect(finding?.action).toMatch('kill 42');
    expect(finding?.action).not.toMatch(/\brm\b/);
  });

  it('says to remove a dkms upgrade lock only when its process is gone or another one', () => {
    const dkmsLock = {
      file: '/tmp/dkms_rpm_safe_upgrade_lock.77.abc',
      pid: 77,
      module: 'hello-1.0',
      recordedStart: 'Thu Nov 26 04:46:30 2026',
    };
    const found = (liveStart: string | undefined) =>
      of(facts({ lock: { ...facts().lock, dkmsLocks: [{ ...dkmsLock, liveStart }] } }), 'lock')[1];
    expect(found('Thu Nov 26 04:46:30 2026')).toMatchObject({ severity: 'ok', action: undefined });
    expect(found(undefined)?.severity).toBe('warning');
    expect(found(undefined)?.action).toMatch(/^rm \/tmp\/dkms_rpm_safe_upgrade_lock\.77\.abc /);
    expect(found('Fri Nov 27 10:00:00 2026')?.summary).toMatch('is another process now');
  });
});

describe('the root', () => {
  it('that does not exist is one warning, in place of checks that would find nothing and call it ok', () => {
    const root = { dir: '/nonexistent', exists: false, installTree: '/nonexistent/lib/modules' };
    const findings = planDoctorFindings(facts({ root }));
    expect(findings).toEqual([
      {
        check: 'root',
        severity: 'warning',
        summary: '/nonexistent does not exist: there is no system to check',
        action:
          'give --root the directory that holds the system (its /lib/modules, /var/lib/dkms and /etc/dkms)',
        path: '/nonexistent',
      },
    ]);
    expect(hasProblem(findings)).toBe(false);
  });

  it('that exists has no finding of its own', () => {
    expect(of(facts(), 'root')).toEqual([]);
  });
});

describe('hasProblem', () => {
  it('allows warnings', () => {
    const missing = {
      kernel: kernel('6.1.0-99-amd64', { headers: false }),
      running: true,
      hasModules: false,
    };
    const findings = planDoctorFindings(facts({ kernels: [missing] }));
    expect(findings.some((f) => f.severity === 'warning')).toBe(true);
    expect(hasProblem(findings)).toBe(false);
  });
});
