import { describe, expect, it } from 'vitest';
import { parseKernelRelease } from '../../../src/kernel/release.ts';
import {
  planDebIdentity,
  planRpmIdentity,
  planRpmMeta,
  type PackageInput,
} from '../../../src/package/naming.ts';

const input = (
  release: string,
  arch = 'x86_64',
  rules = [] as Parameters<typeof parseKernelRelease>[1],
): PackageInput => ({
  name: 'hello',
  version: '1.0',
  release: '1',
  kernel: parseKernelRelease(release, rules),
  arch,
  modules: ['hello'],
});

describe('binary RPM names in the three styles', () => {
  it.each([
    // release, arch, kmod, kmp, legacy
    [
      '6.1.0-56-amd64',
      'x86_64',
      'kmod-hello-6.1.0-56-amd64-1.0-1.x86_64.rpm',
      'hello-kmp-amd64-1.0_k6.1.0_56_amd64-1.x86_64.rpm',
      'kernel-module-hello-amd64-1.0-1.x86_64.rpm',
    ],
    [
      '6.1.0-56-rt-amd64',
      'x86_64',
      'kmod-hello-6.1.0-56-rt-amd64-1.0-1.x86_64.rpm',
      'hello-kmp-rt-amd64-1.0_k6.1.0_56_rt_amd64-1.x86_64.rpm',
      'kernel-module-hello-rt-amd64-1.0-1.x86_64.rpm',
    ],
    [
      '6.1.0-56-cloud-amd64',
      'x86_64',
      'kmod-hello-6.1.0-56-cloud-amd64-1.0-1.x86_64.rpm',
      'hello-kmp-cloud-amd64-1.0_k6.1.0_56_cloud_amd64-1.x86_64.rpm',
      'kernel-module-hello-cloud-amd64-1.0-1.x86_64.rpm',
    ],
    [
      '6.8.0-45-generic',
      'x86_64',
      'kmod-hello-6.8.0-45-generic-1.0-1.x86_64.rpm',
      'hello-kmp-generic-1.0_k6.8.0_45_generic-1.x86_64.rpm',
      'kernel-module-hello-generic-1.0-1.x86_64.rpm',
    ],
    [
      '6.11.4-301.fc41.x86_64',
      'x86_64',
      'kmod-hello-6.11.4-301.fc41.x86_64-1.0-1.x86_64.rpm',
      'hello-kmp-default-1.0_k6.11.4_301.fc41.x86_64-1.x86_64.rpm',
      'kernel-module-hello-1.0-1.x86_64.rpm',
    ],
    [
      '6.11.4-301.fc41.x86_64+debug',
      'x86_64',
      'kmod-hello-6.11.4-301.fc41.x86_64+debug-1.0-1.x86_64.rpm',
      'hello-kmp-debug-1.0_k6.11.4_301.fc41.x86_64+debug-1.x86_64.rpm',
      'kernel-module-hello-debug-1.0-1.x86_64.rpm',
    ],
    [
      '5.14.0-427.13.1.el9_4.x86_64+rt',
      'x86_64',
      'kmod-hello-5.14.0-427.13.1.el9_4.x86_64+rt-1.0-1.x86_64.rpm',
      'hello-kmp-rt-1.0_k5.14.0_427.13.1.el9_4.x86_64+rt-1.x86_64.rpm',
      'kernel-module-hello-rt-1.0-1.x86_64.rpm',
    ],
    [
      '6.4.0-150600.23.7-default',
      'x86_64',
      'kmod-hello-6.4.0-150600.23.7-default-1.0-1.x86_64.rpm',
      'hello-kmp-default-1.0_k6.4.0_150600.23.7_default-1.x86_64.rpm',
      'kernel-module-hello-default-1.0-1.x86_64.rpm',
    ],
    [
      '6.11.5-arch1-1',
      'x86_64',
      'kmod-hello-6.11.5-arch1-1-1.0-1.x86_64.rpm',
      'hello-kmp-default-1.0_k6.11.5_arch1_1-1.x86_64.rpm',
      'kernel-module-hello-1.0-1.x86_64.rpm',
    ],
    [
      '6.6.58-1-lts',
      'x86_64',
      'kmod-hello-6.6.58-1-lts-1.0-1.x86_64.rpm',
      'hello-kmp-lts-1.0_k6.6.58_1_lts-1.x86_64.rpm',
      'kernel-module-hello-lts-1.0-1.x86_64.rpm',
    ],
    [
      '2.4.18-14',
      'i686',
      'kmod-hello-2.4.18-14-1.0-1.i686.rpm',
      'hello-kmp-default-1.0_k2.4.18_14-1.i686.rpm',
      'kernel-module-hello-1.0-1.i686.rpm',
    ],
    [
      '2.4.18-14smp',
      'i686',
      'kmod-hello-2.4.18-14smp-1.0-1.i686.rpm',
      'hello-kmp-smp-1.0_k2.4.18_14smp-1.i686.rpm',
      'kernel-module-hello-smp-1.0-1.i686.rpm',
    ],
    [
      '2.4.18-14bigmem',
      'i686',
      'kmod-hello-2.4.18-14bigmem-1.0-1.i686.rpm',
      'hello-kmp-bigmem-1.0_k2.4.18_14bigmem-1.i686.rpm',
      'kernel-module-hello-bigmem-1.0-1.i686.rpm',
    ],
    [
      '2.4.18-14host108',
      'i686',
      'kmod-hello-2.4.18-14host108-1.0-1.i686.rpm',
      'hello-kmp-host108-1.0_k2.4.18_14host108-1.i686.rpm',
      'kernel-module-hello-1.0-1host108.i686.rpm',
    ],
    // The seed's scheme on a kernel built by hand: the flavor in the name, a target board in the release
    [
      '2.6.32-1host108',
      'i686',
      'kmod-hello-2.6.32-1host108-1.0-1.i686.rpm',
      'hello-kmp-host108-1.0_k2.6.32_1host108-1.i686.rpm',
      'kernel-module-hello-1.0-1host108.i686.rpm',
    ],
    [
      '5.15.3-7',
      'x86_64',
      'kmod-hello-5.15.3-7-1.0-1.x86_64.rpm',
      'hello-kmp-default-1.0_k5.15.3_7-1.x86_64.rpm',
      'kernel-module-hello-1.0-1.x86_64.rpm',
    ],
    [
      '5.15.3-7smp',
      'x86_64',
      'kmod-hello-5.15.3-7smp-1.0-1.x86_64.rpm',
      'hello-kmp-smp-1.0_k5.15.3_7smp-1.x86_64.rpm',
      'kernel-module-hello-smp-1.0-1.x86_64.rpm',
    ],
    [
      '6.1.0-1host108',
      'x86_64',
      'kmod-hello-6.1.0-1host108-1.0-1.x86_64.rpm',
      'hello-kmp-host108-1.0_k6.1.0_1host108-1.x86_64.rpm',
      'kernel-module-hello-1.0-1host108.x86_64.rpm',
    ],
    [
      '6.6.12-2',
      'x86_64',
      'kmod-hello-6.6.12-2-1.0-1.x86_64.rpm',
      'hello-kmp-default-1.0_k6.6.12_2-1.x86_64.rpm',
      'kernel-module-hello-1.0-1.x86_64.rpm',
    ],
  ])('%s', (release, arch, kmod, kmp, legacy) => {
    expect(planRpmIdentity('kmod', input(release, arch)).fileName).toBe(kmod);
    expect(planRpmIdentity('kmp', input(release, arch)).fileName).toBe(kmp);
    expect(planRpmIdentity('legacy', input(release, arch)).fileName).toBe(legacy);
  });

  it('puts a user-declared target board into the legacy release', () => {
    const rules = [{ kind: 'suffix' as const, suffix: 'board7' }];
    expect(planRpmIdentity('legacy', input('2.6.9-42board7', 'i686', rules)).fileName).toBe(
      'kernel-module-hello-1.0-1board7.i686.rpm',
    );
  });

  it('requires the exact kernel and provides kmod(<module>.ko)', () => {
    const rpm = planRpmIdentity('kmod', input('6.1.0-56-amd64'));
    expect(rpm.relations).toEqual([
      'Requires: kernel-uname-r = 6.1.0-56-amd64',
      'Provides: kmod(hello.ko) = 1.0-1',
      'Provides: hello-kmod = 1.0-1',
    ]);
    expect(planRpmIdentity('kmp', input('6.4.0-150600.23.7-default')).relations).toContain(
      'Provides: multiversion(kernel)',
    );
  });

  it('makes per-flavor meta packages that follow the kernel package', () => {
    expect(planRpmMeta(input('6.1.0-56-rt-amd64'))).toMatchObject({
      name: 'kmod-hello-rt-amd64',
      relations: ['Requires: kmod-hello-6.1.0-56-rt-amd64 = 1.0-1', 'Provides: hello-kmod-meta = 1.0-1'],
    });
    expect(planRpmMeta(input('6.11.4-301.fc41.x86_64')).name).toBe('kmod-hello');
  });

  it('makes rpm versions from dkms versions with dashes', () => {
    expect(planRpmIdentity('kmod', { ...input('6.1.0-56-amd64'), version: '2.0-rc1' }).version).toBe(
      '2.0_rc1',
    );
  });
});

describe('binary DEB names', () => {
  it.each([
    ['6.1.0-56-amd64', 'x86_64', 'hello-modules-6.1.0-56-amd64_1.0-1_amd64.deb'],
    ['6.1.0-56-rt-amd64', 'x86_64', 'hello-modules-6.1.0-56-rt-amd64_1.0-1_amd64.deb'],
    ['6.1.0-56-arm64', 'aarch64', 'hello-modules-6.1.0-56-arm64_1.0-1_arm64.deb'],
    ['6.11.4-301.fc41.x86_64+debug', 'x86_64', 'hello-modules-6.11.4-301.fc41.x86-64+debug_1.0-1_amd64.deb'],
  ])('%s', (release, arch, file) => {
    const deb = planDebIdentity(input(release, arch));
    expect(deb.fileName).toBe(file);
    expect(deb.depends).toEqual([`linux-image-${release}`]);
  });
});
