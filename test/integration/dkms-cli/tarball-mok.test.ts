/**
 * mktarball, ldtarball and generate_mok, side by side: the real dkms 3.0.10 and kmodforge's `dkms` front end
 * run the same command line on two roots, and print the same words with the same exit codes. The tarballs'
 * bytes differ (time stamps), so their listings are compared instead. Setup steps run dkms on its root and
 * kmodforge's own commands on the other, so these rows test only the actions of this file.
 */
import { execFile as execFileCallback } from 'node:child_process';
import { chmod, copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installedKernels } from '../../support/debian-dkms.ts';
import { makeSideBySide, type SideBySide, type SideRun } from '../../support/dkms-side-by-side.ts';
import {
  arch,
  copyFixture,
  kernelOfFlavor,
  kmodforgeOptions,
  makeSigningKeyPair,
  makeTempDir,
  type TestRoot,
} from '../../support/test-root.ts';
import { runCli } from '../../support/cli.ts';

const execFile = promisify(execFileCallback);
const kernels = installedKernels();
const k1 = kernelOfFlavor(kernels, 'amd64');
const k2 = kernelOfFlavor(kernels, 'cloud-amd64');
const mv = 'kmf-simple/1.0';

/** A step run on both roots: dkms's own command on one, kmodforge's on the other. */
async function setup(sbs: SideBySide, ...args: string[]): Promise<void> {
  const dkms = await sbs.runDkmsOnly(...args);
  const kmodforge = await runCli(
    ...args.map((a) => a.replaceAll('{root}', sbs.kmodforge.root)),
    ...kmodforgeOptions(sbs.kmodforge),
  );
  expect(dkms.code, `dkms ${args.join(' ')}: ${dkms.stderr}`).toBe(0);
  expect(kmodforge.code, `kmodforge ${args.join(' ')}: ${kmodforge.stderr}`).toBe(0);
}

/** Puts kmf-simple's source in both source trees (dkms remove leaves it there; some rows remove it). */
async function placeSource(sbs: SideBySide): Promise<void> {
  for (const root of [sbs.dkms, sbs.kmodforge]) {
    await rm(path.join(root.sourceTree, 'kmf-simple-1.0'), { recursive: true, force: true });
    await copyFixture('kmf-simple', path.join(root.sourceTree, 'kmf-simple-1.0'));
  }
}

/** Makes the registered dkms.conf one dkms refuses: a destination outside /kernel, /updates and /extra. */
async function breakConf(sbs: SideBySide): Promise<void> {
  for (const root of [sbs.dkms, sbs.kmodforge]) {
    const conf = path.join(root.sourceTree, 'kmf-simple-1.0', 'dkms.conf');
    await writeFile(
      conf,
      (await readFile(conf, 'utf8')).replace(
        /^DEST_MODULE_LOCATION.*$/m,
        'DEST_MODULE_LOCATION[0]="/usr/lib"',
      ),
    );
  }
}

/** `tar tzf`, sorted: what a tarball holds, whatever order and time stamps it was written with. */
async function listTarball(file: string): Promise<string[]> {
  const { stdout } = await execFile('tar', ['tzf', file]);
  return stdout
    .split('\n')
    .filter((line) => line !== '')
    .sort();
}

/** The files of a directory as `tar` lists them under `prefix`, sorted. */
async function listDir(dir: string, prefix: string): Promise<string[]> {
  const { stdout } = await execFile('find', ['.', '-mindepth', '1', '-printf', '%P%y\\n'], { cwd: dir });
  return stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => `${prefix}${line.slice(0, -1)}${line.endsWith('d') ? '/' : ''}`)
    .sort();
}

/** The file a mktarball run says it wrote, on its side's root. */
function tarballOf(run: SideRun, root: TestRoot): string {
  const match = /Tarball location: (.*)\n/.exec(run.stdout);
  if (match?.[1] === undefined) throw new Error(`no tarball location in ${run.stdout}`);
  return path.normalize(match[1].replaceAll('<root>', root.root));
}

/**
 * The tarballs of both sides hold the same entries, except inside each kernel's build directory, which
 * holds what that side's build left (kmodforge's build record, dkms's copy of .config): there each tarball
 * must hold exactly its own tree's build directory.
 */
