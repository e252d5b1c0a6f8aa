import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { debCacheDir, fetchDebianDkmsPackage, installedKernels } from '../../support/debian-dkms.ts';
import type { FetchedDkmsPackage } from '../../support/debian-dkms.ts';
import { dkmsValue, readConfWithDkms } from '../../support/dkms-oracle.ts';

const kernels = installedKernels();
describe('real-world corpus support', () => {
  let pkg: FetchedDkmsPackage;
  const kernel = kernels[0] ?? '';

  beforeAll(async () => {
    pkg = await fetchDebianDkmsPackage('v4l2loopback-dkms');
  });

  it('lists kernels with headers, sorted', () => {
    expect(kernels).toEqual([...kernels].sort());
    for (const k of kernels) expect(existsSync(path.join('/lib/modules', k, 'build', 'include'))).toBe(true);
  });

  it('fetches, extracts and locates the dkms.conf', async () => {
    expect(pkg.name).toBe('v4l2loopback-dkms');
    expect(path.dirname(pkg.deb)).toBe(debCacheDir);
    expect(path.basename(pkg.deb)).toMatch(/^v4l2loopback-dkms_.+\.deb$/);
    expect(pkg.root).toBe(path.join(debCacheDir, 'v4l2loopback-dkms'));
    expect(pkg.packageName).toBe('v4l2loopback');
    expect(pkg.packageVersion).toMatch(/^\d/);
    expect(pkg.sourceDir).toBe(path.join(pkg.root, 'usr', 'src', `v4l2loopback-${pkg.packageVersion}`));
    expect(pkg.confPath).toBe(path.join(pkg.sourceDir, 'dkms.conf'));
    expect(existsSync(pkg.confPath)).toBe(true);
    // A second (and a concurrent) fetch reuse the cache.
    const [again, concurrent] = await Promise.all([
      fetchDebianDkmsPackage('v4l2loopback-dkms'),
      fetchDebianDkmsPackage('v4l2loopback-dkms'),
    ]);
    expect(again).toEqual(pkg);
    expect(concurrent).toEqual(pkg);
  });

  it("resolves the conf with dkms's own read_conf", async () => {
    const result = await readConfWithDkms({ confPath: pkg.confPath, kernel, arch: 'x86_64' });
    expect(result.dkmsVersion).toMatch(/^3\./);
    expect(result.returnCode).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.pkgInfo).toMatchObject({ returnCode: 0, died: false, packageName: 'v4l2loopback' });
    expect(result.packageName).toBe('v4l2loopback');
    expect(result.packageVersion).toBe(pkg.packageVersion);
    expect(result.module).toBe('v4l2loopback');
    expect(result.moduleVersion).toBe(pkg.packageVersion);
    expect(result.kernelSourceDir).toBe(`/lib/modules/${kernel}/build`);
    expect(result.runningDistribution).toBe('debian');
    expect(result.modules).toEqual([
      {
        index: 0,
        builtModuleName: 'v4l2loopback',
        builtModuleLocation: '',
        destModuleName: 'v4l2loopback',
        destModuleLocation: '/updates/dkms',
        rawDestModuleLocation: '/extra',
        strip: 'yes',
      },
    ]);
    expect(result.makeCommand).toBe(`make KERNEL_DIR=/lib/modules/${kernel}/build all`);
    expect(result.clean).toBe('make clean');
    expect(result.patchArray).toEqual([]);
    // The conf sources the kernel's .config and excludes itself when V4L2 is missing (e.g. -cloud).
    const config = readFileSync(`/lib/modules/${kernel}/build/.config`, 'utf8');
    expect(result.buildExclude).toBe(!/^CONFIG_VIDEO_DEV=[ym]$/m.test(config));
    expect(dkmsValue(result.raw, 'AUTOINSTALL')).toBe('yes');
    expect(dkmsValue(result.raw, 'MAKE')).toBe(result.makeCommand);
    expect(result.sourcedFiles[0]).toEqual({ path: pkg.confPath, stdout: '' });
  });

  it('passes trees through', async () => {
    const result = await readConfWithDkms({
      confPath: pkg.confPath,
      kernel,
      arch: 'x86_64',
      dkmsTree: '/tmp/dkms tree',
      sourceTree: '/tmp/src',
      installTree: '/tmp/inst',
    });
    expect(result).toMatchObject({
      dkmsTree: '/tmp/dkms tree',
      sourceTree: '/tmp/src',
      installTree: '/tmp/inst',
    });
  });

  it("reports read_conf's errors and the conf's own output verbatim", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'kmodforge-oracle-'));
    try {
      const confPath = path.join(dir, 'dkms.conf');
      await writeFile(
        confPath,
        [
          'PACKAGE_VERSION="1.0"',
          'BUILT_MODULE_NAME[0]="foo.ko"',
          'DEST_MODULE_LOCATION[0]="/lib/foo"',
          'echo "to stdout"',
          'echo "to stderr" >&2',
          'POST_INSTALL="a b.sh"',
          '',
        ].join('\n'),
      );
      const result = await readConfWithDkms({ confPath, kernel, arch: 'x86_64' });
      expect(result.returnCode).toBe(1);
      expect(result.stderr).toBe(
        [
          'to stderr',
          "dkms.conf: Error! 'BUILT_MODULE_NAME' directive ends in '.o' or '.ko' in record #0.",
          "dkms.conf: Error! 'DEST_MODULE_NAME' directive ends in '.o' or '.ko' in record #0.",
          "dkms.conf: Error! Directive 'DEST_MODULE_LOCATION' does not begin with",
          "'/kernel', '/updates', or '/extra' in record #0.",
          "dkms.conf: Error! No 'PACKAGE_NAME' directive specified.",
          '',
        ].join('\n'),
      );
      expect(result.pkgInfo.returnCode).toBe(1);
      expect(result.packageName).toBe('');
      expect(result.postInstall).toBe('a b.sh');
      expect(result.sourcedFiles).toEqual([{ path: confPath, stdout: 'to stdout\n' }]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
