/**
 * dkms build and install, side by side with dkms 3.0.10: each row runs the same command line on both and
 * expects the same output and exit code.
 *
 * Rows run in order on two shared roots, each row starting from the state the earlier rows left (a build
 * takes seconds, so each is made once per side). The dots dkms prints every 3 seconds of a long step are
 * timing, not words: both sides' runs of dots after "..." are dropped before comparing.
 */
import { execFile as execFileCallback } from 'node:child_process';
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installedKernels } from '../../support/debian-dkms.ts';
import { makeSideBySide, type SideBySide, type SideRun } from '../../support/dkms-side-by-side.ts';
import {
  arch,
  exists,
  fixtureDir,
  kernelOfFlavor,
  makeSigningKeyPair,
  makeTempDir,
  type TestRoot,
} from '../../support/test-root.ts';

const execFile = promisify(execFileCallback);
const kernels = installedKernels();
const plain = kernelOfFlavor(kernels, 'amd64');
const cloud = kernelOfFlavor(kernels, 'cloud-amd64');
const rt = kernelOfFlavor(kernels, 'rt-amd64');

interface Row {
  name: string;
  /** Run before the row's command, on each side's root. */
  setup?: (root: TestRoot) => Promise<void>;
  args: string[];
  /** Added to both sides' environment. */
  env?: Record<string, string>;
  expect?: Check;
}

type Check = (result: { dkms: SideRun; kmodforge: SideRun }) => Promise<void> | void;

/** dkms's progress dots (one per 3 seconds a step runs) depend on timing only. */
function withoutDots(run: SideRun): SideRun {
  const clean = (text: string): string => text.replace(/\.\.\.\.+/g, '...');
  return { ...run, stdout: clean(run.stdout), stderr: clean(run.stderr) };
}

function table(sbs: () => SideBySide, rows: readonly Row[]): void {
  for (const row of rows) {
    it(row.name, async () => {
      const s = sbs();
      for (const root of [s.dkms, s.kmodforge]) await row.setup?.(root);
      const result = await s.runWithEnv(row.env ?? {}, ...row.args);
      expect(withoutDots(result.kmodforge)).toEqual(withoutDots(result.dkms));
      await row.expect?.(result);
    });
  }
}

function exitsWith(code: number): Check {
  return (r) => {
    expect(r.dkms.code).toBe(code);
  };
}

/** Copies fixtures into each root's source tree as <name>-1.0, and kmf-multi to <root>/srcs for the source-dir form. */
async function addSources(root: TestRoot): Promise<void> {
  for (const name of ['kmf-simple', 'kmf-broken', 'kmf-exclusive', 'kmf-multi'])
    await cp(fixtureDir(name), path.join(root.sourceTree, `${name}-1.0`), { recursive: true });
  await mkdir(path.join(root.root, 'srcs'), { recursive: true });
  await cp(fixtureDir('kmf-multi'), path.join(root.root, 'srcs', 'kmf-multi'), { recursive: true });
  await cp(fixtureDir('kmf-simple'), path.join(root.root, 'srcs', 'kmf-simple'), { recursive: true });
}

/**
 * A module in the root's source tree as <name>-1.0: kmf-simple's source (module kmf_simple) with dkms.conf
 * lines added, and scripts of its own (a failing one, and one that is not executable).
 */
function moduleWith(name: string, lines: readonly string[]): (root: TestRoot) => Promise<void> {
  return async (root) => {
    const dir = path.join(root.sourceTree, `${name}-1.0`);
    await cp(fixtureDir('kmf-simple'), dir, { recursive: true });
    const conf = (await readFile(path.join(dir, 'dkms.conf'), 'utf8')).replace('kmf-simple', name);
    await writeFile(path.join(dir, 'dkms.conf'), `${conf}${lines.map((l) => `${l}\n`).join('')}`);
    await writeFile(path.join(dir, 'fail.sh'), '#!/bin/sh\necho "out $1"\necho "err $1" >&2\nexit 3\n', {
      mode: 0o755,
    });
    await writeFile(path.join(dir, 'plain.sh'), '#!/bin/sh\necho never\n', { mode: 0o644 });
  };
}

/** `modinfo -F <field>` of a file. */
async function modinfo(field: string, file: string): Promise<string> {
  return (await execFile('modinfo', ['-F', field, file])).stdout.trim();
}

let sbs: SideBySide;
beforeAll(async () => {
  const keys = await makeTempDir('kmf-bi-keys-');
  sbs = await makeSideBySide({ kernels: [plain, cloud, rt], signing: await makeSigningKeyPair(keys) });
  await addSources(sbs.dkms);
  await addSources(sbs.kmodforge);
});
afterAll(() => sbs.cleanup());