async function expectSameTarballs(
  sbs: SideBySide,
  runs: { dkms: SideRun; kmodforge: SideRun },
): Promise<void> {
  const builds = /^\.\/dkms_main_tree\/[^/]+\/[^/]+\/./;
  const lists = await Promise.all(
    (['dkms', 'kmodforge'] as const).map(async (side) => {
      const root = sbs[side];
      const entries = await listTarball(tarballOf(runs[side], root));
      const ownBuilds: string[] = [];
      for (const kernelArch of entries.filter((e) => /^\.\/dkms_main_tree\/[^/]+\/[^/]+\/$/.test(e))) {
        const [, , kernel = '', buildArch = ''] = kernelArch.split('/');
        ownBuilds.push(
          ...(await listDir(path.join(root.dkmsTree, 'kmf-simple', '1.0', kernel, buildArch), kernelArch)),
        );
      }
      expect(entries.filter((e) => builds.test(e))).toEqual(ownBuilds.sort());
      return entries.filter((e) => !builds.test(e));
    }),
  );
  expect(lists[1]).toEqual(lists[0]);
}

interface Row {
  name: string;
  setup?: (sbs: SideBySide) => Promise<void>;
  args: string[];
  expect?: (runs: { dkms: SideRun; kmodforge: SideRun }, sbs: SideBySide) => Promise<void> | void;
}

/** Runs each row as a test; `arg` rewrites the arguments once the suite's setup has run. */
function runRows(
  getSbs: () => SideBySide,
  rows: readonly Row[],
  arg: (a: string) => string = (a) => a,
): void {
  it.each(rows.map((row) => [row.name, row] as const))('%s', async (_, row) => {
    const sbs = getSbs();
    await row.setup?.(sbs);
    const runs = await sbs.run(...row.args.map(arg));
    if (row.expect !== undefined) await row.expect(runs, sbs);
    else expect(runs.kmodforge).toEqual(runs.dkms);
  });
}

describe('mktarball', () => {
  let sbs: SideBySide;
  let keys: string;
  beforeAll(async () => {
    keys = await makeTempDir('kmf-sbs-keys-');
    sbs = await makeSideBySide({ kernels: [k1, k2], signing: await makeSigningKeyPair(keys) });
    await placeSource(sbs);
    await setup(sbs, 'add', mv);
    await setup(sbs, 'build', mv, '-k', k1);
  });
  afterAll(async () => {
    await sbs.cleanup();
    await rm(keys, { recursive: true, force: true });
  });

  const same = async (runs: { dkms: SideRun; kmodforge: SideRun }, s: SideBySide): Promise<void> => {
    expect(runs.kmodforge).toEqual(runs.dkms);
    await expectSameTarballs(s, runs);
  };
  runRows(
    () => sbs,
    [
      { name: 'a module that is not added', args: ['mktarball', 'kmf-other/1.0'] },
      { name: 'no version', args: ['mktarball', 'kmf-simple'] },
      { name: 'no module', args: ['mktarball'] },
      { name: 'not built for the running kernel (the default)', args: ['mktarball', mv] },
      { name: 'not built for the kernel given', args: ['mktarball', mv, '-k', k2] },
      { name: '--source-only, to the default place', args: ['mktarball', mv, '--source-only'], expect: same },
      { name: 'one kernel, to the default place and name', args: ['mktarball', mv, '-k', k1], expect: same },
      { name: '--all', args: ['mktarball', '-m', 'kmf-simple', '-v', '1.0', '--all'], expect: same },
      {
        name: '--binaries-only with an --archive name and no directory (the tarball directory)',
        args: ['mktarball', mv, '--all', '--binaries-only', '--archive=x.dkms.tar.gz'],
        expect: same,
      },
      {
        name: '--archive in a directory that does not exist yet',
        args: ['mktarball', mv, '-k', `${k1}/${arch}`, '--archive', '{root}/out/y.tar.gz'],
        expect: same,
      },
      {
        name: '--directive: a DIRECTIVE line each time dkms.conf is read',
        args: ['mktarball', mv, '-k', k1, '--directive', 'AUTOINSTALL=yes', '--archive={root}/d.tar.gz'],
        expect: same,
      },
      {
        name: 'a dkms.conf dkms refuses: its complaints, then Bad conf file',
        setup: breakConf,
        args: ['mktarball', mv, '-k', k1],
      },
      {
        name: 'a dkms.conf dkms refuses, given with -c: Bad conf file names it',
        setup: breakConf,
        args: ['mktarball', mv, '-k', k1, '-c', '{root}/usr/src/kmf-simple-1.0/dkms.conf'],
      },
      {
        name: '-c that cannot be read',
        setup: placeSource,
        args: ['mktarball', mv, '-k', k1, '-c', '/nonexistent/dkms.conf'],
      },
      {
        name: '--archive where no directory can be made',
        args: ['mktarball', mv, '--all', '--archive=/etc/passwd/y.tar.gz'],
      },
      {
        // dkms 3.0.10 declares its per-kernel paths `local -r` inside the loop: for the second kernel bash
        // refuses to redeclare them, so dkms checks and copies the first kernel's build again and names both
        // kernels. kmodforge checks each kernel and refuses the one that is not built.
        name: 'two kernels, the second not built (dkms 3.0.10 packs the first twice)',
        args: ['mktarball', mv, '-k', k1, '-k', k2],
        expect: ({ dkms, kmodforge }) => {
          expect(dkms.code).toBe(0);
          expect(dkms.stderr).toMatch(/intree_module_dir: readonly variable/);
          expect(kmodforge).toEqual({
            code: 6,
            stdout: `Marking modules for ${k1} (${arch}) for archiving...\n`,
            stderr: `Error! No modules built for ${k2} (${arch}).\nModules must already be in the built state before using mktarball.\n`,
          });
        },
      },
    ],
  );
});

