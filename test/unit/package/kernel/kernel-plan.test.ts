import { describe, expect, it } from 'vitest';
import { KmodError } from '../../../../src/errors.ts';
import { planDevelSpec } from '../../../../src/package/kernel/devel-plan.ts';
import {
  planConfigure,
  planKernelBuild,
  planDefconfigFiles,
  planMkspecWrapper,
  planSrcArch,
  type KernelBuildDirs,
} from '../../../../src/package/kernel/make-plan.ts';
import {
  checkFlavor,
  checkKernelPackageRelease,
  parseKernelMakefileVersion,
  planKernelPackageFiles,
  planKernelPackageNames,
  planKernelRelease,
} from '../../../../src/package/kernel/release-plan.ts';
import { checkBuildTools, planBuildTools } from '../../../../src/package/kernel/tools-plan.ts';

const dirs: KernelBuildDirs = {
  sourceDir: '/src/linux',
  buildDir: '/out/build-6.1.192-1host108',
  rpmTopDir: '/out/build-6.1.192-1host108/kmodforge-rpmbuild',
  mkspecWrapper: '/out/build-6.1.192-1host108/kmodforge-mkspec',
};

describe('the kernel version of a source tree', () => {
  it.each([
    ['VERSION = 6\nPATCHLEVEL = 1\nSUBLEVEL = 192\nEXTRAVERSION =\nNAME = Curry Ramen\n', '6.1.192'],
    ['VERSION = 6\nPATCHLEVEL = 8\nSUBLEVEL = 0\nEXTRAVERSION = -rc3\n', '6.8.0-rc3'],
    ['VERSION = 2\nPATCHLEVEL = 4\nSUBLEVEL = 18\nEXTRAVERSION =\n', '2.4.18'],
    ['all:\n\techo hi\n', undefined],
  ])('%j is %s', (text, version) => {
    expect(parseKernelMakefileVersion(text)).toBe(version);
  });
});

describe("the seed's release scheme", () => {
  it('ends the release with the flavor, and splits it into rpm Version and Release', () => {
    expect(planKernelRelease('6.1.192', '1', 'host108')).toEqual({
      kernelVersion: '6.1.192',
      release: '6.1.192-1host108',
      flavor: 'host108',
      localVersion: '-1host108',
      rpmVersion: '6.1.192',
      rpmRelease: '1host108',
      debVersion: '6.1.192-1host108',
    });
    expect(planKernelRelease('6.8.0-rc3', '14', 'smp')).toMatchObject({
      release: '6.8.0-rc3-14smp',
      rpmVersion: '6.8.0_rc3',
      debVersion: '6.8.0~rc3-14smp',
    });
  });

  it('names the packages as each family does', () => {
    const plan = planKernelRelease('6.1.192', '1', 'host108');
    expect(planKernelPackageNames('rpm', plan)).toEqual({
      image: 'kernel',
      devel: 'kernel-devel',
      userHeaders: 'kernel-headers',
    });
    expect(planKernelPackageNames('deb', plan)).toEqual({
      image: 'linux-image-6.1.192-1host108',
      devel: 'linux-headers-6.1.192-1host108',
      userHeaders: 'linux-libc-dev',
    });
  });

  it('names the files each format writes into the output directory', () => {
    const plan = planKernelRelease('6.1.192', '1', 'host108');
    expect(planKernelPackageFiles('rpm', plan, 'x86_64', '/out')).toEqual([
      { role: 'image', name: 'kernel', file: '/out/kernel-6.1.192-1host108.x86_64.rpm' },
      {
        role: 'user-headers',
        name: 'kernel-headers',
        file: '/out/kernel-headers-6.1.192-1host108.x86_64.rpm',
      },
      { role: 'devel', name: 'kernel-devel', file: '/out/kernel-devel-6.1.192-1host108.x86_64.rpm' },
    ]);
    expect(
      planKernelPackageFiles('deb', planKernelRelease('6.8.0-rc3', '2', 'smp'), 'aarch64', '/out').map(
        (p) => p.file,
      ),
    ).toEqual([
      '/out/linux-image-6.8.0-rc3-2smp_6.8.0~rc3-2smp_arm64.deb',
      '/out/linux-headers-6.8.0-rc3-2smp_6.8.0~rc3-2smp_arm64.deb',
      '/out/linux-libc-dev_6.8.0~rc3-2smp_arm64.deb',
    ]);
  });

  it.each(['host108', 'smp', 'bigmem'])('takes the flavor %s', (flavor) => {
    expect(checkFlavor(flavor)).toBe(flavor);
  });
  it.each(['108host', 'Host', 'host-108', 'host_108', ''])('refuses the flavor %j', (flavor) => {
    expect(() => checkFlavor(flavor)).toThrow(KmodError);
  });
  it.each(['0', '1a', '-1', ''])('refuses the release %j', (release) => {
    expect(() => checkKernelPackageRelease(release)).toThrow(KmodError);
  });
});

