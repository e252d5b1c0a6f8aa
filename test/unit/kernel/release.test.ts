import { describe, expect, it } from 'vitest';
import { KmodError } from '../../../src/errors.ts';
import {
  debianArchToMachine,
  machineToDebianArch,
  machineToRpmArch,
  parseKernelRelease,
  type FlavorRule,
  type KernelFamily,
} from '../../../src/kernel/release.ts';

type Vector = [
  release: string,
  version: string,
  abi: string,
  flavor: string,
  arch: string | undefined,
  family: KernelFamily,
];

const x64 = 'x86_64';
const none = undefined;

const builtin: Vector[] = [
  // Debian
  ['6.1.0-56-amd64', '6.1.0', '56', 'amd64', x64, 'debian'],
  ['6.1.0-56-rt-amd64', '6.1.0', '56', 'rt-amd64', x64, 'debian'],
  ['6.1.0-56-cloud-amd64', '6.1.0', '56', 'cloud-amd64', x64, 'debian'],
  ['6.1.0-56-arm64', '6.1.0', '56', 'arm64', 'aarch64', 'debian'],
  ['6.1.0-56-rt-arm64', '6.1.0', '56', 'rt-arm64', 'aarch64', 'debian'],
  ['6.1.0-56-686', '6.1.0', '56', '686', 'i686', 'debian'],
  ['6.1.0-56-686-pae', '6.1.0', '56', '686-pae', 'i686', 'debian'],
  ['6.1.0-56-rt-686-pae', '6.1.0', '56', 'rt-686-pae', 'i686', 'debian'],
  ['6.1.0-56-armmp', '6.1.0', '56', 'armmp', 'armv7l', 'debian'],
  ['6.1.0-56-armmp-lpae', '6.1.0', '56', 'armmp-lpae', 'armv7l', 'debian'],
  ['6.1.0-56-marvell', '6.1.0', '56', 'marvell', 'armv5tel', 'debian'],
  ['5.10.0-32-powerpc64le', '5.10.0', '32', 'powerpc64le', 'ppc64le', 'debian'],
  ['6.1.0-56-powerpc64le-64k', '6.1.0', '56', 'powerpc64le-64k', 'ppc64le', 'debian'],
  ['6.1.0-56-s390x', '6.1.0', '56', 's390x', 's390x', 'debian'],
  ['6.1.0-56-riscv64', '6.1.0', '56', 'riscv64', 'riscv64', 'debian'],
  ['6.1.0-56-loong64', '6.1.0', '56', 'loong64', 'loongarch64', 'debian'],
  ['6.1.0-56-octeon', '6.1.0', '56', 'octeon', 'mips64', 'debian'],
  ['6.1.0-56-4kc-malta', '6.1.0', '56', '4kc-malta', 'mips', 'debian'],
  ['2.6.32-5-xen-amd64', '2.6.32', '5', 'xen-amd64', x64, 'debian'],
  ['2.6.32-5-686-bigmem', '2.6.32', '5', '686-bigmem', 'i686', 'debian'],
  ['4.19.0-trunk-amd64', '4.19.0', 'trunk', 'amd64', x64, 'debian'],
  ['6.1.0-0.deb11.17-amd64', '6.1.0', '0.deb11.17', 'amd64', x64, 'debian'],
  ['5.10.0-0.bpo.15-arm64', '5.10.0', '0.bpo.15', 'arm64', 'aarch64', 'debian'],
  ['6.12.48+deb13-amd64', '6.12.48', 'deb13', 'amd64', x64, 'debian'],
  ['6.12.48+deb13-rt-amd64', '6.12.48', 'deb13', 'rt-amd64', x64, 'debian'],
  ['6.12.48+deb13-cloud-arm64', '6.12.48', 'deb13', 'cloud-arm64', 'aarch64', 'debian'],
  ['6.12.48+deb13-arm64-16k', '6.12.48', 'deb13', 'arm64-16k', 'aarch64', 'debian'],
  ['6.12.12+bpo-amd64', '6.12.12', 'bpo', 'amd64', x64, 'debian'],
  ['6.11.2-amd64', '6.11.2', '', 'amd64', x64, 'debian'], // Kali
  ['6.1.0-686-pae', '6.1.0', '', '686-pae', 'i686', 'debian'],
  ['6.6.51+rpt-rpi-v8', '6.6.51', 'rpt', 'rpi-v8', 'aarch64', 'debian'], // Raspberry Pi OS
  ['6.6.51+rpt-rpi-v7l', '6.6.51', 'rpt', 'rpi-v7l', 'armv7l', 'debian'],
  ['6.6.51+rpt-rpi-2712', '6.6.51', 'rpt', 'rpi-2712', 'aarch64', 'debian'],
  ['6.8.12-4-pve', '6.8.12', '4', 'pve', none, 'debian'], // Proxmox VE
  // Ubuntu
  ['6.8.0-45-generic', '6.8.0', '45', 'generic', none, 'ubuntu'],
  ['6.8.0-1015-aws', '6.8.0', '1015', 'aws', none, 'ubuntu'],
  ['6.8.0-1015-azure', '6.8.0', '1015', 'azure', none, 'ubuntu'],
  ['6.8.0-45-lowlatency', '6.8.0', '45', 'lowlatency', none, 'ubuntu'],
  ['6.8.0-45-generic-64k', '6.8.0', '45', 'generic-64k', 'aarch64', 'ubuntu'],
  ['5.15.0-45-generic-lpae', '5.15.0', '45', 'generic-lpae', 'armv7l', 'ubuntu'],
  ['3.13.0-170-generic-pae', '3.13.0', '170', 'generic-pae', 'i686', 'ubuntu'],
  ['5.15.0-1060-raspi', '5.15.0', '1060', 'raspi', none, 'ubuntu'],
  ['6.8.0-2011-realtime', '6.8.0', '2011', 'realtime', none, 'ubuntu'],
  ['5.15.0-1045-intel-iotg', '5.15.0', '1045', 'intel-iotg', none, 'ubuntu'],
  ['6.8.0-1012-nvidia-lowlatency', '6.8.0', '1012', 'nvidia-lowlatency', none, 'ubuntu'],
  ['6.5.0-1027-oem', '6.5.0', '1027', 'oem', none, 'ubuntu'],
  ['6.8.0-1009-bluefoo', '6.8.0', '1009', 'bluefoo', none, 'ubuntu'], // unknown derivative, ABI >= 1000
  ['6.9.3-76060903-generic', '6.9.3', '76060903', 'generic', none, 'ubuntu'], // Pop!_OS
  // Fedora / RHEL and rebuilds
  ['6.11.4-301.fc41.x86_64', '6.11.4', '301.fc41', '', x64, 'fedora'],
  ['6.11.4-301.fc41.x86_64+debug', '6.11.4', '301.fc41', 'debug', x64, 'fedora'],
  ['6.11.4-301.fc41.aarch64+16k', '6.11.4', '301.fc41', '16k', 'aarch64', 'fedora'],
  ['6.11.4-301.fc41.armv7hl+lpae', '6.11.4', '301.fc41', 'lpae', 'armv7l', 'fedora'],
  ['6.12.0-0.rc5.44.fc42.x86_64', '6.12.0', '0.rc5.44.fc42', '', x64, 'fedora'],
  ['3.11.10-301.fc20.i686+PAE', '3.11.10', '301.fc20', 'PAE', 'i686', 'fedora'],
  ['2.6.35.6-45.fc14.i686.PAE', '2.6.35.6', '45.fc14', 'PAE', 'i686', 'fedora'],
  ['5.14.0-427.13.1.el9_4.x86_64', '5.14.0', '427.13.1.el9_4', '', x64, 'rhel'],
  ['5.14.0-427.13.1.el9_4.x86_64+rt', '5.14.0', '427.13.1.el9_4', 'rt', x64, 'rhel'],
  ['5.14.0-427.el9.x86_64+rt-debug', '5.14.0', '427.el9', 'rt-debug', x64, 'rhel'],
  ['5.14.0-427.el9.aarch64+64k', '5.14.0', '427.el9', '64k', 'aarch64', 'rhel'],
  ['5.14.0-427.el9.ppc64le', '5.14.0', '427.el9', '', 'ppc64le', 'rhel'],
  ['5.14.0-427.el9.s390x', '5.14.0', '427.el9', '', 's390x', 'rhel'],
  ['4.18.0-553.el8_10.x86_64+debug', '4.18.0', '553.el8_10', 'debug', x64, 'rhel'],
  ['3.10.0-1160.el7.x86_64', '3.10.0', '1160.el7', '', x64, 'rhel'],
  ['3.10.0-1160.el7.x86_64.debug', '3.10.0', '1160.el7', 'debug', x64, 'rhel'],
  ['2.6.32-754.el6.x86_64', '2.6.32', '754.el6', '', x64, 'rhel'],
  ['2.6.32-754.el6.i686.PAE', '2.6.32', '754.el6', 'PAE', 'i686', 'rhel'],
  ['5.15.0-210.163.7.el8uek.x86_64', '5.15.0', '210.163.7.el8uek', '', x64, 'rhel'], // Oracle UEK
  ['6.1.112-122.189.amzn2023.x86_64', '6.1.112', '122.189.amzn2023', '', x64, 'rhel'], // Amazon Linux
  // SUSE
  ['6.4.0-150600.23.7-default', '6.4.0', '150600.23.7', 'default', none, 'suse'],
  ['6.4.0-150600.23.7-rt', '6.4.0', '150600.23.7', 'rt', none, 'suse'],
  ['6.4.0-150600.23.7-64kb', '6.4.0', '150600.23.7', '64kb', 'aarch64', 'suse'],
  ['6.4.0-150600.10.5-rt_debug', '6.4.0', '150600.10.5', 'rt_debug', none, 'suse'],
  ['5.14.21-150500.55.65-azure', '5.14.21', '150500.55.65', 'azure', none, 'suse'],
  ['6.11.5-1-default', '6.11.5', '1', 'default', none, 'suse'], // Tumbleweed
  ['6.11.5-1-kvmsmall', '6.11.5', '1', 'kvmsmall', none, 'suse'],
  ['4.12.14-122.37-default', '4.12.14', '122.37', 'default', none, 'suse'], // SLES 12
  ['3.0.101-63-ppc64', '3.0.101', '63', 'ppc64', 'ppc64', 'suse'], // SLES 11
  ['2.6.16.60-0.21-bigsmp', '2.6.16.60', '0.21', 'bigsmp', 'i686', 'suse'], // SLES 10
  // Distro schemes win over the seed's where both could read a release
  ['6.1.0-56-amd64', '6.1.0', '56', 'amd64', x64, 'debian'],
  ['6.11.2-686', '6.11.2', '', '686', 'i686', 'debian'],
  ['6.8.0-45-generic', '6.8.0', '45', 'generic', none, 'ubuntu'],
  ['6.5.6-300.fc39.x86_64', '6.5.6', '300.fc39', '', x64, 'fedora'],
  // Arch
  ['6.11.5-arch1-1', '6.11.5', 'arch1-1', '', none, 'arch'],
  ['6.6.58-1-lts', '6.6.58', '1', 'lts', none, 'arch'],
  ['6.11.5-zen1-1-zen', '6.11.5', 'zen1-1', 'zen', none, 'arch'],
  ['6.11.5-hardened1-1-hardened', '6.11.5', 'hardened1-1', 'hardened', none, 'arch'],
  ['6.2.10-1-aarch64-ARCH', '6.2.10', '1', 'aarch64-ARCH', 'aarch64', 'arch'], // Arch Linux ARM
  // Red Hat's 2004 scheme: flavor glued to the build number
  ['2.4.18-14', '2.4.18', '14', '', none, 'redhat-legacy'],
  ['2.4.18-14smp', '2.4.18', '14', 'smp', none, 'redhat-legacy'],
  ['2.4.18-14bigmem', '2.4.18', '14', 'bigmem', none, 'redhat-legacy'],
  ['2.4.18-14BOOT', '2.4.18', '14', 'BOOT', none, 'redhat-legacy'],
  ['2.4.20-8hugemem', '2.4.20', '8', 'hugemem', none, 'redhat-legacy'],
  ['2.4.18-14host108', '2.4.18', '14', 'host108', none, 'redhat-legacy'],
  ['2.4.9-e.3enterprise', '2.4.9', 'e.3', 'enterprise', none, 'redhat-legacy'], // RHAS 2.1
  ['2.4.21-4.ELsmp', '2.4.21', '4.EL', 'smp', none, 'redhat-legacy'],
  ['2.6.9-42.EL', '2.6.9', '42.EL', '', none, 'redhat-legacy'],
  ['2.6.9-42.ELsmp', '2.6.9', '42.EL', 'smp', none, 'redhat-legacy'],
  ['2.6.18-8.el5xen', '2.6.18', '8.el5', 'xen', none, 'redhat-legacy'],
  ['2.6.18-194.32.1.el5PAE', '2.6.18', '194.32.1.el5', 'PAE', none, 'redhat-legacy'],
  ['2.6.11-1.1369_FC4smp', '2.6.11', '1.1369_FC4', 'smp', none, 'redhat-legacy'],
  ['2.6.18-1.2798.fc6xen', '2.6.18', '1.2798.fc6', 'xen', none, 'redhat-legacy'],
  // The seed's scheme on a kernel built by hand: <version>-<release><flavor>, 2.x to 6.x
  ['2.6.32-1', '2.6.32', '1', '', none, 'redhat-legacy'],
  ['2.6.32-1smp', '2.6.32', '1', 'smp', none, 'redhat-legacy'],
  ['2.6.32-1host108', '2.6.32', '1', 'host108', none, 'redhat-legacy'],
  ['3.10.108-3host108', '3.10.108', '3', 'host108', none, 'custom'],
  ['4.19.325-12smp', '4.19.325', '12', 'smp', none, 'custom'],
  ['5.15.3-7', '5.15.3', '7', '', none, 'custom'],
  ['5.15.3-7smp', '5.15.3', '7', 'smp', none, 'custom'],
  ['5.15.3-7host108', '5.15.3', '7', 'host108', none, 'custom'],
  ['6.1.0-1', '6.1.0', '1', '', none, 'custom'],
  ['6.1.0-1smp', '6.1.0', '1', 'smp', none, 'custom'],
  ['6.1.0-1host108', '6.1.0', '1', 'host108', none, 'custom'],
  ['6.1.119-14host108', '6.1.119', '14', 'host108', none, 'custom'],
  ['6.6.12-2', '6.6.12', '2', '', none, 'custom'],
  ['6.6.58-1', '6.6.58', '1', '', none, 'custom'],
  ['6.12.9-3.1bigmem', '6.12.9', '3.1', 'bigmem', none, 'custom'],
  ['6.1-1host108', '6.1', '1', 'host108', none, 'custom'],
  ['6.1.0-1host108_rt', '6.1.0', '1', 'host108_rt', none, 'custom'],
  // No known scheme: leading version, the rest after one separator is the flavor
  ['6.12.0', '6.12.0', '', '', none, 'unknown'],
  ['6.12.0-rc3+', '6.12.0', '', 'rc3+', none, 'unknown'],
  ['6.1.21-v8+', '6.1.21', '', 'v8+', none, 'unknown'],
  ['6.6.58-gentoo-dist', '6.6.58', '', 'gentoo-dist', none, 'unknown'],
  ['6.6.58-0-lts', '6.6.58', '', '0-lts', none, 'unknown'], // Alpine
  // Not the seed's scheme: the flavor does not follow the release number directly, or there is none
  ['6.1.0-1-host108', '6.1.0', '', '1-host108', none, 'unknown'],
  ['6.1.0-1.host108', '6.1.0', '', '1.host108', none, 'unknown'],
  ['6.1.0-host108', '6.1.0', '', 'host108', none, 'unknown'],
  ['6.1.0host108', '6.1.0', '', 'host108', none, 'unknown'],
  ['6.1.0-1host108-lts', '6.1.0', '', '1host108-lts', none, 'unknown'],
  ['6.1.0-1host-108', '6.1.0', '', '1host-108', none, 'unknown'],
  ['6.1.0-1_host108', '6.1.0', '', '1_host108', none, 'unknown'],
  ['2.4.18-14smp-host108', '2.4.18', '', '14smp-host108', none, 'unknown'],
  ['6.1.0-00001-gabc1234', '6.1.0', '', '00001-gabc1234', none, 'unknown'], // CONFIG_LOCALVERSION_AUTO
  ['4.19.94-ti-r42', '4.19.94', '', 'ti-r42', none, 'unknown'],
  ['5.10.120-ti-rt-r47', '5.10.120', '', 'ti-rt-r47', none, 'unknown'],
  ['6.1.0-acme', '6.1.0', '', 'acme', none, 'unknown'],
  ['6', '6', '', '', none, 'unknown'],
  ['linux', '', '', 'linux', none, 'unknown'],
];