describe('dkms build', () => {
  table(
    () => sbs,
    [
      {
        name: 'without a module: add_module asks for one',
        args: ['build', '-k', plain],
        expect: exitsWith(1),
      },
      {
        name: 'a module without a version',
        args: ['build', 'kmf-simple', '-k', plain],
        expect: exitsWith(1),
      },
      {
        name: 'a module whose source is not in the source tree',
        args: ['build', 'kmf-nope/1.0', '-k', plain],
        expect: exitsWith(2),
      },
      { name: '--all is banned', args: ['build', 'kmf-simple/1.0', '--all'], expect: exitsWith(5) },
      {
        name: 'adds, then builds',
        args: ['build', 'kmf-simple/1.0', '-k', plain],
        expect: async (r) => {
          expect(r.dkms.code).toBe(0);
          expect(await exists(sbs.kmodforge.builtKo('kmf-simple', '1.0', plain, 'kmf_simple'))).toBe(true);
        },
      },
      { name: 'already built', args: ['build', 'kmf-simple/1.0', '-k', plain], expect: exitsWith(0) },
      {
        name: '--force builds again',
        args: ['build', '-m', 'kmf-simple', '-v', '1.0', '-k', plain, '--force'],
      },
      {
        name: 'a kernel without headers, after one that is built',
        args: ['build', 'kmf-simple/1.0', '-k', plain, '-k', '9.9.9-nope'],
        expect: exitsWith(1),
      },
      {
        name: 'BUILD_EXCLUSIVE: skipped for one kernel, built for the other (the last decides)',
        args: ['build', 'kmf-exclusive/1.0', '-k', plain, '-k', rt],
        expect: exitsWith(0),
      },
      {
        name: 'BUILD_EXCLUSIVE alone: exit 77',
        args: ['build', 'kmf-exclusive/1.0', '-k', cloud],
        expect: exitsWith(77),
      },
      { name: 'a build that fails', args: ['build', 'kmf-broken/1.0', '-k', plain], expect: exitsWith(10) },
      {
        name: 'a source directory: added by the first kernel, already added for the second',
        args: ['build', '{root}/srcs/kmf-multi', '-k', plain, '-k', cloud],
        expect: exitsWith(3),
      },
      {
        name: 'a dkms.conf path of an added module',
        args: ['build', '{root}/srcs/kmf-multi/dkms.conf', '-k', rt],
        expect: exitsWith(3),
      },
    ],
  );
});

describe('dkms install', () => {
  table(
    () => sbs,
    [
      { name: '--all is banned', args: ['install', 'kmf-simple/1.0', '--all'], expect: exitsWith(5) },
      {
        name: 'a module whose source is not in the source tree',
        args: ['install', 'kmf-nope/1.0', '-k', plain],
        expect: exitsWith(2),
      },
      {
        name: 'a built module',
        args: ['install', 'kmf-simple/1.0', '-k', plain],
        expect: async (r) => {
          expect(r.dkms.code).toBe(0);
          expect(await exists(sbs.kmodforge.installedKo(plain, 'kmf_simple'))).toBe(true);
        },
      },
      { name: 'already installed', args: ['install', 'kmf-simple/1.0', '-k', plain], expect: exitsWith(0) },
      { name: '--force reinstalls', args: ['install', 'kmf-simple/1.0', '-k', plain, '--force'] },
      {
        name: 'builds first where needed, several modules',
        args: ['install', 'kmf-multi/1.0', '-k', plain, '-k', rt],
        expect: exitsWith(0),
      },
      {
        name: 'a kernel without headers',
        args: ['install', 'kmf-simple/1.0', '-k', '9.9.9-nope'],
        expect: exitsWith(1),
      },
      { name: 'a build that fails', args: ['install', 'kmf-broken/1.0', '-k', cloud], expect: exitsWith(10) },
      {
        name: 'BUILD_EXCLUSIVE then an installed kernel',
        args: ['install', 'kmf-exclusive/1.0', '-k', cloud, '-k', rt],
        expect: exitsWith(0),
      },
      {
        name: 'a source directory of an added module',
        args: ['install', '{root}/srcs/kmf-simple', '-k', cloud],
        expect: exitsWith(3),
      },
    ],
  );
});

