import { describe, expect, it } from 'vitest';
import { planDkmsParallelJobs } from '../../../../src/cli/dkms/run-dkms.ts';
import {
  formatDkmsConfRead,
  formatDkmsMakeLine,
  formatProgressDots,
  planDkmsSignFile,
  planDkmsSigningEnd,
  planDkmsSigningStart,
  planRefusedJobsMake,
} from '../../../../src/cli/dkms/text/build-text.ts';
import { formatDkmsOriginal, planDkmsSanity } from '../../../../src/cli/dkms/text/install-text.ts';

const make = {
  confMake: undefined,
  kernelSourceDir: '/lib/modules/6.1.0-1-amd64/build',
  dkmsTree: '/var/lib/dkms',
  module: 'm',
  version: '1.0',
  kernel: '6.1.0-1-amd64',
  parallelJobs: '2',
  clang: false,
  lld: false,
};

describe('dkms build text', () => {
  it('prints the default make command with -j and KERNELRELEASE', () => {
    expect(formatDkmsMakeLine(make)).toBe(
      'make -j2 KERNELRELEASE=6.1.0-1-amd64 -C /lib/modules/6.1.0-1-amd64/build M=/var/lib/dkms/m/1.0/build',
    );
  });

  it('leaves a MAKE that does not start with make alone, and adds clang and lld', () => {
    expect(formatDkmsMakeLine({ ...make, confMake: './build.sh', clang: true, lld: true })).toBe(
      './build.sh CC=clang LD=ld.lld',
    );
    expect(formatDkmsMakeLine({ ...make, confMake: 'make all', parallelJobs: '' })).toBe(
      'make -j KERNELRELEASE=6.1.0-1-amd64 all',
    );
  });

  it('prints one dot per full 3 seconds', () => {
    expect(formatProgressDots(undefined)).toBe('');
    expect(formatProgressDots(2.9)).toBe('');
    expect(formatProgressDots(9.1)).toBe('...');
  });

  it('finds Debian sign-file by the kernel major.minor', () => {
    expect(planDkmsSignFile('6.1.0-56-amd64', 'debian')).toBe('/usr/lib/linux-kbuild-6.1/scripts/sign-file');
    expect(planDkmsSignFile('6.1.0-56-amd64', 'fedora')).toBeUndefined();
  });

  it('says the binary is missing, or generates a missing half of the pair', () => {
    const facts = { signFile: '/s', key: '/k', certificate: '/c', keyExists: true, certificateExists: true };
    expect(planDkmsSigningStart({ ...facts, signFileUsable: false })).toEqual({
      kind: 'no-sign-file',
      lines: ['Sign command: /s', "Binary /s not found, modules won't be signed"],
    });
    const start = planDkmsSigningStart({ ...facts, signFileUsable: true, certificateExists: false });
    expect(start.kind === 'keys' && start.generate).toBe(true);
    expect(start.lines.at(-1)).toBe(
      'Certificate or key are missing, generating self signed certificate for MOK...',
    );
    expect(
      planDkmsSigningEnd({
        key: '/k',
        certificate: '/c',
        generated: true,
        keyExists: false,
        certificateExists: true,
      }),
    ).toEqual({
      lines: ["Key file /k not found and can't be generated, modules won't be signed"],
      signs: false,
    });
  });
});

describe('dkms install text', () => {
  const sanity = {
    file: 'm.ko',
    kernel: 'K',
    existing: 1,
    ours: { version: '1.0', srcversion: 'a' },
    theirs: { version: '2.0', srcversion: 'b' },
    verdict: 'older' as const,
    force: false,
    forceVersionOverride: false,
  };

  it('refuses an older module, unless forced', () => {
    const refused = planDkmsSanity(sanity);
    expect(refused.ok).toBe(false);
    expect(refused.err).toBe(
      'Error! Module version 1.0 for m.ko\nis not newer than what is already found in kernel K (2.0).\nYou may override by specifying --force.\n',
    );
    expect(planDkmsSanity({ ...sanity, force: true }).ok).toBe(true);
  });

  it('warns and goes on when several modules have the name', () => {
    expect(planDkmsSanity({ ...sanity, existing: 2 })).toMatchObject({ ok: true });
  });

  it('says nothing of a found original on Debian, and archives it elsewhere', () => {
    const context = { archiveDir: '/o', alreadyFound: false };
    expect(formatDkmsOriginal({ kind: 'found', file: '/f' }, { ...context, distroId: 'debian' })).toBe(
      ' - Original module\n',
    );
    expect(formatDkmsOriginal({ kind: 'found', file: '/f' }, { ...context, distroId: 'fedora' })).toContain(
      '   - Found /f\n   - Storing in /o/\n',
    );
    expect(formatDkmsOriginal({ kind: 'none' }, { ...context, distroId: 'debian', alreadyFound: true })).toBe(
      ' - Original module\n',
    );
  });
});

describe("read_conf's own words", () => {
  it('a deprecation warning per file sourced and directive set, then each --directive', () => {
    expect(
      formatDkmsConfRead({
        files: ['/var/lib/dkms/m/1/source/dkms.conf', '/etc/dkms/m.conf'],
        deprecated: ['REMAKE_INITRD', 'MODULES_CONF'],
        directives: ['AUTOINSTALL=no', 'MAKE[0]=make -C src'],
      }),
    ).toEqual({
      err:
        'Deprecated feature: REMAKE_INITRD (/var/lib/dkms/m/1/source/dkms.conf)\n' +
        'Deprecated feature: MODULES_CONF (/var/lib/dkms/m/1/source/dkms.conf)\n' +
        'Deprecated feature: REMAKE_INITRD (/etc/dkms/m.conf)\n' +
        'Deprecated feature: MODULES_CONF (/etc/dkms/m.conf)\n',
      out: 'DIRECTIVE: AUTOINSTALL="no"\nDIRECTIVE: MAKE[0]="make -C src"\n',
    });
    expect(formatDkmsConfRead({ files: ['/f'], deprecated: [], directives: [] })).toEqual({
      out: '',
      err: '',
    });
  });
});

describe('$parallel_jobs in the make line', () => {
  it('-j or the environment as given, 0 as none, else the number of CPUs', () => {
    expect(planDkmsParallelJobs('0', 8)).toBe('');
    expect(planDkmsParallelJobs('3', 8)).toBe('3');
    expect(planDkmsParallelJobs(undefined, 8)).toBe('8');
    expect(planDkmsParallelJobs('', 8)).toBe('8');
  });

  it("a -j make refuses: kmodforge's make is given it too", () => {
    const line = (jobs: string): string => `make -j${jobs} KERNELRELEASE=6.1.0-1-amd64 -C /k M=/b`;
    for (const jobs of ['abc', '00', '-2', '1.5', '3x', '3 4'])
      expect(planRefusedJobsMake(line(jobs), jobs)).toBe(`make -j${jobs}`);
    for (const jobs of ['', '3', '007', ' 3', '3 '])
      expect(planRefusedJobsMake(line(jobs), jobs)).toBeUndefined();
    expect(planRefusedJobsMake("'make' -C src", 'abc')).toBeUndefined();
  });
});