describe('ldtarball', () => {
  let sbs: SideBySide;
  let work: string;
  /** Tarballs written by each tool, copied where both sides can read them. */
  const made = (tool: 'dkms' | 'kmodforge', kind: string): string =>
    path.join(work, `${tool}-${kind}.dkms.tar.gz`);
  beforeAll(async () => {
    work = await makeTempDir('kmf-sbs-tarballs-');
    sbs = await makeSideBySide({ kernels: [k1], signing: await makeSigningKeyPair(work) });
    await placeSource(sbs);
    await setup(sbs, 'add', mv);
    await setup(sbs, 'build', mv, '-k', k1);
    for (const [kind, more] of [
      ['full', []],
      ['binaries', ['--binaries-only']],
    ] as const) {
      const runs = await sbs.run(
        'mktarball',
        mv,
        '-k',
        k1,
        '--archive',
        `{root}/${kind}.dkms.tar.gz`,
        ...more,
      );
      expect(runs.kmodforge).toEqual(runs.dkms);
      await copyFile(path.join(sbs.dkms.root, `${kind}.dkms.tar.gz`), made('dkms', kind));
      await copyFile(path.join(sbs.kmodforge.root, `${kind}.dkms.tar.gz`), made('kmodforge', kind));
    }
    await mkdir(path.join(work, 'plain'));
    await copyFixture('kmf-simple', path.join(work, 'plain', 'kmf-simple-1.0'));
    await execFile('tar', [
      '-C',
      path.join(work, 'plain'),
      '-czf',
      path.join(work, 'plain.tar.gz'),
      'kmf-simple-1.0',
    ]);
    await writeFile(path.join(work, 'text.tar.gz'), 'not a tarball\n');
    await writeFile(
      path.join(work, 'random.tar.gz'),
      Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 151 + 7) % 256)),
    );
    await execFile('sh', [
      '-c',
      `head -c 1500 ${made('dkms', 'full')} > ${path.join(work, 'truncated.tar.gz')}`,
    ]);
  });
  afterAll(async () => {
    await sbs.cleanup();
    await rm(work, { recursive: true, force: true });
  });

  /** `dkms remove --all`, leaving the source in the source tree as dkms does. */
  const removed = (s: SideBySide): Promise<void> => setup(s, 'remove', mv, '--all');
  const removedWithSource = async (s: SideBySide): Promise<void> => {
    await removed(s);
    for (const root of [s.dkms, s.kmodforge])
      await rm(path.join(root.sourceTree, 'kmf-simple-1.0'), { recursive: true, force: true });
  };
  /** The same words, and the same `dkms status` afterwards. */
  const sameState = async (runs: { dkms: SideRun; kmodforge: SideRun }, s: SideBySide): Promise<void> => {
    expect(runs.kmodforge).toEqual(runs.dkms);
    const status = await s.run('status');
    expect(status.kmodforge).toEqual(status.dkms);
  };
  const file = (name: string): string => path.join(work, name);

  runRows(
    () => sbs,
    [
      { name: 'no archive', args: ['ldtarball'] },
      {
        name: 'an archive that does not exist (taken as module/version)',
        args: ['ldtarball', '/nonexistent/x.tar.gz'],
      },
      { name: '--archive that does not exist', args: ['ldtarball', '--archive=/nonexistent.tar.gz'] },
      { name: 'a text file', args: ['ldtarball', '{work}/text.tar.gz'] },
      { name: 'random bytes', args: ['ldtarball', '{work}/random.tar.gz'] },
      {
        name: 'a plain source tarball (dkms 3.0.10 takes only its own)',
        args: ['ldtarball', '{work}/plain.tar.gz'],
      },
      {
        name: "dkms's tarball of a module that is added",
        args: ['ldtarball', '{work}/dkms-full.dkms.tar.gz'],
      },
      {
        name: "dkms's tarball with --force over a module that is added",
        args: ['ldtarball', '{work}/dkms-full.dkms.tar.gz', '--force'],
        expect: sameState,
      },
      {
        name: "dkms's binaries-only tarball with --force over a module that is added",
        args: ['ldtarball', '--archive', '{work}/dkms-binaries.dkms.tar.gz', '--force'],
        expect: sameState,
      },
      {
        name: "dkms's tarball, after remove",
        setup: removed,
        args: ['ldtarball', '{work}/dkms-full.dkms.tar.gz'],
        expect: sameState,
      },
      {
        name: "kmodforge's tarball, after remove",
        setup: removed,
        args: ['ldtarball', '{work}/kmodforge-full.dkms.tar.gz'],
        expect: sameState,
      },
      {
        name: "kmodforge's binaries-only tarball, after remove (the source is still in the source tree)",
        setup: removed,
        args: ['ldtarball', '{work}/kmodforge-binaries.dkms.tar.gz'],
        expect: sameState,
      },
      {
        name: "dkms's binaries-only tarball with no source anywhere: a stub, and exit 1",
        setup: removedWithSource,
        args: ['ldtarball', '{work}/dkms-binaries.dkms.tar.gz'],
        expect: sameState,
      },
      {
        name: "dkms's tarball with --force over a source left in the source tree",
        setup: async (s) => {
          await removedWithSource(s);
          await placeSource(s);
        },
        args: ['ldtarball', '{work}/dkms-full.dkms.tar.gz', '--force'],
        expect: sameState,
      },
    ],
    (a) => a.replaceAll('{work}', work),
  );

  it('a truncated tarball: dkms loads what tar could read; kmodforge refuses it whole, with exit 7', async () => {
    await removedWithSource(sbs);
    const { dkms, kmodforge } = await sbs.run('ldtarball', file('truncated.tar.gz'));
    expect(dkms.stderr).toMatch(/^\ngzip: stdin: unexpected end of file\n/);
    expect(kmodforge.code).toBe(7);
    expect(kmodforge.stderr).toMatch(
      /^\ngzip: stdin: unexpected end of file\n(tar: .*\n)+Error! No valid dkms.conf/,
    );
  });
});

