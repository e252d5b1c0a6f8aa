/**
 * The kmodforge system package (npm run deb, npm run rpm, make install): built once, checked with lintian
 * and rpmlint, and its executable run from the extracted .deb with no Node on PATH. Nothing is installed on
 * this system.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDeb } from '../../scripts/package-deb.ts';
import { dkmsVersion } from '../../scripts/package-meta.ts';
import { buildRpm } from '../../scripts/package-rpm.ts';
import { runChecker } from '../support/packages.ts';

const run = promisify(execFile);
const version = (JSON.parse(await readFile('package.json', 'utf8')) as { version: string }).version;

/** Installed paths under PREFIX (bin/…) or absolute (/etc/…, the unit's directory given apart). */
const expectedUnderPrefix = [
  'bin/kmodforge',
  'sbin/dkms',
  'lib/dkms/common.postinst',
  'lib/kernel/install.d/40-kmodforge.install',
  'share/bash-completion/completions/kmodforge',
  'share/bash-completion/completions/dkms',
  'share/doc/kmodforge/copyright',
];
const manPages = ['share/man/man1/kmodforge.1', 'share/man/man8/dkms.8'];
const expectedEtc = [
  '/etc/dkms/framework.conf',
  '/etc/kernel/postinst.d/dkms',
  '/etc/kernel/header_postinst.d/dkms',
  '/etc/kernel/prerm.d/dkms',
];
const unit = 'kmodforge-autoinstall.service';

let work: string;
let deb: string;
let rpm: string;
let debFiles: string[];
let rpmFiles: string[];

