/**
 * kmodforge and dkms 3.0.10 on one dkms tree: what one tool adds, builds and installs, the other reports
 * byte for byte as `dkms status` does, and can uninstall and remove.
 *
 * Every run points both tools at a throwaway root (--dkmstree, --sourcetree, --installtree, --no-depmod;
 * kmodforge also gets --root, or it would sign with, and generate, the real /var/lib/dkms/mok.key). Both
 * sign with one throwaway key pair in the root's dkms tree; dkms is pointed at it through
 * $mok_signing_key / $mok_certificate, which otherwise default to the real /var/lib/dkms.
 * kmodforge runs in-process, dkms as a child process with LC_ALL=C.
 */
import { existsSync, readFileSync } from 'node:fs';
import { appendFile, mkdir, mkdtemp, readFile, readdir, rm, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { jsonLines, runCli, type CliRun } from '../../support/cli.ts';
import { installedKernels } from '../../support/debian-dkms.ts';
import { readConfWithDkms } from '../../support/dkms-oracle.ts';
import { withoutProcesses } from '../../support/no-process.ts';
import {
  arch,
  findModuleFiles,
  kmodforgeOptions,
  makeSigningKeyPair,
  makeTestRoot,
  runDkms,
  treeOptions,
  type CommandResult,
  type SigningKeyPair,
  type TestRoot,
  type TestRootOptions,
} from '../../support/test-root.ts';

const fixture = fileURLToPath(new URL('../../fixtures/modules/kmf-interop', import.meta.url));
const moduleName = 'kmf-interop';
const moduleVersion = '0.3.1';
const mv = `${moduleName}/${moduleVersion}`;

const kernels = installedKernels();
const pick = (pattern: RegExp): string => kernels.find((k) => pattern.test(k)) ?? '';
const k1 = pick(/^6\.1\.0-\d+-amd64$/);
const k2 = pick(/^6\.1\.0-\d+-rt-amd64$/);
const k3 = pick(/^6\.1\.0-\d+-cloud-amd64$/);

/** dkms 3.0.10 treats original modules differently on Debian and Ubuntu (its running_distribution). */
const isDebianLike = ((): boolean => {
  try {
    return /^ID=("?)(debian|ubuntu)\1$/m.test(readFileSync('/etc/os-release', 'utf8'));
  } catch {
    return false;
  }
})();

let signing: SigningKeyPair;
let keyDir = '';
const roots: TestRoot[] = [];

/** The real dkms tree's entries (e.g. a mok.key a tool generated there): none may appear or go. */
const realDkmsTree = async (): Promise<string[]> => (await readdir('/var/lib/dkms').catch(() => [])).sort();
let realDkmsTreeBefore: string[] = [];

beforeAll(async () => {
  realDkmsTreeBefore = await realDkmsTree();
  keyDir = await mkdtemp(path.join(os.tmpdir(), 'kmf-interop-keys-'));
  signing = await makeSigningKeyPair(keyDir);
});

afterEach(async () => {
  await Promise.all(roots.splice(0).map((root) => root.cleanup()));
});

afterAll(async () => {
  if (keyDir !== '') await rm(keyDir, { recursive: true, force: true });
  expect(await realDkmsTree(), 'the real /var/lib/dkms is left alone').toEqual(realDkmsTreeBefore);
});

async function newRoot(options: TestRootOptions = {}): Promise<TestRoot> {
  const root = await makeTestRoot({ kernels: [k1, k2, k3], prefix: 'kmf-interop-', signing, ...options });
  roots.push(root);
  return root;
}

function kmf(root: TestRoot, ...args: string[]): Promise<CliRun> {
  return runCli(...args, ...kmodforgeOptions(root));
}

function dkms(root: TestRoot, ...args: string[]): Promise<CommandResult> {
  return runDkms(root, args);
}

/** Fails with what the tool printed when it did not exit 0. */
function expectOk(run: CliRun | CommandResult, what: string): void {
  expect(run.code, `${what}\n${run.stdout}${run.stderr}`).toBe(0);
}

const line = (kernel: string, state: string): string => `${mv}, ${kernel}, ${arch}: ${state}\n`;

/** `dkms status` and `kmodforge status` print the same bytes, unfiltered and with each filter. */
async function expectSameStatus(root: TestRoot, expected: string): Promise<void> {
  const filters: string[][] = [
    [],
    [moduleName],
    [mv],
    ['-m', moduleName, '-v', moduleVersion],
    ['-k', k1],
    ['-k', k2],
    ['-k', `${k1}/${arch}`],
    [moduleName, '-k', k2],
    ['-m', moduleName, '-k', k1, '-k', k3],
  ];
  for (const filter of filters) {
    const [ours, theirs] = [await kmf(root, 'status', ...filter), await dkms(root, 'status', ...filter)];
    const what = `status ${filter.join(' ')}`;
    expectOk(theirs, `dkms ${what}`);
    expectOk(ours, `kmodforge ${what}`);
    expect(ours.stdout, `kmodforge ${what} = dkms ${what}`).toBe(theirs.stdout);
    expect(ours.stderr, `kmodforge ${what}: stderr`).toBe(theirs.stderr);
    // Again, from what kmodforge recorded or the first run cached: the same bytes, and no process at all.
    const { result: again, started } = await withoutProcesses(() => kmf(root, 'status', ...filter));
    expect(started, `kmodforge ${what}, second run: processes`).toEqual([]);
    expect(again, `kmodforge ${what}, second run`).toEqual(ours);
  }
  expect((await dkms(root, 'status')).stdout).toBe(expected);
}

const installed = (root: TestRoot, kernel: string): string => root.installedKo(kernel, 'kmf_interop');
const built = (root: TestRoot, kernel: string): string =>
  root.builtKo(moduleName, moduleVersion, kernel, 'kmf_interop');

describe('kmodforge and dkms 3.0.10 share one dkms tree', { timeout: 300_000 }, () => {
  it('has the three Debian flavors to build for', () => {
    expect([k1, k2, k3]).not.toContain('');
  });

  it('reads what dkms added, built and installed for two kernels, then uninstalls and removes it', async () => {
    const root = await newRoot();
    expectOk(await dkms(root, 'add', fixture), 'dkms add');
    expect(existsSync(path.join(root.sourceTree, `${moduleName}-${moduleVersion}`, 'dkms.conf'))).toBe(true);
    await expectSameStatus(root, `${mv}: added\n`);

    expectOk(
      await dkms(root, 'install', '-m', moduleName, '-v', moduleVersion, '-k', k1, '-k', k2, '--no-depmod'),
      'dkms install',
    );
    expect(existsSync(installed(root, k1)) && existsSync(installed(root, k2))).toBe(true);
    await expectSameStatus(root, line(k1, 'installed') + line(k2, 'installed'));

    expectOk(await kmf(root, 'uninstall', mv, '-k', k1, '--no-depmod'), 'kmodforge uninstall -k k1');
    expect(existsSync(installed(root, k1))).toBe(false);
    expect(existsSync(installed(root, k2))).toBe(true);
    await expectSameStatus(root, line(k1, 'built') + line(k2, 'installed'));

    expectOk(await kmf(root, 'uninstall', mv, '-k', k2, '--no-depmod'), 'kmodforge uninstall -k k2');
    expect(await findModuleFiles(root.installTree)).toEqual([]);
    await expectSameStatus(root, line(k1, 'built') + line(k2, 'built'));

    expectOk(await kmf(root, 'remove', mv, '--all', '--no-depmod'), 'kmodforge remove --all');
    await expectSameStatus(root, '');
    expect(existsSync(path.join(root.dkmsTree, moduleName))).toBe(false);
    expect(await findModuleFiles(root.installTree)).toEqual([]);
  });

  it('lets dkms uninstall and remove what kmodforge added, built and installed', async () => {
    const root = await newRoot();
    expectOk(await kmf(root, 'add', fixture), 'kmodforge add');
    await expectSameStatus(root, `${mv}: added\n`);

    expectOk(await kmf(root, 'build', mv, '-k', k1, '-k', k2), 'kmodforge build');
    await expectSameStatus(root, line(k1, 'built') + line(k2, 'built'));

    expectOk(await kmf(root, 'install', mv, '-k', k1, '-k', k2, '--no-depmod'), 'kmodforge install');
    expect(existsSync(installed(root, k1)) && existsSync(installed(root, k2))).toBe(true);
    await expectSameStatus(root, line(k1, 'installed') + line(k2, 'installed'));

    expectOk(
      await dkms(root, 'uninstall', '-m', moduleName, '-v', moduleVersion, '-k', k1, '--no-depmod'),
      'dkms uninstall',
    );
    expect(existsSync(installed(root, k1))).toBe(false);
    expect(existsSync(installed(root, k2))).toBe(true);
    await expectSameStatus(root, line(k1, 'built') + line(k2, 'installed'));

    expectOk(await dkms(root, 'remove', mv, '--all', '--no-depmod'), 'dkms remove --all');
    await expectSameStatus(root, '');
    expect(existsSync(path.join(root.dkmsTree, moduleName))).toBe(false);
    expect(await findModuleFiles(root.installTree)).toEqual([]);
  });

  it.each(['dkms', 'kmodforge'] as const)(
    'agrees when %s builds for one kernel and the other tool for another, and each installs the other’s build',
    async (first) => {
      const root = await newRoot();
      const byFirst = async (...args: string[]): Promise<CliRun | CommandResult> =>
        first === 'dkms' ? dkms(root, ...args) : kmf(root, ...args);
      const bySecond = async (...args: string[]): Promise<CliRun | CommandResult> =>
        first === 'dkms' ? kmf(root, ...args) : dkms(root, ...args);

      expectOk(await byFirst('add', fixture), `${first} add`);
      expectOk(await byFirst('build', mv, '-k', k1), `${first} build -k k1`);
      await expectSameStatus(root, line(k1, 'built'));
      expectOk(await bySecond('build', mv, '-k', k2), 'second tool build -k k2');
      await expectSameStatus(root, line(k1, 'built') + line(k2, 'built'));

      expectOk(await bySecond('install', mv, '-k', k1, '--no-depmod'), 'second tool installs k1');
      await expectSameStatus(root, line(k1, 'installed') + line(k2, 'built'));
      expect(await readFile(installed(root, k1))).toEqual(await readFile(built(root, k1)));
      expectOk(await byFirst('install', mv, '-k', k2, '--no-depmod'), `${first} installs k2`);
      await expectSameStatus(root, line(k1, 'installed') + line(k2, 'installed'));
      expect(await readFile(installed(root, k2))).toEqual(await readFile(built(root, k2)));

      expectOk(await bySecond('remove', mv, '--all', '--no-depmod'), 'second tool remove --all');
      await expectSameStatus(root, '');
      expect(await findModuleFiles(root.installTree)).toEqual([]);
    },
  );

  it('shows the same warnings for a changed installed module and leaves out a build missing its module', async () => {
    const root = await newRoot();
    expectOk(await dkms(root, 'add', fixture), 'dkms add');
    expectOk(
      await dkms(root, 'install', '-m', moduleName, '-v', moduleVersion, '-k', k1, '--no-depmod'),
      'dkms install',
    );
    expectOk(await kmf(root, 'build', mv, '-k', k2), 'kmodforge build');
    await appendFile(installed(root, k1), 'x');
    await expectSameStatus(
      root,
      line(k1, 'installed (WARNING! Diff between built and installed module!)') + line(k2, 'built'),
    );
    // --verify says what differs, after the same lines.
    const verified = await kmf(root, 'status', '--verify');
    expect([verified.code, verified.stdout.split('\n').slice(2)]).toEqual([
      12,
      [`verify: ${mv}, ${k1}, ${arch}: ${installed(root, k1)} differs from the built ${built(root, k1)}`, ''],
    ]);
    await unlink(built(root, k2));
    await expectSameStatus(root, line(k1, 'installed (WARNING! Diff between built and installed module!)'));
  });
});

/**
 * Where kmodforge does not do what dkms 3.0.10 does yet. These fail until src/ is fixed (see the
 * messages); they compare against what dkms does in the same situation.
 */
describe('dkms 3.0.10 behaviour kmodforge must match', { timeout: 300_000 }, () => {
  it('takes the headers from /lib/modules/K/build when --installtree points elsewhere, as dkms does', async () => {
    // kmodforge's root must stay / here; only `conf` runs, as a build there would sign with (and generate)
    // the real /var/lib/dkms/mok.key. With a build, the difference is exit 21 (no headers) where dkms builds.
    const root = await newRoot({ linkHeaders: false });
    const theirs = await readConfWithDkms({
      confPath: path.join(fixture, 'dkms.conf'),
      kernel: k1,
      arch,
      dkmsTree: root.dkmsTree,
      sourceTree: root.sourceTree,
      installTree: root.installTree,
    });
    expect(theirs.returnCode).toBe(0);
    expect(theirs.kernelSourceDir).toBe(`/lib/modules/${k1}/build`);
    const ours = await runCli('conf', fixture, '-k', k1, '--json', ...treeOptions(root));
    expectOk(ours, 'kmodforge conf');
    const [resolved] = jsonLines(ours.stdout);
    const make = resolved?.['make'] as { command?: unknown } | undefined;
    // kmodforge builds in a directory of its own, which conf shows; the headers (-C) must be dkms's.
    const buildDir = String(resolved?.['buildDir']);
    expect(
      make?.command,
      `kmodforge looks for headers at <installtree>/${k1}/build (src/kernel/discover.ts buildLink, readKernel), dkms at /lib/modules/${k1}/build`,
    ).toBe(
      theirs.makeCommand.replace(`M=${root.dkmsTree}/${moduleName}/${moduleVersion}/build`, `M=${buildDir}`),
    );
  });

  it.runIf(isDebianLike)(
    'leaves the in-tree module in place on Debian, as dkms does, so a dkms uninstall cannot lose it',
    async () => {
      const inTree = (root: TestRoot): string =>
        path.join(root.installTree, k1, 'kernel/drivers/misc/kmf_interop.ko');
      const a = await newRoot();
      const b = await newRoot();
      for (const root of [a, b]) {
        await mkdir(path.dirname(inTree(root)), { recursive: true });
        await writeFile(inTree(root), 'the kernel’s own kmf_interop.ko\n');
      }
      expectOk(await dkms(a, 'add', fixture), 'dkms add');
      expectOk(
        await dkms(a, 'install', '-m', moduleName, '-v', moduleVersion, '-k', k1, '--no-depmod'),
        'dkms install',
      );
      expectOk(await kmf(b, 'install', fixture, '-k', k1, '--no-depmod'), 'kmodforge install');

      const expectedFiles = ['kernel/drivers/misc/kmf_interop.ko', 'updates/dkms/kmf_interop.ko'];
      expect(await findModuleFiles(path.join(a.installTree, k1)), 'dkms keeps it in place').toEqual(
        expectedFiles,
      );
      expect(
        await findModuleFiles(path.join(b.installTree, k1)),
        'kmodforge archives a copy and leaves the in-tree module in place on Debian, as dkms keeps it there',
      ).toEqual(expectedFiles);
      // The archived copy shows in both tools' status, identically.
      const note = `${moduleName}/${moduleVersion}, ${k1}, ${arch}: installed (original_module exists)\n`;
      expect((await kmf(b, 'status')).stdout).toBe(note);
      expect((await dkms(b, 'status')).stdout).toBe(note);

      // dkms on Debian never restores original_module/ and deletes it on uninstall.
      expectOk(
        await dkms(b, 'uninstall', '-m', moduleName, '-v', moduleVersion, '-k', k1, '--no-depmod'),
        'dkms uninstall',
      );
      expect(existsSync(inTree(b)), 'the kernel’s own module survives a dkms uninstall').toBe(true);
    },
  );
});
