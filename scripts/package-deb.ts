/**
 * `npm run deb`: dist-packages/kmodforge_<version>_<arch>.deb, staged by `make install` and built with
 * dpkg-deb (no debhelper: the control file comes from scripts/package-meta.ts, the maintainer scripts
 * from packaging/debian/). Usage: `tsx scripts/package-deb.ts [outdir]`.
 */
import { execa } from 'execa';
import { chmod, copyFile, lstat, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { planDebChangelog, planDebControl, packageName } from './package-meta.ts';
import {
  listTree,
  packagesDir,
  readPackageVersion,
  readSourceDate,
  root,
  withStagedInstall,
} from './package-stage.ts';

const maintainerScripts = ['postinst', 'prerm', 'postrm'];

/** dpkg-shlibdeps's Depends for the executable, which it computes from the libraries it links. */
async function readShlibsDepends(executable: string): Promise<string[]> {
  // dpkg-shlibdeps looks for debian/control in its working directory; an empty one will do.
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kmodforge-shlibs-'));
  try {
    await mkdir(path.join(dir, 'debian'));
    await writeFile(path.join(dir, 'debian/control'), '');
    const { stdout } = await execa('dpkg-shlibdeps', ['-O', '--warnings=0', `-e${executable}`], { cwd: dir });
    const value = /^shlibs:Depends=(.*)$/m.exec(stdout)?.[1];
    if (value === undefined) throw new Error(`dpkg-shlibdeps printed no shlibs:Depends: ${stdout}`);
    return value.split(', ');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Installed-Size as dpkg-gencontrol counts it: each file's KiB rounded up, one for each other entry. */
async function readInstalledSize(staging: string): Promise<number> {
  let kib = 0;
  for (const entry of await listTree(staging)) {
    const info = await lstat(path.join(staging, entry.path));
    kib += info.isFile() ? Math.ceil(info.size / 1024) : 1;
  }
  return kib;
}

export async function buildDeb(outDir: string): Promise<string> {
  const version = await readPackageVersion();
  const { stdout: architecture } = await execa('dpkg', ['--print-architecture']);
  const date = await readSourceDate();
  const variables = { PREFIX: '/usr', SYSTEMDUNITDIR: '/lib/systemd/system', COMPRESS_MAN: 'yes' };
  return withStagedInstall(variables, async (staging) => {
    await chmod(staging, 0o755);
    const docDir = path.join(staging, 'usr/share/doc', packageName);
    await writeFile(
      path.join(docDir, 'changelog.gz'),
      gzipSync(planDebChangelog(version, date), { level: 9 }),
    );
    await chmod(path.join(docDir, 'changelog.gz'), 0o644);
    const overrides = path.join(staging, 'usr/share/lintian/overrides', packageName);
    await mkdir(path.dirname(overrides), { recursive: true });
    await copyFile(path.join(root, 'packaging/debian/lintian-overrides'), overrides);
    await chmod(overrides, 0o644);

    const files = (await listTree(staging)).filter((e) => !e.isDir);
    const md5sums: string[] = [];
    for (const file of files) {
      const full = path.join(staging, file.path);
      if (!(await lstat(full)).isFile()) continue;
      md5sums.push(
        `${createHash('md5')
          .update(await readFile(full))
          .digest('hex')}  ${file.path}`,
      );
    }
    const control = planDebControl({
      version,
      architecture,
      installedSize: await readInstalledSize(staging),
      shlibsDepends: await readShlibsDepends(path.join(staging, 'usr/bin/kmodforge')),
    });

    const debian = path.join(staging, 'DEBIAN');
    await mkdir(debian);
    await writeFile(path.join(debian, 'control'), control);
    await writeFile(
      path.join(debian, 'conffiles'),
      files
        .filter((f) => f.path.startsWith('etc/'))
        .map((f) => `/${f.path}\n`)
        .join(''),
    );
    await writeFile(path.join(debian, 'md5sums'), md5sums.map((line) => `${line}\n`).join(''));
    for (const name of ['control', 'conffiles', 'md5sums']) await chmod(path.join(debian, name), 0o644);
    for (const script of maintainerScripts) {
      await copyFile(path.join(root, 'packaging/debian', script), path.join(debian, script));
      await chmod(path.join(debian, script), 0o755);
    }

    await mkdir(outDir, { recursive: true });
    const deb = path.join(outDir, `${packageName}_${version}_${architecture}.deb`);
    await execa('dpkg-deb', ['--root-owner-group', '-Zxz', '--build', staging, deb], {
      env: { SOURCE_DATE_EPOCH: String(date) },
    });
    console.log(path.relative(root, deb));
    return deb;
  });
}

if (import.meta.filename === process.argv[1]) await buildDeb(path.resolve(process.argv[2] ?? packagesDir));
