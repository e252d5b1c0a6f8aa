import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { compareKernelReleases } from '../../../src/version/kernel.ts';

// [older, newer] as `LC_ALL=C sort -V` orders them.
const ordered: [string, string][] = [
  ['6.1.0-9-amd64', '6.1.0-56-amd64'],
  ['6.1.0-56-amd64', '6.1.0-56-cloud-amd64'],
  ['6.1.0-28-amd64', '6.1.0-28-rt-amd64'],
  ['2.4.18-14', '2.4.18-14smp'],
  ['2.4.18-14bigmem', '2.4.18-14smp'],
  ['2.4.18-14BOOT', '2.4.18-14bigmem'],
  ['2.4.18-3', '2.4.18-14'],
  ['2.4.9-e.3', '2.4.18-14'],
  ['6.11.4-301.fc41.x86_64', '6.11.4-301.fc41.x86_64+debug'],
  ['6.11.4-301.fc41.x86_64+debug', '6.11.10-300.fc41.x86_64'],
  ['6.12.0-0.rc7.58.fc42.x86_64', '6.12.0-64.fc42.x86_64'],
  ['6.8.0-45-generic', '6.8.0-45-lowlatency'],
  ['6.8.0-45-generic', '6.8.0-101-generic'],
  ['5.15.0-91-generic', '5.15.0-1034-raspi'],
  ['4.18.0-80.el8.x86_64', '4.18.0-553.el8_10.x86_64'],
  ['5.14.0-427.13.1.el9_4.x86_64', '5.14.0-427.13.1.el9_4.x86_64+rt'],
  // Unlike rpm, a letter outranks a digit: the GA RHEL kernel sorts after its own z-stream updates.
  ['3.10.0-1160.119.1.el7.x86_64', '3.10.0-1160.el7.x86_64'],
  ['6.4.0-150600.23.7-default', '6.4.0-150600.23.25-default'],
  ['6.4.0-150600.23.7-azure', '6.4.0-150600.23.7-default'],
  ['6.11.5-arch1-1', '6.11.10-arch1-1'],
  ['6.6.51+rpt-rpi-v8', '6.6.51-v8+'],
  ['1.0~rc1', '1.0'],
  ['1.0~', '1.0'],
  ['1.0', '1.0a'],
  ['1.0a', '1.0+'],
  ['1.0A', '1.0a'],
  ['1.9', '1.10'],
  ['1.0.0', '1.0.1'],
  ['1.0', '1.0.0'],
  // A trailing `.letters` suffix is ignored unless everything before it compares equal.
  ['5.15.0-1034.raspi', '5.15.0-1034a'],
  ['1.2.tar.gz', '1.2a.tar.gz'],
  ['1.2.3.tar', '1.2.3.zip'],
  // Equal as versions; sort's last-resort byte comparison decides.
  ['6.1.0-01', '6.1.0-1'],
  // Empty first, then ".", "..", other dot names.
  ['', '.'],
  ['.', '..'],
  ['..', '.config'],
  ['.config', '1.0'],
];

const releases = [
  // Debian
  '6.1.0-9-amd64',
  '6.1.0-56-amd64',
  '6.1.0-28-cloud-amd64',
  '6.1.0-28-rt-amd64',
  '6.12.9+bpo-amd64',
  '6.10.11+bpo-amd64',
  '5.10.0-33-amd64',
  '4.19.0-27-amd64',
  '6.1.0-0.deb11.13-amd64',
  // Ubuntu
  '5.15.0-91-generic',
  '5.15.0-100-generic',
  '6.8.0-45-generic',
  '6.8.0-45-lowlatency',
  '6.8.0-1015-aws',
  '6.5.0-1024-oem',
  '5.4.0-200-generic',
  '5.15.0-1034-raspi',
  // Fedora
  '6.11.4-301.fc41.x86_64',
  '6.11.4-301.fc41.x86_64+debug',
  '6.11.10-300.fc41.x86_64',
  '6.12.0-0.rc7.58.fc42.x86_64',
  '6.12.0-64.fc42.x86_64',
  '6.9.0-0.rc0.20240318git.2.fc41.x86_64',
  // RHEL
  '5.14.0-427.13.1.el9_4.x86_64',
  '5.14.0-427.13.1.el9_4.x86_64+rt',
  '5.14.0-503.11.1.el9_5.x86_64',
  '5.14.0-70.13.1.el9_0.x86_64',
  '4.18.0-553.el8_10.x86_64',
  '4.18.0-553.16.1.el8_10.x86_64',
  '4.18.0-80.el8.x86_64',
  '3.10.0-1160.el7.x86_64',
  '3.10.0-1160.119.1.el7.x86_64',
  '2.6.32-754.35.1.el6.x86_64',
  '2.6.18-419.el5',
  '2.6.18-419.el5xen',
  // SUSE
  '6.4.0-150600.23.7-default',
  '6.4.0-150600.23.25-default',
  '6.4.0-150600.23.7-azure',
  '5.14.21-150500.55.39-default',
  '6.11.5-1-default',
  // Arch
  '6.11.5-arch1-1',
  '6.11.10-arch1-1',
  '6.6.58-1-lts',
  '6.11.5-zen1-1-zen',
  '6.11.5-hardened1-1-hardened',
  // Raspberry Pi
  '6.6.51+rpt-rpi-v8',
  '6.1.21-v8+',
  // Red Hat Linux 8 / 9 era
  '2.4.18-3',
  '2.4.18-14',
  '2.4.18-14smp',
  '2.4.18-14bigmem',
  '2.4.18-14BOOT',
  '2.4.18-14host108',
  '2.4.20-8smp',
  '2.4.21-4.ELhugemem',
  '2.6.9-89.ELsmp',
];

function sortV(lines: readonly string[]): string[] {
  const output = execFileSync('sort', ['-V'], {
    input: lines.map((line) => `${line}\n`).join(''),
    env: { ...process.env, LC_ALL: 'C' },
    encoding: 'utf8',
  });
  return output.split('\n').slice(0, -1);
}

describe('compareKernelReleases', () => {
  it.each(ordered)('%j < %j', (older, newer) => {
    expect(compareKernelReleases(older, newer)).toBeLessThan(0);
    expect(compareKernelReleases(newer, older)).toBeGreaterThan(0);
  });

  it.each([...releases, '', '.', '1.0~rc1'])('%j equals itself', (release) => {
    expect(compareKernelReleases(release, release)).toBe(0);
  });

  it('orders real kernel releases exactly like sort -V', () => {
    const shuffled = [...releases].reverse();
    expect([...shuffled].sort(compareKernelReleases)).toEqual(sortV(shuffled));
  });

  it('agrees with sort -V on every vector of the table', () => {
    const all = [...new Set(ordered.flat())];
    expect([...all].sort(compareKernelReleases)).toEqual(sortV(all));
    for (const [older, newer] of ordered) expect(sortV([newer, older])).toEqual([older, newer]);
  });
});
