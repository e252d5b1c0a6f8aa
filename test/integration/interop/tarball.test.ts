/**
 * dkms tarballs both ways: what kmodforge mktarball writes, dkms 3.0.10 ldtarball loads (and `dkms status`
 * shows it built), and the reverse; and tarballs that would write outside the tree are refused whole.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.ts';
import { installedKernels } from '../../support/debian-dkms.ts';
import {
  arch,
  kmodforgeOptions,
  makeSigningKeyPair,
  makeTestRoot,
  runDkms,
  snapshotTree,
  type SigningKeyPair,
  type TestRoot,
} from '../../support/test-root.ts';

const run = promisify(execFile);
const fixture = fileURLToPath(new URL('../../fixtures/modules/kmf-interop', import.meta.url));
const mv = 'kmf-interop/0.3.1';
const kernels = installedKernels();
const k1 = kernels.find((k) => /^6\.1\.0-\d+-amd64$/.test(k)) ?? '';
const k2 = kernels.find((k) => /^6\.1\.0-\d+-rt-amd64$/.test(k)) ?? '';

let keyDir: string;
let signing: SigningKeyPair;
const roots: TestRoot[] = [];
const newRoot = async (): Promise<TestRoot> => {
  const root = await makeTestRoot({ kernels: [k1, k2], prefix: 'kmf-tarball-', signing });
  roots.push(root);
  return root;
};
const kmf = (root: TestRoot, ...args: string[]): ReturnType<typeof runCli> =>
  runCli(...args, ...kmodforgeOptions(root));

beforeAll(async () => {
  keyDir = await mkdtemp(path.join(os.tmpdir(), 'kmf-tarball-keys-'));
  signing = await makeSigningKeyPair(keyDir);
});
afterAll(async () => {
  await Promise.all(roots.map((root) => root.cleanup()));
  await rm(keyDir, { recursive: true, force: true });
});

describe('dkms tarballs between kmodforge and dkms 3.0.10', () => {
  it('kmodforge mktarball -> dkms ldtarball -> dkms status shows it built', async () => {
    const a = await newRoot();
    const built = await kmf(a, 'build', fixture, '-k', k1, '-k', k2);
    expect(built.code, built.stderr).toBe(0);
    const one = path.join(a.root, 'one.dkms.tar.gz');
    expect((await kmf(a, 'mktarball', mv, '-k', k1, '--archive', one)).code).toBe(0);
    const b = await newRoot();
    const loaded = await runDkms(b, ['ldtarball', one]);
    expect(loaded.code, loaded.stdout + loaded.stderr).toBe(0);
    expect((await runDkms(b, ['status'])).stdout).toBe(`${mv}, ${k1}, ${arch}: built\n`);
    expect((await kmf(b, 'status')).stdout).toBe(`${mv}, ${k1}, ${arch}: built\n`);
    // dkms 3.0.10 loads only the first kernel of a tarball (load_tarball declares its loop variables
    // `local -r`); kmodforge loads them all.
    const both = path.join(a.root, 'both.dkms.tar.gz');
    const made = await kmf(a, 'mktarball', mv, '--all', '--archive', both);
    expect(made.code, made.stderr).toBe(0);
    const c = await newRoot();
    expect((await kmf(c, 'ldtarball', both)).code).toBe(0);
    expect((await runDkms(c, ['status'])).stdout).toBe(
      `${mv}, ${k1}, ${arch}: built\n${mv}, ${k2}, ${arch}: built\n`,
    );
  });

  it('dkms mktarball -> kmodforge ldtarball -> kmodforge status shows it built, and it installs', async () => {
    const c = await newRoot();
    expect((await runDkms(c, ['add', fixture])).code).toBe(0);
    expect((await runDkms(c, ['build', '-m', 'kmf-interop', '-v', '0.3.1', '-k', k1])).code).toBe(0);
    const archive = path.join(c.root, 'from-dkms.dkms.tar.gz');
    const made = await runDkms(c, [
      'mktarball',
      '-m',
      'kmf-interop',
      '-v',
      '0.3.1',
      '-k',
      k1,
      '--archive',
      archive,
    ]);
    expect(made.code, made.stdout + made.stderr).toBe(0);
    const d = await newRoot();
    const loaded = await kmf(d, 'ldtarball', archive);
    expect(loaded.code, loaded.stderr).toBe(0);
    expect((await kmf(d, 'status')).stdout).toBe(`${mv}, ${k1}, ${arch}: built\n`);
    expect((await runDkms(d, ['status'])).stdout).toBe(`${mv}, ${k1}, ${arch}: built\n`);
    const installed = await kmf(d, 'install', mv, '-k', k1);
    expect(installed.code, installed.stderr).toBe(0);
  });

  it('round-trips --binaries-only and --source-only tarballs', async () => {
    const a = await newRoot();
    expect((await kmf(a, 'build', fixture, '-k', k1)).code).toBe(0);
    const binaries = path.join(a.root, 'bin.dkms.tar.gz');
    const source = path.join(a.root, 'src.dkms.tar.gz');
    expect((await kmf(a, 'mktarball', mv, '-k', k1, '--binaries-only', '--archive', binaries)).code).toBe(0);
    expect((await kmf(a, 'mktarball', mv, '--source-only', '--archive', source)).code).toBe(0);
    const b = await newRoot();
    expect((await kmf(b, 'ldtarball', binaries)).code).toBe(0);
    expect((await kmf(b, 'status')).stdout).toBe(`${mv}, ${k1}, ${arch}: built\n`);
    expect((await runDkms(b, ['status'])).stdout).toBe(`${mv}, ${k1}, ${arch}: built\n`);
    const c = await newRoot();
    expect((await runDkms(c, ['ldtarball', source])).code).toBe(0);
    expect((await kmf(c, 'status')).stdout).toBe(`${mv}: added\n`);
  });
});

describe('unsafe tarballs are refused, and nothing is written', () => {
  const python = (script: string): Promise<unknown> => run('python3', ['-c', script]);
  const cases: [string, string][] = [
    ['an absolute path', "t.addfile(f('/etc/kmf-evil', 5), io.BytesIO(b'evil\\n'))"],
    ['a .. component', "t.addfile(f('dkms_source_tree/../../kmf-evil', 5), io.BytesIO(b'evil\\n'))"],
    [
      'a symlink out of the tree',
      "i = tarfile.TarInfo('dkms_source_tree/escape'); i.type = tarfile.SYMTYPE; i.linkname = '../../../etc'; t.addfile(i)",
    ],
    [
      'a symlink to an absolute path',
      "i = tarfile.TarInfo('dkms_source_tree/abs'); i.type = tarfile.SYMTYPE; i.linkname = '/etc/passwd'; t.addfile(i)",
    ],
    [
      'a hard link out of the tree',
      "i = tarfile.TarInfo('dkms_source_tree/hard'); i.type = tarfile.LNKTYPE; i.linkname = '../etc/passwd'; t.addfile(i)",
    ],
    [
      'a device file',
      "i = tarfile.TarInfo('dkms_source_tree/null'); i.type = tarfile.CHRTYPE; i.devmajor = 1; i.devminor = 3; t.addfile(i)",
    ],
  ];

  it.each(cases)('%s', async (_, entry) => {
    const t = await newRoot();
    const file = path.join(t.root, 'evil.dkms.tar.gz');
    const conf = 'PACKAGE_NAME=kmf-evil\\nPACKAGE_VERSION=1\\nDEST_MODULE_LOCATION[0]=/updates\\n';
    await python(
      [
        'import io, tarfile',
        `t = tarfile.open(${JSON.stringify(file)}, 'w:gz')`,
        'def f(name, size):',
        '    i = tarfile.TarInfo(name); i.size = size; return i',
        `t.addfile(f('dkms_source_tree/dkms.conf', ${conf.replaceAll('\\n', '\n').length}), io.BytesIO(${JSON.stringify(conf)}.encode()))`,
        entry,
        't.close()',
      ].join('\n'),
    );
    const ignore = /\.kmodforge\.lock$/;
    const before = await snapshotTree(t.root, { ignore });
    const loaded = await kmf(t, 'ldtarball', file);
    expect(loaded.code).toBe(9);
    expect(loaded.stderr).toContain('not a DKMS tarball kmodforge can load safely');
    expect(loaded.stderr).toContain('nothing was written');
    expect(await snapshotTree(t.root, { ignore })).toEqual(before);
  });
});
