/**
 * Issue 11: `kmodforge doctor` checks what commonly goes wrong on a real root (a kernel without headers,
 * a compiler that is not the kernel's, Secure Boot without the key, the state tree, modules copied by
 * hand, locks) and says what to do; it exits 14 on a problem, 0 with warnings alone.
 */
import { spawn } from 'node:child_process';
import { mkdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonLines, runCli } from '../../support/cli.ts';
import {
  arch,
  fixtureDir,
  kernelOfFlavor,
  makeTempDir,
  makeTestRoot,
  type TestRoot,
} from '../../support/test-root.ts';

interface DoctorRecord {
  type: string;
  check: string;
  severity: string;
  summary: string;
  action: string | null;
  path: string | null;
}

describe('doctor', () => {
  let t: TestRoot;
  let k1: string;
  const secureBoot = (): string =>
    path.join(t.root, 'sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-e0f98c0e2c51');

  beforeAll(async () => {
    t = await makeTestRoot({ prefix: 'kmf-doctor-' });
    k1 = kernelOfFlavor(t.kernels, 'amd64');
    const { code, stderr } = await t.cli('install', fixtureDir('kmf-simple'), '-k', k1);
    if (code !== 0) throw new Error(`install failed: ${stderr}`);
  });
  afterAll(async () => {
    await t.cleanup();
  });

  const doctor = async (): Promise<{ code: number; records: DoctorRecord[] }> => {
    const { code, stdout } = await t.cli('doctor', '--json');
    // Events (a warning that a dkms.conf cannot be read) come as their own lines.
    const lines = jsonLines(stdout) as unknown as DoctorRecord[];
    return { code, records: lines.filter((l) => l.type === 'doctor') };
  };
  const notOk = (records: readonly DoctorRecord[]): DoctorRecord[] =>
    records.filter((r) => r.severity !== 'ok');

  it('finds nothing wrong on an intact root, and says what it checked', async () => {
    const { code, records } = await doctor();
    expect(notOk(records)).toEqual([]);
    expect(code).toBe(0);
    expect(new Set(records.map((r) => r.check))).toEqual(
      new Set(['headers', 'compiler', 'secure-boot', 'state', 'modules', 'lock']),
    );
    expect(jsonLines((await t.cli('doctor', '--json')).stdout)).toHaveLength(records.length);
    const text = await t.cli('doctor');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^ok +headers +${k1}: headers in `, 'm'));
    expect(text.stdout).toMatch(/No problems found\.\n$/);
  });

  it('finds a module copied by hand over ours, and its do-line puts ours back', async () => {
    const installed = t.installedKo(k1, 'kmf_simple');
    const ours = await readFile(installed);
    await writeFile(installed, Buffer.concat([ours, Buffer.from('by hand')]));
    const { code, records } = await doctor();
    expect(code).toBe(14);
    const reinstall = `kmodforge install --force kmf-simple/1.0 -k ${k1}/${arch}`;
    expect(notOk(records)).toEqual([
      {
        type: 'doctor',
        check: 'modules',
        severity: 'problem',
        summary: `kmf-simple/1.0, ${k1} (${arch}): ${installed} is not the module kmodforge built (copied over it by hand?)`,
        action: `put the built one back: ${reinstall}`,
        path: installed,
      },
    ]);
    const fix = await t.cli(...reinstall.split(' ').slice(1));
    expect(fix.code, fix.stderr).toBe(0);
    expect(await readFile(installed)).toEqual(ours);
    expect((await doctor()).code).toBe(0);
  });

  it('finds a kernel whose image is installed without headers, and names the package', async () => {
    const release = '6.1.0-99-amd64';
    const dir = path.join(t.installTree, release);
    await mkdir(path.join(dir, 'kernel'), { recursive: true });
    try {
      const { code, records } = await doctor();
      expect(code).toBe(14);
      expect(notOk(records)).toEqual([
        {
          type: 'doctor',
          check: 'headers',
          severity: 'problem',
          summary: `${release}: no headers (no ${dir}/build/include); kmf-simple/1.0 cannot be built for it`,
          action: `apt-get install linux-headers-${release}`,
          path: `${dir}/build`,
        },
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('finds headers built by another major version of the compiler than the one builds run', async () => {
    const release = '6.1.0-97-amd64';
    const headers = path.join(t.installTree, release, 'build');
    await mkdir(path.join(headers, 'include'), { recursive: true });
    await writeFile(
      path.join(headers, '.config'),
      'CONFIG_CC_VERSION_TEXT="gcc-99 (Debian 99.1.0-1) 99.1.0"\n',
    );
    try {
      const { code, records } = await doctor();
      expect(code).toBe(14);
      const [finding] = notOk(records);
      expect(finding).toMatchObject({ check: 'compiler', severity: 'problem' });
      expect(finding?.summary).toMatch(
        new RegExp(
          `^${release}: built by "gcc-99 \\(Debian 99\\.1\\.0-1\\) 99\\.1\\.0", but builds run /\\S+/gcc, 12\\.\\d+\\.\\d+: another major version$`,
        ),
      );
      expect(finding?.action).toMatch('apt-get install gcc-99');
    } finally {
      await rm(path.join(t.installTree, release), { recursive: true, force: true });
    }
  });

  it('reads Secure Boot from efivars under the root: on without a certificate is a problem', async () => {
    await mkdir(path.dirname(secureBoot()), { recursive: true });
    await writeFile(secureBoot(), Buffer.from([6, 0, 0, 0, 1]));
    const aside = `${t.signingCertificate}.aside`;
    try {
      // With the certificate: mokutil reads this machine's firmware, not the root's, so doctor cannot tell.
      const withCert = await doctor();
      expect(withCert.code).toBe(0);
      expect(notOk(withCert.records)).toEqual([
        expect.objectContaining({ check: 'secure-boot', severity: 'warning', path: t.signingCertificate }),
      ]);
      expect(notOk(withCert.records)[0]?.summary).toMatch(
        `cannot tell whether ${t.signingCertificate} is enrolled`,
      );

      await rename(t.signingCertificate, aside);
      const without = await doctor();
      expect(without.code).toBe(14);
      expect(notOk(without.records)).toEqual([
        expect.objectContaining({
          check: 'secure-boot',
          severity: 'problem',
          action: expect.stringContaining(`mokutil --import ${t.signingCertificate}`) as unknown,
        }),
      ]);
      await rename(aside, t.signingCertificate);

      await writeFile(secureBoot(), Buffer.from([6, 0, 0, 0, 0]));
      const off = await doctor();
      expect(off.code).toBe(0);
      expect(off.records.find((r) => r.check === 'secure-boot')?.summary).toBe(
        `Secure Boot is off (${secureBoot()})`,
      );
    } finally {
      await rm(path.join(t.root, 'sys'), { recursive: true, force: true });
      await rename(aside, t.signingCertificate).catch(() => undefined);
    }
  });

  it('finds what failed builds and interrupted commands left in the state tree', async () => {
    const versionDir = path.join(t.dkmsTree, 'kmf-simple', '1.0');
    const work = path.join(versionDir, '.kmodforge-build', `${k1}-${arch}`);
    await mkdir(work, { recursive: true });
    await writeFile(path.join(work, 'make.log'), 'error: failed\n');
    const link = path.join(t.dkmsTree, 'kmf-simple', `kernel-6.1.0-98-amd64-${arch}`);
    await symlink(`1.0/6.1.0-98-amd64/${arch}`, link);
    const journal = path.join(t.dkmsTree, '.kmodforge-journal');
    await writeFile(journal, 'not json');
    try {
      const { code, records } = await doctor();
      expect(code).toBe(14);
      expect(notOk(records).map((r) => [r.check, r.severity, r.path])).toEqual([
        ['state', 'problem', link],
        ['state', 'warning', work],
        ['state', 'problem', journal],
      ]);
      expect(notOk(records)[0]?.action).toBe(
        `build and install it again: kmodforge install --force kmf-simple/1.0 -k 6.1.0-98-amd64/${arch}`,
      );
      expect(notOk(records)[1]?.action).toBe(`read ${work}/make.log, then rm -rf ${work}`);
    } finally {
      await rm(path.join(versionDir, '.kmodforge-build'), { recursive: true, force: true });
      await rm(link, { force: true });
      await rm(journal, { force: true });
    }
  });

  it('finds a source without dkms.conf, then a source link that leads nowhere', async () => {
    const source = path.join(t.sourceTree, 'kmf-simple-1.0');
    const sourceLink = path.join(t.dkmsTree, 'kmf-simple', '1.0', 'source');
    await rename(path.join(source, 'dkms.conf'), path.join(source, 'dkms.conf.aside'));
    try {
      const noConf = await doctor();
      expect(noConf.code).toBe(14);
      expect(notOk(noConf.records)).toEqual([
        expect.objectContaining({ check: 'state', severity: 'problem', path: `${sourceLink}/dkms.conf` }),
      ]);
      await rename(source, `${source}.aside`);
      try {
        const broken = await doctor();
        expect(broken.code).toBe(14);
        expect(notOk(broken.records)).toEqual([
          expect.objectContaining({ check: 'state', severity: 'problem', path: sourceLink }),
        ]);
        expect(notOk(broken.records)[0]?.action).toMatch(`put the source back at ${source} `);
      } finally {
        await rename(`${source}.aside`, source);
      }
    } finally {
      await rename(path.join(source, 'dkms.conf.aside'), path.join(source, 'dkms.conf'));
    }
    expect((await doctor()).code).toBe(0);
  });

  it('names the process holding the state lock, and a stale dkms lock it is safe to remove', async () => {
    const lockFile = path.join(t.dkmsTree, '.kmodforge.lock');
    // --no-fork: flock becomes sleep, so the pid holding the lock is the one killed below.
    const holder = spawn('flock', ['--no-fork', '-x', lockFile, 'sleep', '60'], { stdio: 'ignore' });
    const holderExit = new Promise((resolve) => holder.on('exit', resolve));
    // A pid that was alive and is gone: that of a process that has ended.
    const ended = spawn('true', [], { stdio: 'ignore' });
    await new Promise((resolve) => ended.on('exit', resolve));
    const dkmsLock = path.join(t.root, 'tmp', `dkms_rpm_safe_upgrade_lock.${ended.pid ?? 0}.AbC123`);
    await mkdir(path.dirname(dkmsLock), { recursive: true });
    await writeFile(dkmsLock, 'kmf-simple-1.0\nThu Nov 26 04:46:30 2026\n');
    try {
      let records: DoctorRecord[] = [];
      for (let tries = 0; tries < 50; tries++) {
        records = (await doctor()).records;
        if (records.some((r) => r.check === 'lock' && r.severity === 'warning' && r.path === lockFile)) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const { code } = await doctor();
      expect(code).toBe(0);
      expect(notOk(records)).toEqual([
        expect.objectContaining({
          check: 'lock',
          severity: 'warning',
          summary: expect.stringContaining(
            `${lockFile} is held by pid ${holder.pid ?? 0} (sleep 60)`,
          ) as unknown,
          action: expect.not.stringMatching(/\brm\b/) as unknown,
        }),
        expect.objectContaining({
          check: 'lock',
          severity: 'warning',
          action: expect.stringMatching(`^rm ${dkmsLock} `) as unknown,
        }),
      ]);
    } finally {
      holder.kill();
      await holderExit;
      await rm(path.join(t.root, 'tmp'), { recursive: true, force: true });
    }
  });
});

describe('doctor on a root with no system in it', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await makeTempDir('kmf-doctor-empty-');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('warns of an empty root: no kernel and no state tree, not "No problems found."', async () => {
    const { code, stdout } = await runCli('--root', dir, 'doctor', '--json');
    expect(code).toBe(0);
    const warnings = (jsonLines(stdout) as unknown as DoctorRecord[]).filter((r) => r.severity !== 'ok');
    expect(warnings).toEqual([
      expect.objectContaining({ check: 'headers', path: path.join(dir, 'lib/modules') }),
      expect.objectContaining({ check: 'state', path: path.join(dir, 'var/lib/dkms') }),
    ]);
    expect(warnings.map((w) => w.severity)).toEqual(['warning', 'warning']);
    const text = await runCli('--root', dir, 'doctor');
    expect(text.stdout).toMatch(/^warning +headers +no kernel found: /m);
    expect(text.stdout).toMatch(new RegExp(`^warning +state +${dir}/var/lib/dkms does not exist: `, 'm'));
    expect(text.stdout).toMatch(/\n0 problems, 2 warnings\.\n$/);
  });

  it('says a root that does not exist does not, and nothing else', async () => {
    const missing = path.join(dir, 'missing');
    const { code, stdout, stderr } = await runCli('--root', missing, 'doctor');
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toBe(
      [
        `warning  root         ${missing} does not exist: there is no system to check`,
        '                      do this: give --root the directory that holds the system (its /lib/modules, /var/lib/dkms and /etc/dkms)',
        '0 problems, 1 warning.',
        '',
      ].join('\n'),
    );
    const json = await runCli('--root', missing, 'doctor', '--json');
    expect(jsonLines(json.stdout)).toEqual([
      expect.objectContaining({ type: 'doctor', check: 'root', severity: 'warning', path: missing }),
    ]);
    // doctor only reads: it made nothing under the missing root.
    await expect(readFile(missing)).rejects.toThrow(/ENOENT/);
  });
});