describe('the make command lines', () => {
  const plan = planKernelRelease('6.1.192', '1', 'host108');

  it('configure from defconfig without a config, and keep the local version to the flavor', () => {
    expect(planConfigure(dirs, false).map((c) => [c.file, ...c.args].join(' '))).toEqual([
      'make -C /src/linux O=/out/build-6.1.192-1host108 defconfig',
      '/src/linux/scripts/config --file /out/build-6.1.192-1host108/.config --set-str LOCALVERSION  --disable LOCALVERSION_AUTO',
      'make -C /src/linux O=/out/build-6.1.192-1host108 olddefconfig',
    ]);
    expect(planConfigure(dirs, true)).toHaveLength(2);
  });

  it('compile, then the kernel’s own packaging target with the release and the job budget', () => {
    const [compile, rpm] = planKernelBuild(dirs, plan, 'rpm', 2);
    expect(compile?.args).toEqual([
      '-C',
      '/src/linux',
      'O=/out/build-6.1.192-1host108',
      '-j2',
      'LOCALVERSION=-1host108',
      'KBUILD_BUILD_VERSION=1host108',
    ]);
    expect(rpm?.args.slice(-3)).toEqual([
      'MKSPEC=/out/build-6.1.192-1host108/kmodforge-mkspec',
      "RPMOPTS=--define '_topdir /out/build-6.1.192-1host108/kmodforge-rpmbuild'",
      'binrpm-pkg',
    ]);
    const deb = planKernelBuild(dirs, plan, 'deb', 2)[1];
    expect(deb?.args.slice(-3)).toEqual([
      'KDEB_PKGVERSION=6.1.192-1host108',
      'KDEB_CHANGELOG_DIST=unstable',
      'bindeb-pkg',
    ]);
  });

  it("rewrites only the Version and Release of the kernel's spec", () => {
    const wrapper = planMkspecWrapper('/src/linux', plan);
    expect(wrapper).toContain(`spec=$('/src/linux/scripts/package/mkspec' "$@")`);
    expect(wrapper).toContain("-e 's/^Version: .*/Version: 6.1.192/' -e 's/^Release: .*/Release: 1host108/'");
  });

  it.each([
    ['x86_64', 'x86'],
    ['aarch64', 'arm64'],
    ['ppc64le', 'powerpc'],
  ])('builds %s from arch/%s', (machine, srcarch) => {
    expect(planSrcArch(machine)).toBe(srcarch);
  });

  it("looks for the architecture's defconfig where make defconfig does", () => {
    expect(planDefconfigFiles('x86_64')).toEqual([
      'arch/x86/configs/x86_64_defconfig',
      'arch/x86/configs/defconfig',
    ]);
    expect(planDefconfigFiles('aarch64')).toEqual([
      'arch/arm64/configs/aarch64_defconfig',
      'arch/arm64/configs/defconfig',
    ]);
  });
});

describe('the kernel-devel package', () => {
  it('owns the module build tree where rpmbuild and dkms look, and the build link', () => {
    const spec = planDevelSpec(
      planKernelRelease('6.1.192', '1', 'host108'),
      'kmodforge <p@kmodforge.invalid>',
    );
    expect(spec).toContain('Name: kernel-devel\nVersion: 6.1.192\nRelease: 1host108\n');
    expect(spec).toContain('Provides: kernel-devel-uname-r = 6.1.192-1host108\n');
    expect(spec).toMatch(
      /%files\n%defattr\(-,root,root\)\n\/usr\/src\/kernels\/6\.1\.192-1host108\n\/lib\/modules\/6\.1\.192-1host108\/build\n$/,
    );
  });
});

describe('the build dependencies', () => {
  it('says which Debian packages to install', () => {
    const missing = planBuildTools('deb').filter((t) =>
      ['bison', '/usr/include/gelf.h', 'fakeroot'].includes(t.name),
    );
    expect(() => {
      checkBuildTools(missing);
    }).toThrow(
      expect.objectContaining({
        message: 'building the kernel needs bison, /usr/include/gelf.h, fakeroot, which are not installed',
        hint: 'on Debian: apt-get install bison libelf-dev fakeroot',
      }),
    );
    expect(() => {
      checkBuildTools([]);
    }).not.toThrow();
  });
});
