/**
 * The dkms rows that give each side an environment of its own, side by side with dkms 3.0.10:
 * --rpm_safe_upgrade (each side's TMPDIR holds its locks) and ldtarball of an .rpm (each side's `rpm` on
 * PATH installs into its own root).
 *
 * dkms names its lock after the parent of its parent. The real dkms runs as a child of this test process
 * (unshare and sh exec it), so its `$PPID` is this process; the front end runs in-process and is told the
 * same `$PPID` through its host's parentPid. Both then name the lock after this process's parent, and find
 * the same start time for it.
 */
import { execFile as execFileCallback } from 'node:child_process';
import { chmod, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installedKernels } from '../../support/debian-dkms.ts';
import {
  makeSideBySide,
  runFrontEnd,
  runRealDkms,
  type Env,
  type SideBySide,
  type SideRun,
} from '../../support/dkms-side-by-side.ts';
import {
  copyFixture,
  fixtureDir,
  kernelOfFlavor,
  makeSigningKeyPair,
  makeTempDir,
} from '../../support/test-root.ts';

const execFile = promisify(execFileCallback);
const kernel = kernelOfFlavor(installedKernels(), 'amd64');
const lockPrefix = `dkms_rpm_safe_upgrade_lock.${process.ppid}.`;

type Side = 'dkms' | 'kmodforge';

/** Runs a command line on both sides, each with the environment `envOf` gives it. */
async function runBoth(
  sbs: SideBySide,
  envOf: (side: Side) => Env,
  ...args: string[]
): Promise<Record<Side, SideRun>> {
  const dkms = await runRealDkms(sbs.dkms, args, envOf('dkms'));
  const kmodforge = await runFrontEnd(sbs.kmodforge, args, envOf('kmodforge'));
  return { dkms, kmodforge };
}

/** The locks in a TMPDIR that name this process's parent, with what they hold (their names are random). */
async function locksIn(dir: string): Promise<string[]> {
  const names = (await readdir(dir)).filter((n) => n.startsWith(lockPrefix));
  return Promise.all(names.map((n) => readFile(path.join(dir, n), 'utf8')));
}

describe('dkms --rpm_safe_upgrade, side by side', () => {
  let sbs: SideBySide;
  const tmp: Record<Side, string> = { dkms: '', kmodforge: '' };
  const envOf = (side: Side): Env => ({ TMPDIR: tmp[side] });

  beforeAll(async () => {
    sbs = await makeSideBySide();
    for (const side of ['dkms', 'kmodforge'] as const) {
      tmp[side] = await makeTempDir(`kmf-rsu-${side}-`);
      await copyFixture('kmf-simple', path.join(sbs[side].sourceTree, 'kmf-simple-1.0'));
    }
  });
  afterAll(async () => {
    await sbs.cleanup();
    await Promise.all([rm(tmp.dkms, { recursive: true }), rm(tmp.kmodforge, { recursive: true })]);
  });

  it('add leaves a lock naming the module and the start time of its parent’s parent', async () => {
    const result = await runBoth(sbs, envOf, 'add', '-m', 'kmf-simple', '-v', '1.0', '--rpm_safe_upgrade');
    expect(result.kmodforge).toEqual(result.dkms);
    expect(result.dkms.code).toBe(0);
    const dkmsLocks = await locksIn(tmp.dkms);
    expect(dkmsLocks).toHaveLength(1);
    expect(dkmsLocks[0]).toMatch(/^kmf-simple-1\.0\n\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\n$/);
    expect(await locksIn(tmp.kmodforge)).toEqual(dkmsLocks);
  });

  it('add of a module already added leaves a lock too, before it refuses', async () => {
    const result = await runBoth(sbs, envOf, 'add', '-m', 'kmf-simple', '-v', '1.0', '--rpm_safe_upgrade');
    expect(result.kmodforge).toEqual(result.dkms);
    expect(result.dkms.code).toBe(3);
    expect(await locksIn(tmp.dkms)).toHaveLength(2);
    expect(await locksIn(tmp.kmodforge)).toEqual(await locksIn(tmp.dkms));
  });

  it('remove --rpm_safe_upgrade under the same parent passes another module’s lock, takes one of its own and is cancelled', async () => {
    // Named to come first in the glob's order.
    const other = (await locksIn(tmp.dkms))[0]?.replace('kmf-simple-1.0', 'kmf-other-1.0') ?? '';
    for (const side of ['dkms', 'kmodforge'] as const)
      await writeFile(path.join(tmp[side], `${lockPrefix}000000`), other);
    const result = await runBoth(sbs, envOf, 'remove', 'kmf-simple/1.0', '--all', '--rpm_safe_upgrade');
    expect(result.kmodforge).toEqual(result.dkms);
    expect(result.dkms).toEqual({
      code: 0,
      stdout: '',
      stderr: 'Error! Remove cancelled because --rpm_safe_upgrade scenario detected.\n',
    });
    // The other module's lock stays, and one of the two of kmf-simple.
    expect((await locksIn(tmp.dkms)).sort()).toEqual((await locksIn(tmp.kmodforge)).sort());
    expect(await locksIn(tmp.dkms)).toHaveLength(2);
    const status = await runBoth(sbs, envOf, 'status');
    expect(status.kmodforge).toEqual(status.dkms);
    expect(status.dkms.stdout).toBe('kmf-simple/1.0: added\n');
  });

  it('the next remove takes the second lock; with none left, remove removes', async () => {
    const second = await runBoth(sbs, envOf, 'remove', 'kmf-simple/1.0', '--all', '--rpm_safe_upgrade');
    expect(second.kmodforge).toEqual(second.dkms);
    expect(second.dkms.code).toBe(0);
    const third = await runBoth(sbs, envOf, 'remove', 'kmf-simple/1.0', '--all', '--rpm_safe_upgrade');
    expect(third.kmodforge).toEqual(third.dkms);
    expect(third.dkms.stdout).toBe('Deleting module kmf-simple-1.0 completely from the DKMS tree.\n');
    expect(await locksIn(tmp.dkms)).toEqual([(await locksIn(tmp.kmodforge))[0]]);
  });

  it('without --rpm_safe_upgrade, add leaves no lock', async () => {
    for (const side of ['dkms', 'kmodforge'] as const) await rm(path.join(tmp[side], `${lockPrefix}000000`));
    const result = await runBoth(sbs, envOf, 'add', '-m', 'kmf-simple', '-v', '1.0');
    expect(result.kmodforge).toEqual(result.dkms);
    expect(await locksIn(tmp.dkms)).toEqual([]);
    expect(await locksIn(tmp.kmodforge)).toEqual([]);
  });
});

