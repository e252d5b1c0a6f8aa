/**
 * Issue 9 for the packaging commands: mktarball, ldtarball, mkrpm, mkdeb (and --source), mksrpm and
 * generate-mok take --dry-run, print what they would build and write, and change nothing.
 */
import { mkdtemp, readdir, realpath, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonLines } from '../../support/cli.ts';
import {
  arch,
  fixtureDir,
  kernelOfFlavor,
  makeSigningKeyPair,
  makeTestRoot,
  snapshotTree,
  type TestRoot,
} from '../../support/test-root.ts';

describe('--dry-run of the packaging commands', () => {
  let t: TestRoot;
  let kernel: string;
  let other: string;
  let work: string;
  /** A dkms tarball of kmf-simple built for `kernel`, with its source; and one with binaries only. */
  let tarball: string;
  let binariesOnly: string;
  /** <sourceTree>/kmf-simple-1.0 with links resolved, as mktarball and mksrpm name it. */
  let source: string;
  const fresh: TestRoot[] = [];

  /** Every file of the root, byte for byte, but the lock file a read may create. */
  const snapshot = (root: TestRoot): Promise<string[]> =>
    snapshotTree(root.root, { ignore: /\.kmodforge\.lock$/ });

  /** Runs a dry run in `root`, checks that it exits 0 and wrote nothing, and returns its output. */
  async function dryRunIn(root: TestRoot, ...args: string[]): Promise<string> {
    const before = await snapshot(root);
    const { code, stdout, stderr } = await root.cli(...args, '--dry-run');
    expect([args.join(' '), code, stderr]).toEqual([args.join(' '), 0, '']);
    expect(await snapshot(root)).toEqual(before);
    return stdout;
  }
  const dryRun = (...args: string[]): Promise<string> => dryRunIn(t, ...args);

  /** A root with only `kernel` and no module, for commands that would add one. */
  async function freshRoot(): Promise<TestRoot> {
    const root = await makeTestRoot({ prefix: 'kmf-dry-pkg-fresh-', kernels: [kernel] });
    fresh.push(root);
    return root;
  }

  const plan = (command: string, ...lines: string[]): string =>
    `Dry run of ${command}: nothing is changed.\n${lines.map((l) => `  ${l}\n`).join('')}`;

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'kmf-dry-pkg-work-'));
    const signing = await makeSigningKeyPair(work);
    t = await makeTestRoot({ prefix: 'kmf-dry-pkg-', signing });
    kernel = kernelOfFlavor(t.kernels, 'amd64');
    other = kernelOfFlavor(t.kernels, 'rt-amd64');
    const build = await t.cli('build', fixtureDir('kmf-simple'), '-k', kernel);
    if (build.code !== 0) throw new Error(`build failed: ${build.stderr}`);
    tarball = path.join(work, 'kmf-simple.dkms.tar.gz');
    binariesOnly = path.join(work, 'kmf-simple-binaries.dkms.tar.gz');
    for (const [file, ...more] of [[tarball], [binariesOnly, '--binaries-only']] as const) {
      const made = await t.cli('mktarball', 'kmf-simple/1.0', '-k', kernel, '--archive', file, ...more);
      if (made.code !== 0) throw new Error(`mktarball failed: ${made.stderr}`);
    }
    source = await realpath(path.join(t.sourceTree, 'kmf-simple-1.0'));
  });
  afterAll(async () => {
    await Promise.all([t.cleanup(), ...fresh.map((root) => root.cleanup())]);
    await rm(work, { recursive: true, force: true });
  });

  it('mktarball lists the builds and the source it packs, and the file it writes', async () => {
    const built = `${t.dkmsTree}/kmf-simple/1.0/${kernel}/${arch}`;
    const tarballs = `${t.dkmsTree}/kmf-simple/1.0/tarball`;
    expect(await dryRun('mktarball', 'kmf-simple/1.0', '-k', kernel)).toBe(
      plan(
        'mktarball kmf-simple/1.0',
        `include the built modules of ${kernel} (${arch}) from ${built}`,
        `include the source ${source}`,
        `write ${tarballs}/kmf-simple-1.0-kernel${kernel}-${arch}.dkms.tar.gz`,
      ),
    );
    expect(await dryRun('mktarball', 'kmf-simple/1.0', '--binaries-only')).toContain(
      `  include a binaries-only stub with ${source}/dkms.conf\n`,
    );
    expect(await dryRun('mktarball', 'kmf-simple/1.0', '--source-only')).toBe(
      plan(
        'mktarball kmf-simple/1.0',
        `include the source ${source}`,
        `write ${tarballs}/kmf-simple-1.0-source-only.dkms.tar.gz`,
      ),
    );
    // A kernel without a build is refused as the command refuses it (exit 6), still writing nothing.
    const before = await snapshot(t);
    const refused = await t.cli('mktarball', 'kmf-simple/1.0', '-k', other, '--dry-run');
    expect([refused.code, refused.stderr]).toEqual([
      6,
      expect.stringContaining(`No modules built for ${other}`),
    ]);
    expect(await snapshot(t)).toEqual(before);
  });

  it('ldtarball says how it registers the module and what it does with each build', async () => {
    const dest = `${t.dkmsTree}/kmf-simple/1.0/${kernel}/${arch}`;
    expect(await dryRun('ldtarball', tarball, '-k', kernel)).toBe(
      plan(
        'ldtarball kmf-simple/1.0',
        'kmf-simple/1.0 is already added',
        `keep the existing build of ${kernel} (${arch}) (--force replaces it)`,
      ),
    );
    expect(await dryRun('ldtarball', tarball, '-k', kernel, '--force')).toContain(
      `  load the built modules of ${kernel} (${arch}) into ${dest}, replacing the build there\n`,
    );
    const empty = await freshRoot();
    expect(await dryRunIn(empty, 'ldtarball', tarball, '-k', kernel)).toBe(
      plan(
        'ldtarball kmf-simple/1.0',
        `copy the source in ${tarball} to ${empty.sourceTree}/kmf-simple-1.0`,
        `add kmf-simple/1.0: ${empty.dkmsTree}/kmf-simple/1.0/source -> ${empty.sourceTree}/kmf-simple-1.0`,
        `load the built modules of ${kernel} (${arch}) into ${empty.dkmsTree}/kmf-simple/1.0/${kernel}/${arch}`,
      ),
    );
    expect(await dryRunIn(empty, 'ldtarball', binariesOnly, '-k', kernel)).toContain(
      `  add kmf-simple/1.0 as a binaries-only stub: ${empty.dkmsTree}/kmf-simple/1.0/source holding only dkms.conf\n`,
    );
  });

  it('mkrpm lists the builds still needed, then every package file, meta packages included', async () => {
    const rpms = `${t.dkmsTree}/kmf-simple/1.0/rpm`;
    const out = await dryRun('mkrpm', 'kmf-simple/1.0', '-k', kernel, '-k', other);
    const lines = out.split('\n');
    expect(lines.slice(0, 2)).toEqual([
      'Dry run of mkrpm kmf-simple/1.0: nothing is changed.',
      `  kmf-simple/1.0 for ${kernel} (${arch}) is already built`,
    ]);
    expect(lines[2]).toMatch(
      `  build kmf-simple/1.0 for ${other} (${arch}) in ${t.dkmsTree}/kmf-simple/1.0/.kmodforge-build/${other}-${arch}`,
    );
    expect(lines.slice(3)).toEqual([
      `  write ${rpms}/kmod-kmf-simple-${kernel}-1.0-1.x86_64.rpm`,
      `  write ${rpms}/kmod-kmf-simple-${other}-1.0-1.x86_64.rpm`,
      `  write ${rpms}/kmod-kmf-simple-amd64-1.0-1.noarch.rpm`,
      `  write ${rpms}/kmod-kmf-simple-rt-amd64-1.0-1.noarch.rpm`,
      '',
    ]);
    const kmp = await dryRun(
      'mkrpm',
      'kmf-simple/1.0',
      '-k',
      kernel,
      '--style',
      'kmp',
      '--release',
      '3',
      '--out',
      work,
      '--gpg-key',
      'packager@example.org',
    );
    expect(kmp).toContain(
      `  write ${work}/kmf-simple-kmp-amd64-1.0_k${kernel.replaceAll('-', '_')}-3.x86_64.rpm\n  sign them with the GPG key packager@example.org (rpmsign)\n`,
    );
  });

  it('mkrpm --json gives the plan as data', async () => {
    const [record, ...more] = jsonLines(await dryRun('mkrpm', 'kmf-simple/1.0', '-k', kernel, '--json'));
    expect(more).toEqual([]);
    expect(record).toEqual({
      type: 'plan',
      command: 'mkrpm kmf-simple/1.0',
      steps: [
        `kmf-simple/1.0 for ${kernel} (${arch}) is already built`,
        `write ${t.dkmsTree}/kmf-simple/1.0/rpm/kmod-kmf-simple-${kernel}-1.0-1.x86_64.rpm`,
        `write ${t.dkmsTree}/kmf-simple/1.0/rpm/kmod-kmf-simple-amd64-1.0-1.noarch.rpm`,
      ],
      ops: [],
      depmod: [],
    });
  });

  it('mkdeb and mkdeb --source list the .deb files they write', async () => {
    const debs = `${t.dkmsTree}/kmf-simple/1.0/deb`;
    expect(await dryRun('mkdeb', 'kmf-simple/1.0', '-k', kernel)).toBe(
      plan(
        'mkdeb kmf-simple/1.0',
        `kmf-simple/1.0 for ${kernel} (${arch}) is already built`,
        `write ${debs}/kmf-simple-modules-${kernel}_1.0-1_amd64.deb`,
      ),
    );
    expect(await dryRun('mkdeb', '--source', 'kmf-simple/1.0', '--release', '2')).toBe(
      plan('mkdeb --source kmf-simple/1.0', `write ${debs}/kmf-simple-dkms_1.0-2_all.deb`),
    );
  });

  it('mkdeb of a source not added yet: the add, the build, the userland and its -common package', async () => {
    const empty = await freshRoot();
    const dir = fixtureDir('kmf-userland');
    const debs = `${empty.dkmsTree}/kmf-userland/1.0/deb`;
    expect(await dryRunIn(empty, 'mkdeb', dir, '-k', kernel)).toBe(
      plan(
        'mkdeb kmf-userland/1.0',
        `copy ${dir} to ${empty.sourceTree}/kmf-userland-1.0`,
        `add kmf-userland/1.0: ${empty.dkmsTree}/kmf-userland/1.0/source -> ${empty.sourceTree}/kmf-userland-1.0`,
        `build kmf-userland/1.0 for ${kernel} (${arch})`,
        'build the userland of kmf-userland/1.0 (make -C tools): /usr/bin/kmf-userland-ctl /usr/lib/udev/rules.d/90-kmf-userland.rules /usr/lib/modprobe.d/kmf-userland.conf',
        `write ${debs}/kmf-userland-common_1.0-1_amd64.deb`,
        `write ${debs}/kmf-userland-modules-${kernel}_1.0-1_amd64.deb`,
      ),
    );
  });

  it('mksrpm names the source it packs and the .src.rpm it writes', async () => {
    expect(await dryRun('mksrpm', 'kmf-simple/1.0')).toBe(
      plan(
        'mksrpm kmf-simple/1.0',
        `pack the source ${source} with its dkms.conf`,
        `write ${t.dkmsTree}/kmf-simple/1.0/rpm/kmf-simple-kmod-1.0-1.src.rpm`,
      ),
    );
  });

  it('generate-mok says whether it would generate the key pair', async () => {
    expect(await dryRun('generate-mok')).toBe(
      plan('generate-mok', `the key pair exists: ${t.signingKey} ${t.signingCertificate}`),
    );
    const empty = await freshRoot();
    expect(await dryRunIn(empty, 'generate-mok')).toBe(
      plan('generate-mok', `generate the key pair ${empty.signingKey} ${empty.signingCertificate}`),
    );
  });

  it('the files a dry run lists are the files the command writes', async () => {
    const cases: [string, string[]][] = [
      ['mkrpm', ['mkrpm', 'kmf-simple/1.0', '-k', kernel]],
      ['mkdeb', ['mkdeb', 'kmf-simple/1.0', '-k', kernel]],
      ['mkdeb-source', ['mkdeb', '--source', 'kmf-simple/1.0']],
      ['mksrpm', ['mksrpm', 'kmf-simple/1.0']],
    ];
    for (const [name, args] of cases) {
      const out = path.join(work, name);
      const listed = (await dryRun(...args, '--out', out))
        .split('\n')
        .filter((l) => l.startsWith('  write '))
        .map((l) => l.slice('  write '.length));
      const made = await t.cli(...args, '--out', out);
      expect([name, made.code, made.stderr]).toEqual([name, 0, '']);
      expect((await readdir(out)).map((f) => path.join(out, f)).sort()).toEqual(listed.sort());
    }
  });
});
