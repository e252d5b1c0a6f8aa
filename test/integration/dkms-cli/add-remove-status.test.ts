/**
 * dkms add, uninstall, unbuild, remove and status, side by side with dkms 3.0.10: each row runs the same
 * command line on both and expects the same output and exit code.
 *
 * Each describe shares its two roots. Rows restore a snapshot of both roots' trees first, so a build is made
 * once per side: dkms builds and installs with dkms; kmodforge with its own CLI (what is compared is the
 * command of the row, run on both).
 */
import { appendFile, cp, mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installedKernels, repoRoot } from '../../support/debian-dkms.ts';
import { makeSideBySide, type SideBySide, type SideRun } from '../../support/dkms-side-by-side.ts';
import { arch, makeSigningKeyPair, type TestRoot } from '../../support/test-root.ts';

const fixtures = path.join(repoRoot, 'test', 'fixtures', 'modules');
const kernels = installedKernels();
/** The plain flavor: the one kernel every row builds for. */
const kernel = kernels.find((k) => !k.includes('-rt-') && !k.includes('-cloud-')) ?? kernels[0] ?? '';
/** A second kernel kmf-simple is built (not installed) for. */
const otherKernel = kernels.find((k) => k !== kernel && !k.includes('-rt-')) ?? '';
/** A kernel nothing is built for. */
const unbuiltKernel = kernels.find((k) => k !== kernel && k !== otherKernel) ?? '';

interface Row {
  name: string;
  /** Run before the row's command, on each side's root. */
  setup?: (root: TestRoot, side: 'dkms' | 'kmodforge') => Promise<void>;
  args: string[];
  /** Why stderr cannot be compared (what differs is the test's doing, not the front end's). */
  stderrDiffers?: string;
  expect?: (result: { dkms: SideRun; kmodforge: SideRun }) => void;
}

/** The side's trees, to restore before each row. */
const trees = (root: TestRoot): string[] => [root.dkmsTree, root.sourceTree, root.installTree];