describe('parseKernelRelease', () => {
  it.each(builtin)('%s', (release, version, abi, flavor, arch, family) => {
    expect(parseKernelRelease(release)).toEqual({ release, version, abi, flavor, arch, family });
  });

  // A release names directories (<installTree>/<K>) and is an argument to depmod: no path steps, no options.
  it.each([
    '',
    ' ',
    '6.1.0-56-amd64 ',
    '6.1.0\t',
    '6.1.0-56-amd64\n',
    '../6.1.0',
    'a/b',
    '.',
    '..',
    '-',
    '---',
    '-6.1.0',
  ])('rejects %j as a usage error', (release) => {
    expect(() => parseKernelRelease(release)).toThrow(KmodError);
    try {
      parseKernelRelease(release);
    } catch (error) {
      expect(error).toMatchObject({ code: 'USAGE' });
    }
  });

  it.each(['+', '6.', 'ÿ', '6.1.0--', '6.1.0-56-', '1.2.3.4.5.6-x-y-z+w.q'])(
    'never throws for odd but non-empty %j',
    (release) => {
      expect(parseKernelRelease(release).release).toBe(release);
    },
  );
});

type RuleVector = [
  why: string,
  release: string,
  rules: FlavorRule[],
  expected: [version: string, abi: string, flavor: string, arch: string | undefined, family: KernelFamily],
];