/** Files and links (not directories) of a tree, as absolute paths within it. */
async function listInstalled(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => !e.isDirectory())
    .map((e) => `/${path.relative(dir, path.join(e.parentPath, e.name))}`)
    .sort();
}

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'kmf-system-package-'));
  deb = await buildDeb(path.join(work, 'out'));
  rpm = await buildRpm(path.join(work, 'out'));
  const { stdout: debList } = await run('dpkg-deb', ['--contents', deb]);
  debFiles = debList
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('d'))
    .map((line) => (line.split(/\s+/)[5] ?? '').replace(/^\./, ''))
    .sort();
  const { stdout: rpmList } = await run('rpm', ['-qp', '--qf', '[%{FILENAMES} %{FILEMODES:perms}\\n]', rpm]);
  rpmFiles = rpmList
    .split('\n')
    .filter((line) => line !== '' && !/ d\S{9}$/.test(line))
    .map((line) => line.split(' ')[0] ?? '')
    .sort();
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('the .deb', () => {
  it('is named kmodforge_<version>_<arch>.deb', async () => {
    const { stdout: arch } = await run('dpkg', ['--print-architecture']);
    expect(path.basename(deb)).toBe(`kmodforge_${version}_${arch.trim()}.deb`);
  });

  it('has no lintian errors', async () => {
    const report = await runChecker('lintian', ['--no-tag-display-limit', deb]);
    expect(report.split('\n').filter((line) => line.startsWith('E: '))).toEqual([]);
  });

  it('provides a versioned dkms that meets Debian *-dkms packages, and stands in for the dkms package', async () => {
    const { stdout } = await run('dpkg-deb', [
      '--field',
      deb,
      'Provides',
      'Conflicts',
      'Replaces',
      'Depends',
    ]);
    expect(stdout).toContain(`Provides: dkms (= ${dkmsVersion})`);
    expect(stdout).toMatch(/^Conflicts: dkms$/m);
    expect(stdout).toMatch(/^Replaces: dkms$/m);
    expect(stdout).toMatch(/^Depends: .*\blibc6 \(>= [^)]+\).*\bkmod\b.*\bgcc \| c-compiler\b.*\bmake\b/m);
    // v4l2loopback-dkms and gost-crypto-dkms depend on dkms (>= 2.1.0.0).
    const meets = await run('dpkg', ['--compare-versions', dkmsVersion, 'ge', '2.1.0.0']).then(
      () => true,
      () => false,
    );
    expect(meets).toBe(true);
  });

  it('marks every file under /etc as a conffile', async () => {
    const dir = path.join(work, 'control');
    await run('dpkg-deb', ['--control', deb, dir]);
    const conffiles = (await readFile(path.join(dir, 'conffiles'), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .sort();
    expect(conffiles).toEqual(debFiles.filter((f) => f.startsWith('/etc/')));
    expect(conffiles).toEqual(expect.arrayContaining(expectedEtc));
  });

  it('holds every file the system needs', () => {
    expect(debFiles).toEqual(
      expect.arrayContaining([
        ...expectedUnderPrefix.map((f) => `/usr/${f}`),
        ...manPages.map((f) => `/usr/${f}.gz`),
        ...expectedEtc,
        `/lib/systemd/system/${unit}`,
        '/usr/share/doc/kmodforge/changelog.gz',
      ]),
    );
  });

  it('runs kmodforge and, through its link, dkms, from the package with no Node on PATH', async () => {
    const root = path.join(work, 'extracted');
    await run('dpkg-deb', ['-x', deb, root]);
    const emptyPath = path.join(work, 'empty-path');
    await mkdir(emptyPath);
    const env = { PATH: emptyPath };
    const noNode = await run('sh', ['-c', 'command -v node'], { env }).then(
      () => true,
      () => false,
    );
    expect(noNode).toBe(false);
    const kmodforge = await run(path.join(root, 'usr/bin/kmodforge'), ['--version'], { env });
    expect(kmodforge.stdout).toBe(`${version}\n`);
    const dkms = await run(path.join(root, 'usr/sbin/dkms'), ['--version'], { env });
    expect(dkms.stdout).toBe(`dkms-${dkmsVersion}\n`);
  });
});

describe('the .rpm', () => {
  it('is named kmodforge-<version>-<release>.<arch>.rpm', () => {
    expect(path.basename(rpm)).toMatch(
      new RegExp(`^kmodforge-${version.replaceAll('.', '\\.')}-1\\.\\w+\\.rpm$`),
    );
  });

  it('has no rpmlint errors', async () => {
    const report = await runChecker('rpmlint', ['-r', 'packaging/rpm/kmodforge.rpmlintrc', rpm]);
    expect(report).toMatch(/\b0 errors\b/);
  });

  it('provides a versioned dkms and obsoletes and conflicts with the dkms package', async () => {
    const { stdout } = await run('rpm', ['-qp', '--provides', '--conflicts', '--obsoletes', rpm]);
    expect(stdout).toContain(`dkms = ${dkmsVersion}`);
    expect(stdout).toMatch(/^dkms$/m);
    expect(stdout).toContain(`dkms < ${dkmsVersion}`);
  });

  it('holds the same files as the .deb, its unit where rpm distributions keep units', () => {
    const debOnly = ['/usr/share/doc/kmodforge/changelog.gz', '/usr/share/lintian/overrides/kmodforge'];
    const fromDeb = debFiles
      .filter((f) => !debOnly.includes(f))
      .map((f) => f.replace(/^\/lib\/systemd\/system\//, '/usr/lib/systemd/system/'))
      .sort();
    expect(rpmFiles).toEqual(fromDeb);
  });
});

describe('make install', () => {
  it('lays out the packages’ files under PREFIX and DESTDIR', async () => {
    const destdir = path.join(work, 'stage');
    await run('make', ['--no-print-directory', 'install', 'PREFIX=/usr/local', `DESTDIR=${destdir}`], {
      maxBuffer: 1 << 26,
    });
    const installed = await listInstalled(destdir);
    const fromDeb = debFiles
      .filter((f) => !f.startsWith('/usr/share/lintian/') && f !== '/usr/share/doc/kmodforge/changelog.gz')
      .map((f) => f.replace(/^\/usr\//, '/usr/local/').replace(/(\/man\d\/.+)\.gz$/, '$1'))
      .sort();
    expect(installed).toEqual(fromDeb);
    const { stdout: link } = await run('readlink', [path.join(destdir, 'usr/local/sbin/dkms')]);
    expect(link).toBe('../bin/kmodforge\n');
    const hook = await readFile(path.join(destdir, 'etc/kernel/postinst.d/dkms'), 'utf8');
    expect(hook).not.toMatch(/@s?BINDIR@/i);
  });
});
