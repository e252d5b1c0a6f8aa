import { access, readFile, readlink, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonLines } from '../../support/cli.ts';
import {
  arch,
  copyFixture,
  fixtureDir,
  kernelOfFlavor,
  makeTempDir,
  makeTestRoot,
  sha256File,
  snapshotTree,
  statusLines,
  type TestRoot,
} from '../../support/test-root.ts';

/** A failed build's own work area, where its make.log is kept. */
const work = /(^|\/)\.kmodforge-build(\/|$)/;

const compilerError = /kmf_broken\.c:\d+:\d+: error: 'kmf_no_such_symbol' undeclared/;

function logPathOf(stderr: string): string {
  const m = /the whole log is (\S+make\.log)/.exec(stderr);
  if (m?.[1] === undefined) throw new Error(`no make.log path in: ${stderr}`);
  return m[1];
}

describe('a build that fails', () => {
  let t: TestRoot;
  let kernel: string;
  let tmp: string;

  beforeAll(async () => {
    t = await makeTestRoot({ prefix: 'kmf-fail-' });
    tmp = await makeTempDir('kmf-fail-src-');
    kernel = kernelOfFlavor(t.kernels, 'amd64');
  });
  afterAll(async () => {
    await t.cleanup();
    await rm(tmp, { recursive: true, force: true });
  });

  it('exits 10 naming the make command, the compiler error and the log, which is kept', async () => {
    expect((await t.cli('add', fixtureDir('kmf-broken'))).code).toBe(0);
    const { code, stderr } = await t.cli('build', 'kmf-broken/1.0', '-k', kernel);
    expect(code).toBe(10);
    expect(stderr).toContain(`kmf-broken/1.0 for ${kernel} (${arch}): make failed (exit code 2)`);
    expect(stderr).toMatch(new RegExp(`command: make KERNELRELEASE=${kernel} -C \\S+ M=\\S+`));
    expect(stderr).toMatch(compilerError);
    const log = logPathOf(stderr);
    expect(log.startsWith(`${t.dkmsTree}/kmf-broken/1.0/`)).toBe(true);
    expect(await readFile(log, 'utf8')).toMatch(compilerError);
    expect(await statusLines(t, 'kmf-broken')).toEqual(['kmf-broken/1.0: added']);
    await expect(access(path.join(t.dkmsTree, 'kmf-broken', '1.0', kernel))).rejects.toThrow();
  });

  it('reports the failure as a JSON record with --json', async () => {
    const { code, stdout, stderr } = await t.cli('build', 'kmf-broken/1.0', '-k', kernel, '--json');
    expect(code).toBe(10);
    expect(stderr).toBe('');
    const builds = jsonLines(stdout).filter((r) => r['type'] === 'build');
    expect(builds).toEqual([
      expect.objectContaining({
        module: 'kmf-broken',
        version: '1.0',
        kernel,
        arch,
        status: 'failed',
        error: expect.objectContaining({ code: 'BUILD_FAILED', exitCode: 10 }) as unknown,
      }),
    ]);
    expect(JSON.stringify(builds[0])).toMatch(compilerError);
  });

  it('exits 10 from install as well, installing nothing', async () => {
    const before = await snapshotTree(t.installTree);
    const { code, stderr } = await t.cli('install', 'kmf-broken/1.0', '-k', kernel);
    expect(code).toBe(10);
    expect(stderr).toMatch(compilerError);
    expect(await snapshotTree(t.installTree)).toEqual(before);
    expect(await statusLines(t, 'kmf-broken')).toEqual(['kmf-broken/1.0: added']);
  });

  describe('of a new version while a good one is installed', () => {
    let goodKo: string;
    let goodKoHash: string;
    let installTreeBefore: string[];
    let goodStateBefore: string[];

    beforeAll(async () => {
      expect((await t.cli('install', fixtureDir('kmf-simple'), '-k', kernel)).code).toBe(0);
      goodKo = t.installedKo(kernel, 'kmf_simple');
      goodKoHash = await sha256File(goodKo);
      // kmf-simple 2.0 with a syntax error.
      const broken = await copyFixture('kmf-simple', path.join(tmp, 'kmf-simple-2.0'), {
        'dkms.conf': (s) => s.replace('PACKAGE_VERSION="1.0"', 'PACKAGE_VERSION="2.0"'),
        'kmf_simple.c': (s) => s.replace('MODULE_VERSION("1.0");', 'MODULE_VERSION("2.0");\nthis is not C;'),
      });
      expect((await t.cli('add', broken)).code).toBe(0);
      installTreeBefore = await snapshotTree(t.installTree);
      goodStateBefore = await snapshotTree(path.join(t.dkmsTree, 'kmf-simple', '1.0'), { ignore: work });
    });

    const expectGoodVersionUntouched = async (): Promise<void> => {
      expect(await sha256File(goodKo)).toBe(goodKoHash);
      expect(await snapshotTree(t.installTree)).toEqual(installTreeBefore);
      expect(await snapshotTree(path.join(t.dkmsTree, 'kmf-simple', '1.0'), { ignore: work })).toEqual(
        goodStateBefore,
      );
      expect(await readlink(path.join(t.dkmsTree, 'kmf-simple', `kernel-${kernel}-${arch}`))).toBe(
        `1.0/${kernel}/${arch}`,
      );
      expect(await statusLines(t, 'kmf-simple')).toEqual([
        `kmf-simple/1.0, ${kernel}, ${arch}: installed`,
        'kmf-simple/2.0: added',
      ]);
    };

    it('build 2.0 fails (exit 10) and 1.0 stays installed, byte for byte', async () => {
      const { code, stderr } = await t.cli('build', 'kmf-simple/2.0', '-k', kernel);
      expect(code).toBe(10);
      expect(stderr).toMatch(/kmf_simple\.c:\d+:\d+: error: /);
      expect(await readFile(logPathOf(stderr), 'utf8')).toMatch(/kmf_simple\.c:\d+:\d+: error: /);
      await expectGoodVersionUntouched();
    });

    it('install 2.0 fails (exit 10) and 1.0 stays installed, byte for byte', async () => {
      const { code } = await t.cli('install', 'kmf-simple/2.0', '-k', kernel);
      expect(code).toBe(10);
      // Nothing of the install tree changed: not even depmod's outputs.
      await expectGoodVersionUntouched();
    });

    it('a forced rebuild of the installed 1.0 that fails (exit 10) leaves it installed, byte for byte', async () => {
      const { code, stderr } = await t.cli(
        'build',
        'kmf-simple/1.0',
        '-k',
        kernel,
        '--force',
        '--directive',
        'MAKE[0]=false',
      );
      expect(code).toBe(10);
      expect(stderr).toContain('command: false');
      await expectGoodVersionUntouched();
    });
  });
});