describe('generate_mok (dkms 3.1)', () => {
  let sbs: SideBySide;
  beforeAll(async () => {
    sbs = await makeSideBySide({ kernels: [k1] });
    await placeSource(sbs);
  });
  afterAll(() => sbs.cleanup());

  it("says and does what dkms 3.0.10's build says and does when the key pair is missing", async () => {
    // dkms 3.0.10 has no generate_mok; its build makes the key pair with the same lines dkms 3.1's
    // generate_mok prints (prepare_signing there, prepare_mok in 3.1).
    await sbs.runDkmsOnly('add', mv);
    const built = await sbs.runDkmsOnly('build', mv, '-k', k1);
    expect(built.code, built.stderr).toBe(0);
    const dkmsLines =
      /^Signing key: .*\nPublic certificate \(MOK\): .*\nCertificate or key are missing, generating self signed certificate for MOK\.\.\.\n/m.exec(
        built.stdout,
      );
    expect(dkmsLines).not.toBeNull();
    const generated = await sbs.runKmodforgeOnly('generate_mok');
    expect(generated).toEqual({ code: 0, stdout: dkmsLines?.[0] ?? '', stderr: '' });
    const { stdout } = await execFile('openssl', [
      'x509',
      '-inform',
      'DER',
      '-in',
      sbs.kmodforge.signingCertificate,
      '-noout',
      '-ext',
      'extendedKeyUsage',
    ]);
    expect(stdout).toMatch(/Code Signing/);
  });

  it('names an existing pair and leaves it (dkms 3.1)', async () => {
    // Expected text written from dkms 3.1's prepare_mok, which dkms 3.0.10 cannot run.
    const before = await execFile('sha256sum', [sbs.kmodforge.signingKey, sbs.kmodforge.signingCertificate]);
    const again = await sbs.runKmodforgeOnly('generate_mok');
    expect(again).toEqual({
      code: 0,
      stdout:
        'Signing key: <root>/var/lib/dkms/mok.key\nPublic certificate (MOK): <root>/var/lib/dkms/mok.pub\n',
      stderr: '',
    });
    expect(
      (await execFile('sha256sum', [sbs.kmodforge.signingKey, sbs.kmodforge.signingCertificate])).stdout,
    ).toBe(before.stdout);
  });

  it('half a pair: dkms 3.1 overwrites the key; kmodforge keeps it and says it could not generate (exit 0 both)', async () => {
    // Expected text written from dkms 3.1's prepare_mok; the last line is its words for a pair it could
    // not generate.
    await rm(sbs.kmodforge.signingCertificate);
    const half = await sbs.runKmodforgeOnly('generate_mok');
    expect(half).toEqual({
      code: 0,
      stdout:
        'Signing key: <root>/var/lib/dkms/mok.key\nPublic certificate (MOK): <root>/var/lib/dkms/mok.pub\n' +
        'Certificate or key are missing, generating self signed certificate for MOK...\n' +
        "Certificate file <root>/var/lib/dkms/mok.pub not found and can't be generated, modules won't be signed\n",
      stderr: '',
    });
  });

  it('dkms 3.0.10 takes generate_mok for a module name', async () => {
    const dkms = await sbs.runDkmsOnly('generate_mok');
    expect(dkms.stderr).toBe('Error! Unknown action specified: ""\n');
  });
});