const ruled: RuleVector[] = [
  [
    'a suffix names the flavor where the Debian regex takes it as part of the flavor',
    '6.1.0-acme-rt-amd64',
    [{ kind: 'suffix', suffix: 'rt-amd64' }],
    ['6.1.0', 'acme', 'rt-amd64', x64, 'debian'],
  ],
  [
    'without the rule the same release is Debian flavor acme-rt-amd64',
    '6.1.0-acme-rt-amd64',
    [{ kind: 'suffix', suffix: 'nomatch' }],
    ['6.1.0', '', 'acme-rt-amd64', x64, 'debian'],
  ],
  [
    'a suffix splits off a build number that the unknown scheme folds into the flavor',
    '6.6.58-1-myboard-lts',
    [{ kind: 'suffix', suffix: 'myboard-lts' }],
    ['6.6.58', '1', 'myboard-lts', none, 'custom'],
  ],
  [
    'the longest suffix wins whatever the declared order',
    '6.6.58-1-myboard-lts',
    [
      { kind: 'suffix', suffix: 'lts' },
      { kind: 'suffix', suffix: 'myboard-lts' },
    ],
    ['6.6.58', '1', 'myboard-lts', none, 'custom'],
  ],
  [
    'a shorter suffix still applies where the longer one does not match',
    '6.6.58-1-lts',
    [
      { kind: 'suffix', suffix: 'myboard-lts' },
      { kind: 'suffix', suffix: 'lts' },
    ],
    ['6.6.58', '1', 'lts', none, 'arch'],
  ],
  [
    'a suffix glued to a digit (2004 scheme) keeps the recognised family of the rest',
    '2.4.18-14host108',
    [{ kind: 'suffix', suffix: 'host108' }],
    ['2.4.18', '14', 'host108', none, 'redhat-legacy'],
  ],
  [
    'a declared suffix reads a board kernel built on a 2004 flavor, which no regex knows',
    '2.4.18-14smp-host108',
    [{ kind: 'suffix', suffix: 'host108' }],
    ['2.4.18', '14', 'host108', none, 'redhat-legacy'],
  ],
  [
    'without the rule the same release is unknown',
    '2.4.18-14smp-host108',
    [],
    ['2.4.18', '', '14smp-host108', none, 'unknown'],
  ],
  [
    'a suffix is not cut from the middle of a word',
    '2.4.18-14smphost108',
    [{ kind: 'suffix', suffix: 'host108' }],
    ['2.4.18', '14', 'smphost108', none, 'redhat-legacy'],
  ],
  [
    'a suffix after a dot',
    '3.10.0-1160.el7.x86_64.kdump',
    [{ kind: 'suffix', suffix: 'kdump' }],
    ['3.10.0', '1160.el7', 'kdump', x64, 'rhel'],
  ],
  [
    'a suffix after a plus',
    '5.14.0-427.el9.x86_64+acme',
    [{ kind: 'suffix', suffix: 'acme' }],
    ['5.14.0', '427.el9', 'acme', x64, 'rhel'],
  ],
  [
    'a suffix after a Debian flavor keeps its ABI and arch',
    '6.1.0-56-amd64-host108',
    [{ kind: 'suffix', suffix: 'host108' }],
    ['6.1.0', '56', 'host108', x64, 'debian'],
  ],
  [
    'a suffix must follow a separator or a digit',
    '6.1.0-56-myhost108',
    [{ kind: 'suffix', suffix: 'host108' }],
    ['6.1.0', '', '56-myhost108', none, 'unknown'],
  ],
  [
    'an exact release beats a suffix',
    '2.4.18-14host108',
    [
      { kind: 'suffix', suffix: 'host108' },
      { kind: 'exact', release: '2.4.18-14host108', flavor: 'targetboard' },
    ],
    ['2.4.18', '14', 'targetboard', none, 'redhat-legacy'],
  ],
  [
    'an exact flavor that is a suffix of the release is cut out before parsing',
    '6.1.0-acme-rt-amd64',
    [{ kind: 'exact', release: '6.1.0-acme-rt-amd64', flavor: 'acme-rt-amd64' }],
    ['6.1.0', '', 'acme-rt-amd64', x64, 'debian'],
  ],
  [
    'an exact flavor may also rename a distro flavor',
    '6.1.0-56-amd64',
    [{ kind: 'exact', release: '6.1.0-56-amd64', flavor: 'server' }],
    ['6.1.0', '56', 'server', x64, 'debian'],
  ],
  [
    'a pattern takes the flavor from the middle (TI BeagleBone kernels)',
    '5.10.120-ti-rt-r47',
    [{ kind: 'pattern', pattern: /^\d+\.\d+\.\d+-(?<flavor>ti(?:-rt)?)-r\d+$/ }],
    ['5.10.120', 'r47', 'ti-rt', none, 'custom'],
  ],
  [
    'the same pattern keeps ti and ti-rt apart',
    '4.19.94-ti-r42',
    [{ kind: 'pattern', pattern: /^\d+\.\d+\.\d+-(?<flavor>ti(?:-rt)?)-r\d+$/ }],
    ['4.19.94', 'r42', 'ti', none, 'custom'],
  ],
  [
    'a pattern may capture version, abi and arch too',
    'acme-6.1.0-b7-arm64-rt',
    [{ kind: 'pattern', pattern: /^acme-(?<version>[\d.]+)-(?<abi>b\d+)-(?<arch>\w+)-(?<flavor>rt)$/ }],
    ['6.1.0', 'b7', 'rt', 'aarch64', 'custom'],
  ],
  [
    'a pattern without a flavor group gives its fixed flavor',
    '6.1.0-56-amd64',
    [{ kind: 'pattern', pattern: /-amd64$/g, flavor: 'amd64' }],
    ['6.1.0', '56', 'amd64', x64, 'debian'],
  ],
  [
    'a pattern with neither group nor flavor marks the default kernel',
    '6.6.58-1-lts',
    [{ kind: 'pattern', pattern: /^6\.6\./ }],
    ['6.6.58', '1', '', none, 'arch'],
  ],
  [
    'a suffix beats a pattern',
    '6.6.58-1-myboard-lts',
    [
      { kind: 'pattern', pattern: /-(?<flavor>lts)$/ },
      { kind: 'suffix', suffix: 'myboard-lts' },
    ],
    ['6.6.58', '1', 'myboard-lts', none, 'custom'],
  ],
  [
    'rules that match nothing leave the built-in parse alone',
    '6.8.0-45-generic',
    [
      { kind: 'suffix', suffix: '' },
      { kind: 'exact', release: '6.8.0-46-generic', flavor: 'x' },
      { kind: 'pattern', pattern: /^5\./, flavor: 'five' },
    ],
    ['6.8.0', '45', 'generic', none, 'ubuntu'],
  ],
];

