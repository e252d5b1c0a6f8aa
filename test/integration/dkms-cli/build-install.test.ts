/**
 * dkms build and install, side by side with dkms 3.0.10: each row runs the same command line on both and
 * expects the same output and exit code.
 *
 * Rows run in order on two shared roots, each row starting from the state the earlier rows left (a build
 * takes seconds, so each is made once per side). The dots dkms prints every 3 seconds of a long step are
 * timing, not words: both sides' runs of dots after "..." are dropped before comparing.
 */
import { cp, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installedKernels } from '../../support/debian-dkms.ts';
import { makeSideBySide, type SideBySide, type SideRun } from '../../support/dkms-side-by-side.ts';
import {
  exists,
  fixtureDir,
  kernelOfFlavor,
  makeSigningKeyPair,
  makeTempDir,
  type TestRoot,
} from '../../support/test-root.ts';

const kernels = installedKernels();
const plain = kernelOfFlavor(kernels, 'amd64');
const cloud = kernelOfFlavor(kernels, 'cloud-amd64');
const rt = kernelOfFlavor(kernels, 'rt-amd64');

interface Row {
  name: string;
  /** Run before the row's command, on each side's root. */
  setup?: (root: TestRoot) => Promise<void>;
  args: string[];
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
      const result = await s.run(...row.args);
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