describe('ldtarball of a module with a POST_ADD', () => {
  let sbs: SideBySide;
  let work: string;
  /** A dkms tarball (as mktarball --source-only writes it) of kmf-scripts whose POST_ADD is `postAdd`. */
  const tarball = async (name: string, postAdd: string, mode: number): Promise<string> => {
    const dir = path.join(work, name);
    await mkdir(path.join(dir, 'dkms_main_tree'), { recursive: true });
    await copyFixture('kmf-scripts', path.join(dir, 'dkms_source_tree'), {
      'scripts/post_add.sh': () => postAdd,
    });
    await chmod(path.join(dir, 'dkms_source_tree', 'scripts', 'post_add.sh'), mode);
    const file = path.join(work, `${name}.dkms.tar.gz`);
    await execFile('tar', ['-C', dir, '-czf', file, '.']);
    return file;
  };
  beforeAll(async () => {
    work = await makeTempDir('kmf-sbs-postadd-');
    sbs = await makeSideBySide({ kernels: [k1], signing: await makeSigningKeyPair(work) });
  });
  afterAll(async () => {
    await sbs.cleanup();
    await rm(work, { recursive: true, force: true });
  });
  /** Leaves neither side with kmf-scripts added or in its source tree. */
  const clean = async (): Promise<void> => {
    for (const root of [sbs.dkms, sbs.kmodforge])
      for (const dir of [
        path.join(root.dkmsTree, 'kmf-scripts'),
        path.join(root.sourceTree, 'kmf-scripts-1.0'),
      ])
        await rm(dir, { recursive: true, force: true });
  };

  it('its output follows the symlink line', async () => {
    await clean();
    const file = await tarball('says', '#!/bin/sh\necho "post_add ran in $(basename $(pwd))"\n', 0o755);
    const runs = await sbs.run('ldtarball', file);
    expect(runs.kmodforge).toEqual(runs.dkms);
    expect(runs.dkms.stdout).toMatch(
      /-> <root>\/usr\/src\/kmf-scripts-1\.0\n\nRunning the post_add script:\npost_add ran in source\n$/,
    );
  });

  it('a POST_ADD that fails: its status is the exit code', async () => {
    await clean();
    const file = await tarball('fails', '#!/bin/sh\necho failing\nexit 3\n', 0o755);
    const runs = await sbs.run('ldtarball', file);
    expect(runs.kmodforge).toEqual(runs.dkms);
    expect(runs.dkms.code).toBe(3);
  });

  it('a POST_ADD that is not executable: a warning', async () => {
    await clean();
    const file = await tarball('plain', '#!/bin/sh\necho never\n', 0o644);
    const runs = await sbs.run('ldtarball', file);
    expect(runs.kmodforge).toEqual(runs.dkms);
    expect(runs.dkms.stderr).toBe('Warning: The post_add script is not executable.\n');
  });
});