describe('parseKernelRelease with user flavor rules', () => {
  it.each(ruled)('%s: %s', (_why, release, rules, [version, abi, flavor, arch, family]) => {
    expect(parseKernelRelease(release, rules)).toEqual({ release, version, abi, flavor, arch, family });
  });

  it('can apply a global regex rule again and again', () => {
    const rules: FlavorRule[] = [{ kind: 'pattern', pattern: /-(?<flavor>ti)-/g }];
    expect(parseKernelRelease('4.19.94-ti-r42', rules).flavor).toBe('ti');
    expect(parseKernelRelease('4.19.94-ti-r42', rules).flavor).toBe('ti');
  });
});

describe('arch names', () => {
  it.each([
    ['amd64', 'x86_64'],
    ['arm64', 'aarch64'],
    ['i386', 'i686'],
    ['686', 'i686'],
    ['686-pae', 'i686'],
    ['armmp', 'armv7l'],
    ['armmp-lpae', 'armv7l'],
    ['armhf', 'armv7l'],
    ['armel', 'armv5tel'],
    ['ppc64el', 'ppc64le'],
    ['powerpc64le', 'ppc64le'],
    ['s390x', 's390x'],
    ['riscv64', 'riscv64'],
    ['loong64', 'loongarch64'],
    ['mips64el', 'mips64'],
    ['hppa', 'parisc'],
    ['x86_64', undefined],
    ['generic', undefined],
  ])('debianArchToMachine(%s) = %s', (debArch, machine) => {
    expect(debianArchToMachine(debArch)).toBe(machine);
  });

  it.each([
    ['x86_64', 'amd64'],
    ['aarch64', 'arm64'],
    ['i686', 'i386'],
    ['i586', 'i386'],
    ['i386', 'i386'],
    ['ppc64le', 'ppc64el'],
    ['ppc64', 'ppc64'],
    ['ppc', 'powerpc'],
    ['s390x', 's390x'],
    ['armv7l', 'armhf'],
    ['armv5tel', 'armel'],
    ['riscv64', 'riscv64'],
    ['loongarch64', 'loong64'],
    ['mips64', 'mips64el'],
    ['parisc64', 'hppa'],
    ['sparc64', 'sparc64'],
  ])('machineToDebianArch(%s) = %s', (machine, debArch) => {
    expect(machineToDebianArch(machine)).toBe(debArch);
  });

  it.each([
    ['x86_64', 'x86_64'],
    ['i686', 'i686'],
    ['armv7l', 'armv7hl'],
    ['armv6l', 'armv6hl'],
    ['aarch64', 'aarch64'],
    ['ppc64le', 'ppc64le'],
    ['s390x', 's390x'],
    ['riscv64', 'riscv64'],
  ])('machineToRpmArch(%s) = %s', (machine, rpmArch) => {
    expect(machineToRpmArch(machine)).toBe(rpmArch);
  });

  it.each(builtin.filter(([, , , , arch]) => arch !== undefined))(
    '%s: the Debian arch of its machine maps back to the machine',
    (_release, _v, _a, _f, arch) => {
      if (arch === undefined) return;
      expect(debianArchToMachine(machineToDebianArch(arch))).toBe(arch);
    },
  );
});
