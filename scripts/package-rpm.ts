/**
 * `npm run rpm`: dist-packages/kmodforge-<version>-<release>.<arch>.rpm, staged by `make install` and built
 * with rpmbuild from packaging/rpm/kmodforge.spec.in. Usage: `tsx scripts/package-rpm.ts [outdir]`.
 */
import { execa } from 'execa';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { packageName, planRpmFiles, planRpmSpec } from './package-meta.ts';
import {
  listTree,
  packagesDir,
  readPackageVersion,
  readSourceDate,
  root,
  withStagedInstall,
} from './package-stage.ts';

export const rpmRelease = '1';

export async function buildRpm(outDir: string): Promise<string> {
  const version = await readPackageVersion();
  const epochSeconds = await readSourceDate();
  const template = await readFile(path.join(root, 'packaging/rpm/kmodforge.spec.in'), 'utf8');
  // Where Fedora, openSUSE and RHEL keep units (/lib is a link to /usr/lib there).
  const variables = { PREFIX: '/usr', SYSTEMDUNITDIR: '/usr/lib/systemd/system', COMPRESS_MAN: 'yes' };
  return withStagedInstall(variables, async (staging) => {
    const entries = (await listTree(staging)).map((e) => ({ ...e, path: `/${e.path}` }));
    const spec = planRpmSpec(
      { version, release: rpmRelease, files: planRpmFiles(entries), epochSeconds },
      template,
    );
    const top = await mkdtemp(path.join(os.tmpdir(), 'kmodforge-rpmbuild-'));
    try {
      const specFile = path.join(top, `${packageName}.spec`);
      await writeFile(specFile, spec);
      await execa(
        'rpmbuild',
        ['-bb', '--define', `_topdir ${top}`, '--define', `kmf_staging ${staging}`, specFile],
        { env: { SOURCE_DATE_EPOCH: String(epochSeconds) } },
      );
      const { stdout: arch } = await execa('rpm', ['--eval', '%{_arch}']);
      const name = `${packageName}-${version}-${rpmRelease}.${arch}.rpm`;
      await mkdir(outDir, { recursive: true });
      const rpm = path.join(outDir, name);
      await rename(path.join(top, 'RPMS', arch, name), rpm);
      console.log(path.relative(root, rpm));
      return rpm;
    } finally {
      await rm(top, { recursive: true, force: true });
    }
  });
}

if (import.meta.filename === process.argv[1]) await buildRpm(path.resolve(process.argv[2] ?? packagesDir));