/**
 * An .rpm that holds a module's source and its registration in the dkms tree, as a package built for dkms
 * would leave them (its %post would have added it): `rpm -Uvh` installs it, then dkms autoinstalls.
 */
async function buildModuleRpm(dir: string): Promise<string> {
  const spec = path.join(dir, 'SPECS', 'kmf-simple-dkms.spec');
  await mkdir(path.dirname(spec), { recursive: true });
  await writeFile(
    spec,
    [
      'Name: kmf-simple-dkms',
      'Version: 1.0',
      'Release: 1',
      'Summary: kmf-simple for dkms',
      'License: GPL',
      'BuildArch: noarch',
      'AutoReqProv: no',
      '%description',
      'kmf-simple for dkms',
      '%install',
      'mkdir -p %{buildroot}/usr/src/kmf-simple-1.0 %{buildroot}/var/lib/dkms/kmf-simple/1.0/build',
      `cp -r ${fixtureDir('kmf-simple')}/. %{buildroot}/usr/src/kmf-simple-1.0/`,
      'ln -s ../../../../../usr/src/kmf-simple-1.0 %{buildroot}/var/lib/dkms/kmf-simple/1.0/source',
      '%files',
      '/usr/src/kmf-simple-1.0',
      '/var/lib/dkms/kmf-simple',
      '',
    ].join('\n'),
  );
  await execFile('rpmbuild', ['--define', `_topdir ${dir}`, '-bb', spec]);
  return path.join(dir, 'RPMS', 'noarch', 'kmf-simple-dkms-1.0-1.noarch.rpm');
}

describe('dkms ldtarball of an .rpm, side by side', () => {
  let sbs: SideBySide;
  let work: string;
  let rpmFile: string;
  /** Each side's PATH starts with an `rpm` that installs into that side's root. */
  const pathOf: Record<Side, string> = { dkms: '', kmodforge: '' };
  const envOf = (side: Side): Env => ({ PATH: pathOf[side] });

  beforeAll(async () => {
    work = await makeTempDir('kmf-ldrpm-');
    sbs = await makeSideBySide({ signing: await makeSigningKeyPair(work) });
    rpmFile = await buildModuleRpm(path.join(work, 'rpmbuild'));
    for (const side of ['dkms', 'kmodforge'] as const) {
      const bin = path.join(work, `${side}-bin`);
      await mkdir(bin);
      const wrapper = path.join(bin, 'rpm');
      await writeFile(
        wrapper,
        `#!/bin/sh\nexec /usr/bin/rpm --root '${sbs[side].root}' --dbpath /var/lib/rpm "$@"\n`,
      );
      await chmod(wrapper, 0o755);
      pathOf[side] = `${bin}:${process.env['PATH'] ?? '/usr/bin:/bin'}`;
    }
  });
  afterAll(async () => {
    await sbs.cleanup();
    await rm(work, { recursive: true, force: true });
  });

  it('a file named .rpm that rpm cannot install: rpm’s complaint, then exit 9', async () => {
    const bogus = path.join(work, 'bogus.rpm');
    await writeFile(bogus, 'not an rpm\n');
    const result = await runBoth(sbs, envOf, 'ldtarball', bogus);
    expect(result.kmodforge).toEqual(result.dkms);
    expect(result.dkms.code).toBe(9);
  });

  it('rpm -Uvh installs it into the root, then autoinstall builds and installs the module', async () => {
    const result = await runBoth(sbs, envOf, 'ldtarball', rpmFile, '-k', kernel);
    expect(result.kmodforge).toEqual(result.dkms);
    expect(result.dkms.code).toBe(0);
    expect(result.dkms.stdout).toContain('kmf-simple-dkms-1.0-1');
    const status = await runBoth(sbs, envOf, 'status', '-k', kernel);
    expect(status.kmodforge).toEqual(status.dkms);
    expect(status.dkms.stdout).toContain(': installed');
  });
});