describe('dkms build and install: scripts, --directive, deprecated directives, -j, --config', () => {
  table(
    () => sbs,
    [
      {
        name: 'PRE_BUILD and POST_BUILD: their text after the patches and after the signing',
        args: ['build', 'kmf-scripts/1.0', '-k', plain],
        setup: async (root) =>
          cp(fixtureDir('kmf-scripts'), path.join(root.sourceTree, 'kmf-scripts-1.0'), { recursive: true }),
        expect: (r) => {
          expect(r.dkms.code).toBe(0);
          expect(r.dkms.stdout).toContain('Running the pre_build script:');
          expect(r.dkms.stdout).toContain('Running the post_build script:');
        },
      },
      {
        name: 'PRE_INSTALL and POST_INSTALL',
        args: ['install', 'kmf-scripts/1.0', '-k', plain],
        expect: (r) => {
          expect(r.dkms.code).toBe(0);
          expect(r.dkms.stdout).toContain('Running the pre_install script:');
          expect(r.dkms.stdout).toContain('Running the post_install script:');
        },
      },
      {
        name: 'a failing PRE_BUILD (both streams), a POST_BUILD not executable, a deprecated directive, --directive',
        setup: moduleWith('kmf-sc', [
          'PRE_BUILD="fail.sh pre_build"',
          'POST_BUILD="plain.sh"',
          'PRE_INSTALL="fail.sh pre_install"',
          'REMAKE_INITRD="yes"',
        ]),
        args: ['build', 'kmf-sc/1.0', '-k', cloud, '--directive', 'AUTOINSTALL=no'],
        expect: (r) => {
          expect(r.dkms.code).toBe(0);
          expect(r.dkms.stderr).toContain('err pre_build');
          expect(r.dkms.stderr).toContain('Deprecated feature: REMAKE_INITRD');
          expect(r.dkms.stdout).toContain('DIRECTIVE: AUTOINSTALL="no"');
        },
      },
      {
        name: 'built already, with --directive: is_module_built reads dkms.conf first',
        args: ['build', 'kmf-sc/1.0', '-k', cloud, '--directive', 'AUTOINSTALL=no'],
        expect: exitsWith(0),
      },
      {
        name: 'a failing PRE_INSTALL: exit 101',
        args: ['install', 'kmf-sc/1.0', '-k', cloud, '--directive', 'AUTOINSTALL=no'],
        expect: (r) => {
          expect(r.dkms.code).toBe(101);
          expect(r.dkms.stdout).toContain('out pre_install');
        },
      },
      {
        name: 'a failing PRE_INSTALL, with --force',
        args: ['install', 'kmf-sc/1.0', '-k', cloud, '--force'],
      },
      {
        name: '-j 0: make -j',
        setup: moduleWith('kmf-sane', []),
        args: ['build', 'kmf-sane/1.0', '-k', rt, '-j', '0'],
        expect: (r) => {
          expect(r.dkms.stdout).toContain(`make -j KERNELRELEASE=${rt}`);
        },
      },
      {
        name: "-j abc: dkms's make refuses -jabc, exit 10",
        setup: moduleWith('kmf-badj', []),
        args: ['build', 'kmf-badj/1.0', '-k', rt, '-j', 'abc'],
        expect: (r) => {
          expect(r.dkms.code).toBe(10);
          expect(r.dkms.stdout).toContain(`make -jabc KERNELRELEASE=${rt}`);
        },
      },
      {
        name: 'parallel_jobs=00 in the environment: make refuses -j00, after PRE_BUILD',
        setup: moduleWith('kmf-badenv', ['PRE_BUILD="fail.sh pre_build"']),
        args: ['build', 'kmf-badenv/1.0', '-k', rt],
        env: { parallel_jobs: '00' },
        expect: async (r) => {
          expect(r.dkms.code).toBe(10);
          expect(r.dkms.stderr).toContain('err pre_build');
          for (const root of [sbs.dkms, sbs.kmodforge])
            expect(
              await readFile(path.join(root.dkmsTree, 'kmf-badenv', '1.0', 'build', 'make.log'), 'utf8'),
            ).toContain("the '-j' option requires a positive integer argument");
        },
      },
      {
        name: '-j abc and a make command dkms gives no -j: the build goes on',
        setup: moduleWith('kmf-quotedj', [
          'MAKE[0]="\'make\' -C ${kernel_source_dir} M=${dkms_tree}/${PACKAGE_NAME}/${PACKAGE_VERSION}/build"',
        ]),
        args: ['build', 'kmf-quotedj/1.0', '-k', rt, '-j', 'abc'],
        expect: exitsWith(0),
      },
      {
        name: 'the version check refuses the only module: the kernel is marked installed all the same',
        setup: async (root) => {
          const inTree = path.join(root.installTree, rt, 'kernel', 'drivers', 'misc');
          await mkdir(inTree, { recursive: true });
          await cp(root.builtKo('kmf-sane', '1.0', rt, 'kmf_simple'), path.join(inTree, 'kmf_simple.ko'));
        },
        args: ['install', 'kmf-sane/1.0', '-k', rt],
        expect: (r) => {
          expect(r.dkms.stderr).toContain('DKMS will not replace this module.');
        },
      },
      {
        name: 'status after the refusal',
        args: ['status', 'kmf-sane'],
        expect: (r) => {
          expect(r.dkms.stdout).toContain(`kmf-sane/1.0, ${rt}, ${arch}: installed`);
        },
      },
      {
        name: '--config: the signing hash of the .config given',
        setup: async (root) => {
          await moduleWith('kmf-cfg', [])(root);
          const config = await readFile(path.join('/lib/modules', plain, 'build', '.config'), 'utf8');
          await writeFile(
            path.join(root.root, 'kconfig'),
            config.replace(/^CONFIG_MODULE_SIG_HASH=.*$/m, 'CONFIG_MODULE_SIG_HASH="sha384"'),
          );
        },
        args: ['build', 'kmf-cfg/1.0', '-k', plain, '--config={root}/kconfig'],
        expect: async (r) => {
          expect(r.dkms.code).toBe(0);
          for (const root of [sbs.dkms, sbs.kmodforge])
            expect(await modinfo('sig_hashalgo', root.builtKo('kmf-cfg', '1.0', plain, 'kmf_simple'))).toBe(
              'sha384',
            );
        },
      },
    ],
  );
});