async function snapshot(root: TestRoot, name: string): Promise<void> {
  for (const dir of trees(root))
    await cp(dir, `${dir}.${name}`, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
}

async function restore(root: TestRoot, name: string): Promise<void> {
  for (const dir of trees(root)) {
    await rm(dir, { recursive: true, force: true });
    await cp(`${dir}.${name}`, dir, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
  }
}

/** One test per row, on the roots `sbs` gives once its beforeAll ran, restored to snapshot `base` first. */
function table(sbs: () => SideBySide, base: string, rows: readonly Row[]): void {
  for (const row of rows) {
    it(row.name, async () => {
      const s = sbs();
      for (const [side, root] of [
        ['dkms', s.dkms],
        ['kmodforge', s.kmodforge],
      ] as const) {
        await restore(root, base);
        await row.setup?.(root, side);
      }
      const result = await s.run(...row.args);
      if (row.stderrDiffers === undefined) expect(result.kmodforge).toEqual(result.dkms);
      else expect({ ...result.kmodforge, stderr: '' }).toEqual({ ...result.dkms, stderr: '' });
      row.expect?.(result);
    });
  }
}

function ok(code: number): (r: { dkms: SideRun }) => void {
  return (r) => {
    expect(r.dkms.code).toBe(code);
  };
}

/** The exit code, and words dkms printed on stdout that the row is about. */
function says(code: number, text: string): (r: { dkms: SideRun }) => void {
  return (r) => {
    expect(r.dkms.code).toBe(code);
    expect(r.dkms.stdout).toContain(text);
  };
}

/** A source tree in the root's source tree, from a fixture, with its dkms.conf replaced. */
function sourceWithConf(name: string, conf: string): (root: TestRoot) => Promise<void> {
  return async (root) => {
    const dir = path.join(root.sourceTree, name);
    await cp(path.join(fixtures, 'kmf-simple'), dir, { recursive: true });
    await writeFile(path.join(dir, 'dkms.conf'), conf);
  };
}

const simpleConf = (lines: string[]): string => `${lines.join('\n')}\n`;
const badConfs: Record<string, string> = {
  'no-name': simpleConf([
    'PACKAGE_VERSION=1',
    'BUILT_MODULE_NAME[0]=kmf_simple',
    'DEST_MODULE_LOCATION[0]=/updates',
  ]),
  'bad-location': simpleConf([
    'PACKAGE_NAME=badloc',
    'PACKAGE_VERSION=1',
    'BUILT_MODULE_NAME[0]=kmf_simple',
    'DEST_MODULE_LOCATION[0]=/lib',
  ]),
  'ko-names': simpleConf([
    'PACKAGE_NAME=kos',
    'PACKAGE_VERSION=1',
    'BUILT_MODULE_NAME[0]=kmf_simple.ko',
    'DEST_MODULE_NAME[0]=x.o',
    'DEST_MODULE_LOCATION[0]=/updates',
  ]),
  'no-records': simpleConf(['PACKAGE_NAME=norec', 'PACKAGE_VERSION=1']),
  'second-record': simpleConf([
    'PACKAGE_NAME=second',
    'PACKAGE_VERSION=1',
    'BUILT_MODULE_NAME[0]=a',
    'DEST_MODULE_LOCATION[0]=/updates',
    'BUILT_MODULE_NAME[1]=b',
  ]),
};

describe('dkms add', () => {
  let sbs: SideBySide;
  beforeAll(async () => {
    const keys = await mkdtemp(path.join(os.tmpdir(), 'kmf-keys-'));
    sbs = await makeSideBySide({ kernels: [kernel], signing: await makeSigningKeyPair(keys) });
    await rm(keys, { recursive: true, force: true });
    await Promise.all([snapshot(sbs.dkms, 'empty'), snapshot(sbs.kmodforge, 'empty')]);
  });
  afterAll(() => sbs.cleanup());

  const added = async (_root: TestRoot, side: 'dkms' | 'kmodforge'): Promise<void> => {
    const args = ['add', path.join(fixtures, 'kmf-simple')];
    const run = side === 'dkms' ? sbs.runDkmsOnly(...args) : sbs.runKmodforgeOnly(...args);
    expect((await run).code).toBe(0);
  };

  table(() => sbs, 'empty', [
    { name: 'a source directory', args: ['add', path.join(fixtures, 'kmf-simple')], expect: ok(0) },
    { name: 'a dkms.conf path', args: ['add', path.join(fixtures, 'kmf-multi', 'dkms.conf')], expect: ok(0) },
    {
      name: 'module/version in the source tree',
      setup: async (root) =>
        cp(path.join(fixtures, 'kmf-simple'), path.join(root.sourceTree, 'kmf-simple-1.0'), {
          recursive: true,
        }),
      args: ['add', 'kmf-simple/1.0'],
      expect: ok(0),
    },
    {
      name: '-m and -v',
      setup: async (root) =>
        cp(path.join(fixtures, 'kmf-simple'), path.join(root.sourceTree, 'kmf-simple-1.0'), {
          recursive: true,
        }),
      args: ['add', '-m', 'kmf-simple', '-v', '1.0', '-k', kernel],
      expect: ok(0),
    },
    { name: 'already added', setup: added, args: ['add', path.join(fixtures, 'kmf-simple')], expect: ok(3) },
    { name: 'already added, by name', setup: added, args: ['add', 'kmf-simple/1.0'], expect: ok(3) },
    { name: 'no source directory', args: ['add', 'nope/1'], expect: ok(2) },
    { name: 'no arguments', args: ['add'], expect: ok(1) },
    { name: 'a module without a version', args: ['add', '-m', 'kmf-simple'], expect: ok(1) },
    { name: '--all', args: ['add', '--all', 'kmf-simple/1.0'], expect: ok(5) },
    { name: 'a bad dkms.conf (fixture)', args: ['add', path.join(fixtures, 'bad-conf')], expect: ok(8) },
    ...Object.keys(badConfs).map((name) => ({
      name: `a bad dkms.conf: ${name}, as a source directory`,
      setup: async (root: TestRoot) => {
        const dir = path.join(root.root, 'confs', name);
        await mkdir(dir, { recursive: true });
        await writeFile(path.join(dir, 'dkms.conf'), badConfs[name] ?? '');
      },
      args: ['add', `{root}/confs/${name}`],
      expect: ok(8),
    })),
    {
      name: 'a bad dkms.conf in the source tree: no PACKAGE_NAME',
      setup: sourceWithConf('noname-1', badConfs['no-name'] ?? ''),
      args: ['add', 'noname/1'],
      expect: ok(8),
    },
    {
      name: 'a bad dkms.conf in the source tree: DEST_MODULE_LOCATION',
      setup: sourceWithConf('badloc-1', badConfs['bad-location'] ?? ''),
      args: ['add', 'badloc/1'],
      expect: ok(8),
    },
    {
      name: 'no dkms.conf in the source tree',
      setup: async (root) => mkdir(path.join(root.sourceTree, 'noconf-1')).then(() => undefined),
      args: ['add', 'noconf/1'],
      expect: ok(4),
    },
    {
      name: 'POST_ADD',
      args: ['add', path.join(fixtures, 'kmf-scripts')],
      expect: says(0, 'Running the post_add script:'),
    },
    {
      name: 'POST_ADD not executable',
      setup: async (root) => {
        const dir = path.join(root.sourceTree, 'kmf-scripts-1.0');
        await cp(path.join(fixtures, 'kmf-scripts'), dir, { recursive: true });
        await cp(path.join(dir, 'dkms.conf'), path.join(dir, 'dkms.conf.orig'));
        await appendFile(path.join(dir, 'dkms.conf'), 'POST_ADD="dkms.conf.orig"\n');
      },
      args: ['add', 'kmf-scripts/1.0'],
      expect: ok(0),
    },
    {
      name: '--directive',
      args: ['add', path.join(fixtures, 'kmf-simple'), '--directive', 'AUTOINSTALL=no'],
      expect: says(0, 'DIRECTIVE: AUTOINSTALL="no"'),
    },
    {
      name: 'a deprecated directive, in the source tree: read once',
      setup: sourceWithConf(
        'kmf-dep-1.0',
        simpleConf([
          'PACKAGE_NAME=kmf-dep',
          'PACKAGE_VERSION=1.0',
          'BUILT_MODULE_NAME[0]=kmf_simple',
          'DEST_MODULE_LOCATION[0]=/updates',
          'REMAKE_INITRD=yes',
          'MODULES_CONF[0]="options kmf_simple x=1"',
        ]),
      ),
      args: ['add', 'kmf-dep/1.0', '--directive', 'AUTOINSTALL=no'],
      expect: ok(0),
    },
    {
      name: 'a deprecated directive, as a source directory: read twice (before and after the copy)',
      setup: async (root) => {
        const dir = path.join(root.root, 'srcs', 'kmf-dep');
        await cp(path.join(fixtures, 'kmf-simple'), dir, { recursive: true });
        await appendFile(path.join(dir, 'dkms.conf'), 'REMAKE_INITRD=yes\n');
      },
      args: ['add', '{root}/srcs/kmf-dep'],
      expect: ok(0),
    },
    {
      name: "POST_ADD writing to both streams, and failing: its status is add's",
      setup: async (root) => {
        const dir = path.join(root.root, 'srcs', 'kmf-fail');
        await cp(path.join(fixtures, 'kmf-simple'), dir, { recursive: true });
        await appendFile(path.join(dir, 'dkms.conf'), 'POST_ADD="fail.sh"\n');
        await writeFile(path.join(dir, 'fail.sh'), '#!/bin/sh\necho out\necho err >&2\nexit 4\n', {
          mode: 0o755,
        });
      },
      args: ['add', '{root}/srcs/kmf-fail'],
      expect: ok(4),
    },
    {
      name: '--force over an earlier copy',
      setup: async (root) =>
        cp(path.join(fixtures, 'kmf-simple'), path.join(root.sourceTree, 'kmf-simple-1.0'), {
          recursive: true,
        }),
      args: ['add', '--force', path.join(fixtures, 'kmf-simple')],
      expect: says(0, 'Forcing install of kmf-simple-1.0'),
    },
    { name: 'a module that fails to build', args: ['add', path.join(fixtures, 'kmf-broken')], expect: ok(0) },
    {
      name: 'a BUILD_EXCLUSIVE module, for a kernel it excludes',
      args: ['add', '-k', kernel, path.join(fixtures, 'kmf-exclusive')],
      expect: ok(0),
    },
    {
      name: 'a kernel that does not exist',
      args: ['add', '-k', '0.0.1-nope', path.join(fixtures, 'kmf-simple')],
      expect: ok(0),
    },
  ]);
});

/** Lists a directory, or nothing. */
async function entries(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => []);
}

describe('dkms uninstall, unbuild, remove and status', () => {
  let sbs: SideBySide;
  beforeAll(async () => {
    const keys = await mkdtemp(path.join(os.tmpdir(), 'kmf-keys-'));
    sbs = await makeSideBySide({ kernels, signing: await makeSigningKeyPair(keys) });
    await rm(keys, { recursive: true, force: true });
    for (const module of ['kmf-simple', 'kmf-scripts', 'kmf-multi'])
      for (const run of [sbs.runDkmsOnly, sbs.runKmodforgeOnly])
        expect((await run('add', path.join(fixtures, module))).code).toBe(0);
    const installs = [
      ...['kmf-simple/1.0', 'kmf-scripts/1.0'].map((m) => sbs.runDkmsOnly('install', m, '-k', kernel)),
      ...['kmf-simple/1.0', 'kmf-scripts/1.0'].map((m) => sbs.kmodforge.cli('install', m, '-k', kernel)),
    ];
    for (const run of installs) expect((await run).code).toBe(0);
    expect((await sbs.runDkmsOnly('build', 'kmf-simple/1.0', '-k', otherKernel)).code).toBe(0);
    expect((await sbs.kmodforge.cli('build', 'kmf-simple/1.0', '-k', otherKernel)).code).toBe(0);
    await Promise.all([snapshot(sbs.dkms, 'installed'), snapshot(sbs.kmodforge, 'installed')]);
  }, 600_000);
  afterAll(() => sbs.cleanup());

  const uninstalled = (module: string) => async (_root: TestRoot, side: 'dkms' | 'kmodforge') => {
    const args = ['uninstall', module, '-k', kernel];
    const run = side === 'dkms' ? sbs.runDkmsOnly(...args) : sbs.runKmodforgeOnly(...args);
    expect((await run).code).toBe(0);
  };
  /** kmf-broken added, and a build of it that failed. */
  const failedBuild = async (root: TestRoot, side: 'dkms' | 'kmodforge'): Promise<void> => {
    const add = ['add', path.join(fixtures, 'kmf-broken')];
    const build = ['build', 'kmf-broken/1.0', '-k', kernel];
    if (side === 'dkms') {
      expect((await sbs.runDkmsOnly(...add)).code).toBe(0);
      expect((await sbs.runDkmsOnly(...build)).code).not.toBe(0);
    } else {
      expect((await sbs.runKmodforgeOnly(...add)).code).toBe(0);
      expect((await root.cli(...build)).code).not.toBe(0);
    }
  };
  const breakLink = (name: string) => async (root: TestRoot) => {
    await rename(path.join(root.sourceTree, name), path.join(root.sourceTree, `${name}.gone`));
  };
  const ko = (root: TestRoot, where: 'built' | 'installed'): string =>
    where === 'built'
      ? root.builtKo('kmf-simple', '1.0', kernel, 'kmf_simple')
      : root.installedKo(kernel, 'kmf_simple');

  table(() => sbs, 'installed', [
    { name: 'status', args: ['status'], expect: ok(0) },
    { name: 'status M', args: ['status', 'kmf-simple'], expect: ok(0) },
    { name: 'status M/V', args: ['status', 'kmf-simple/1.0'], expect: ok(0) },
    { name: 'status -m M -v V', args: ['status', '-m', 'kmf-multi', '-v', '1.0'], expect: ok(0) },
    { name: 'status of a module not added', args: ['status', 'nope/1'], expect: ok(0) },
    { name: 'status -k K', args: ['status', '-k', kernel], expect: ok(0) },
    { name: 'status -k K -a A', args: ['status', '-k', kernel, '-a', arch], expect: ok(0) },
    { name: 'status -k K/A', args: ['status', '-k', `${kernel}/${arch}`], expect: ok(0) },
    { name: 'status -k K -a another arch', args: ['status', '-k', kernel, '-a', 'i386'], expect: ok(0) },
    { name: 'status -k a kernel nothing is built for', args: ['status', '-k', unbuiltKernel], expect: ok(0) },
    {
      name: 'status -k K1 -k K2 -a A',
      args: ['status', '-k', otherKernel, '-k', kernel, '-a', arch],
      expect: ok(0),
    },
    { name: 'status -a A', args: ['status', '-a', arch], expect: ok(0) },
    { name: 'status -a another arch', args: ['status', '-a', 'i386'], expect: ok(0) },
    {
      name: 'status: built, not installed',
      setup: uninstalled('kmf-simple/1.0'),
      args: ['status', 'kmf-simple'],
      expect: ok(0),
    },
    {
      name: 'status: installed module differs from the built one',
      setup: async (root) => appendFile(ko(root, 'installed'), 'x'),
      args: ['status', 'kmf-simple'],
      expect: says(0, ' (WARNING! Diff between built and installed module!)'),
    },
    {
      name: 'status: built module missing',
      setup: async (root) => rm(ko(root, 'built')),
      args: ['status'],
      expect: ok(0),
    },
    {
      name: 'status: original_module exists',
      setup: async (root) => {
        const dir = path.join(root.dkmsTree, 'kmf-simple', 'original_module', kernel, arch);
        await mkdir(dir, { recursive: true });
        await writeFile(path.join(dir, 'kmf_simple.ko'), 'original');
      },
      args: ['status', 'kmf-simple'],
      expect: says(0, ' (original_module exists)'),
    },
    {
      name: 'status: source link broken, not built',
      setup: breakLink('kmf-multi-1.0'),
      args: ['status'],
      expect: ok(0),
    },
    {
      name: 'status: source link broken, built',
      setup: breakLink('kmf-scripts-1.0'),
      args: ['status'],
      expect: ok(0),
    },
    { name: 'uninstall', args: ['uninstall', 'kmf-simple/1.0', '-k', kernel], expect: ok(0) },
    {
      name: 'uninstall -m -v',
      args: ['uninstall', '-m', 'kmf-simple', '-v', '1.0', '-k', kernel],
      expect: ok(0),
    },
    { name: 'uninstall --all', args: ['uninstall', '--all', 'kmf-simple/1.0'], expect: ok(0) },
    {
      name: 'uninstall --verbose',
      args: ['uninstall', '--verbose', 'kmf-simple/1.0', '-k', kernel],
      stderrDiffers:
        'dkms runs depmod on the real /lib/modules/<K> (it has no -b), whose warnings it shows when verbose',
      expect: ok(0),
    },
    {
      name: 'uninstall --no-depmod',
      args: ['uninstall', '--no-depmod', 'kmf-simple/1.0', '-k', kernel],
      expect: ok(0),
    },
    {
      name: 'uninstall with POST_REMOVE',
      args: ['uninstall', 'kmf-scripts/1.0', '-k', kernel],
      expect: says(0, 'Running the post_remove script:'),
    },
    {
      name: 'uninstall, not installed',
      setup: uninstalled('kmf-simple/1.0'),
      args: ['uninstall', 'kmf-simple/1.0', '-k', kernel],
      expect: ok(0),
    },
    { name: 'uninstall, only added', args: ['uninstall', 'kmf-multi/1.0', '-k', kernel], expect: ok(0) },
    {
      name: 'uninstall for two kernels',
      args: ['uninstall', 'kmf-simple/1.0', '-k', otherKernel, '-k', kernel],
      expect: ok(0),
    },
    {
      name: 'uninstall, installed module gone',
      setup: async (root) => rm(ko(root, 'installed')),
      args: ['uninstall', 'kmf-simple/1.0', '-k', kernel],
      expect: ok(0),
    },
    {
      name: 'uninstall with an archived original',
      setup: async (root) => {
        const dir = path.join(root.dkmsTree, 'kmf-simple', 'original_module', kernel, arch);
        await mkdir(dir, { recursive: true });
        await writeFile(path.join(dir, 'kmf_simple.ko'), 'original');
      },
      args: ['uninstall', 'kmf-simple/1.0', '-k', kernel],
      expect: says(0, 'Removing original_module from DKMS tree'),
    },
    { name: 'uninstall, not added', args: ['uninstall', 'nope/1', '-k', kernel], expect: ok(3) },
    { name: 'uninstall, no arguments', args: ['uninstall'], expect: ok(1) },
    { name: 'uninstall, no version', args: ['uninstall', 'kmf-simple'], expect: ok(1) },
    { name: 'unbuild', args: ['unbuild', 'kmf-simple/1.0', '-k', kernel], expect: ok(0) },
    { name: 'unbuild --all', args: ['unbuild', 'kmf-simple/1.0', '--all'], expect: ok(0) },
    { name: 'unbuild, only added', args: ['unbuild', 'kmf-multi/1.0', '-k', kernel], expect: ok(0) },
    {
      name: 'unbuild, built not installed',
      setup: uninstalled('kmf-simple/1.0'),
      args: ['unbuild', 'kmf-simple/1.0', '-k', kernel],
      expect: ok(0),
    },
    { name: 'unbuild, not added', args: ['unbuild', 'nope/1'], expect: ok(3) },
    { name: 'remove', args: ['remove', 'kmf-simple/1.0', '-k', kernel], expect: ok(0) },
    {
      name: 'remove --all',
      args: ['remove', 'kmf-simple/1.0', '--all'],
      expect: says(0, 'Deleting module kmf-simple-1.0 completely'),
    },
    { name: 'remove --all, only added', args: ['remove', 'kmf-multi/1.0', '--all'], expect: ok(0) },
    { name: 'remove, only added', args: ['remove', 'kmf-multi/1.0', '-k', kernel], expect: ok(0) },
    { name: 'remove with POST_REMOVE', args: ['remove', 'kmf-scripts/1.0', '--all'], expect: ok(0) },
    {
      name: 'remove for a kernel it is not built for',
      args: ['remove', 'kmf-simple/1.0', '-k', unbuiltKernel],
      expect: ok(0),
    },
    {
      name: 'remove for a kernel built, not installed',
      args: ['remove', 'kmf-simple/1.0', '-k', otherKernel],
      expect: ok(0),
    },
    {
      name: 'remove for both kernels it is built for',
      args: ['remove', 'kmf-simple/1.0', '-k', kernel, '-k', otherKernel],
      expect: ok(0),
    },
    {
      name: 'remove for a kernel that does not exist',
      args: ['remove', 'kmf-simple/1.0', '-k', '0.0.1-nope'],
      expect: ok(0),
    },
    {
      name: 'remove -k K -a another arch',
      args: ['remove', 'kmf-simple/1.0', '-k', kernel, '-a', 'i386'],
      expect: ok(0),
    },
    { name: 'remove --all -k K', args: ['remove', 'kmf-simple/1.0', '--all', '-k', kernel], expect: ok(2) },
    { name: 'remove, not added', args: ['remove', 'nope/1', '--all'], expect: ok(3) },
    { name: 'remove, no arguments', args: ['remove'], expect: ok(1) },
    {
      name: 'remove, source link broken, built',
      setup: breakLink('kmf-simple-1.0'),
      args: ['remove', 'kmf-simple/1.0', '--all'],
      expect: ok(0),
    },
    {
      name: 'remove -k K, source link broken, built',
      setup: breakLink('kmf-simple-1.0'),
      args: ['remove', 'kmf-simple/1.0', '-k', kernel],
      expect: ok(4),
    },
    {
      name: 'uninstall -k K, source link broken, not built there',
      setup: breakLink('kmf-simple-1.0'),
      args: ['uninstall', 'kmf-simple/1.0', '-k', unbuiltKernel],
      expect: ok(0),
    },
    {
      name: 'status after a failed build',
      setup: failedBuild,
      args: ['status', 'kmf-broken'],
      expect: ok(0),
    },
    {
      name: 'remove after a failed build',
      setup: failedBuild,
      args: ['remove', 'kmf-broken/1.0', '--all'],
      expect: ok(0),
    },
    {
      name: 'remove, then status',
      setup: async (root, side) => {
        const args = ['remove', 'kmf-simple/1.0', '--all'];
        const run = side === 'dkms' ? sbs.runDkmsOnly(...args) : sbs.runKmodforgeOnly(...args);
        expect((await run).code).toBe(0);
        expect(await entries(path.join(root.dkmsTree, 'kmf-simple'))).toEqual([]);
      },
      args: ['status'],
      expect: ok(0),
    },
  ]);
});
