import { describe, expect, it } from 'vitest';
import { readDistro } from '../../../src/conf/distro.ts';
import { planConfVariables, readModuleConf } from '../../../src/conf/read.ts';
import { readKernel } from '../../../src/kernel/discover.ts';
import { resolvePaths } from '../../../src/paths.ts';
import { sourceWithBash } from '../../support/bash-source.ts';
import { debianDkmsPackages, fetchDebianDkmsPackage, installedKernels } from '../../support/debian-dkms.ts';
import { readConfWithDkms } from '../../support/dkms-oracle.ts';

const kernels = installedKernels();
const paths = resolvePaths({ root: '/' });

describe('real Debian dkms packages: kmodforge resolves dkms.conf as bash and dkms 3.0.10 do', () => {
  it('has kernels to resolve for', () => {
    expect(kernels.length).toBeGreaterThan(0);
  });

  it.each(debianDkmsPackages)('%s', async (name) => {
    const pkg = await fetchDebianDkmsPackage(name);
    const distro = await readDistro('/');
    for (const release of kernels) {
      const kernel = await readKernel(paths, release);
      const options = { confPath: pkg.confPath, paths, kernel, arch: 'x86_64', distro };
      const conf = await readModuleConf(options);
      const where = `${name} on ${release}`;

      const bash = await sourceWithBash(
        pkg.confPath,
        planConfVariables(options, conf.packageName, conf.packageVersion),
      );
      expect(conf.directives, `${where}: directives`).toEqual(bash);

      const dkms = await readConfWithDkms({ confPath: pkg.confPath, kernel: release, arch: 'x86_64' });
      expect(dkms.returnCode, `${where}: dkms read_conf`).toBe(0);
      expect([conf.packageName, conf.packageVersion], `${where}: name`).toEqual([
        dkms.packageName,
        dkms.packageVersion,
      ]);
      expect(
        conf.modules.map((m) => ({
          name: m.builtName,
          location: m.builtLocation,
          dest: m.destName,
          destLocation: m.destLocation,
          strip: m.strip,
        })),
        `${where}: modules`,
      ).toEqual(
        dkms.modules.map((m) => ({
          name: m.builtModuleName,
          location: m.builtModuleLocation,
          dest: m.destModuleName,
          destLocation: m.destModuleLocation,
          strip: m.strip !== 'no',
        })),
      );
      expect(
        conf.exclusion !== undefined,
        `${where}: BUILD_EXCLUSIVE (${conf.exclusion?.reason ?? 'builds'})`,
      ).toBe(dkms.buildExclude);
      expect(conf.patches, `${where}: patches`).toEqual(dkms.patchArray);
      expect(conf.scripts, `${where}: scripts`).toEqual({
        preBuild: dkms.preBuild || undefined,
        postBuild: dkms.postBuild || undefined,
        postAdd: dkms.postAdd || undefined,
        preInstall: dkms.preInstall || undefined,
        postInstall: dkms.postInstall || undefined,
        postRemove: dkms.postRemove || undefined,
      });
    }
  });
});
