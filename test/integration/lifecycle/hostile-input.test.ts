/**
 * Issue 8: the defects a hostile-input review found, each replayed against the real CLI in a throwaway
 * root: tarballs that are unsafe, malformed or truncated, hostile -a/-k values, a journal that cannot be
 * undone, and a closed stdout.
 */
import { spawn } from 'node:child_process';
import { access, mkdir, mkdtemp, readFile, readdir, readlink, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../support/debian-dkms.ts';
import { expectRefused } from '../../support/refused.ts';
import { closeStdout, signalWhen, spawnCli } from '../../support/spawn-cli.ts';
import {
  arch,
  fixtureDir,
  kernelOfFlavor,
  makeTempDir,
  makeTestRoot,
  run,
  statusLines,
  type TestRoot,
} from '../../support/test-root.ts';

interface Entry {
  path: string;
  type?: 'file' | 'dir' | 'symlink' | 'fifo';
  text?: string;
  linkpath?: string;
  /** pax extended header records, written as given. */
  pax?: Record<string, string>;
}

/** Writes a gzipped tarball of exactly these entries (see test/support/craft-tarball.py). */
async function craftTarball(file: string, entries: Entry[], keepBytes?: number): Promise<string> {
  const script = path.join(repoRoot, 'test/support/craft-tarball.py');
  const args = [script, file, ...(keepBytes === undefined ? [] : [String(keepBytes)])];
  await new Promise<void>((resolve, reject) => {
    const child = spawn('python3', args, { stdio: ['pipe', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`craft-tarball.py exited ${code}`));
    });
    child.stdin.end(JSON.stringify(entries));
  });
  return file;
}

/**
 * The temporary directory of the commands these tests run: a private one (TMPDIR, for this test file's
 * process and the CLI processes it starts), so that other test files' temporary directories do not count.
 */
let privateTmp: string;

/** What kmodforge left in its temporary directory (tsx, which runs the CLI from the sources, keeps a cache there). */
async function tempDirs(): Promise<string[]> {
  return (await readdir(privateTmp)).filter((name) => name.startsWith('kmodforge-'));
}

describe('issue 8: hostile input', () => {
  let t: TestRoot;
  let kernel: string;
  let tmp: string;
  let conf: string;
  /** A dkms tarball of kmf-simple/1.0 built for `kernel`, with `more` entries. */
  const dkmsTarball = (name: string, more: Entry[], keepBytes?: number): Promise<string> =>
    craftTarball(
      path.join(tmp, name),
      [
        { path: 'dkms_main_tree', type: 'dir' },
        { path: `dkms_main_tree/${kernel}`, type: 'dir' },
        { path: `dkms_main_tree/${kernel}/${arch}`, type: 'dir' },
        { path: `dkms_main_tree/${kernel}/${arch}/module`, type: 'dir' },
        { path: `dkms_main_tree/${kernel}/${arch}/module/real.ko`, text: 'not really a module' },
        { path: 'dkms_source_tree', type: 'dir' },
        { path: 'dkms_source_tree/dkms.conf', text: conf },
        ...more,
      ],
      keepBytes,
    );

  const savedTmpdir = process.env['TMPDIR'];
  beforeAll(async () => {
    privateTmp = await mkdtemp(path.join(os.tmpdir(), 'kmf-hostile-tmp-'));
    t = await makeTestRoot({ prefix: 'kmf-hostile-' });
    tmp = await makeTempDir('kmf-hostile-src-');
    kernel = kernelOfFlavor(t.kernels, 'amd64');
    conf = await readFile(path.join(fixtureDir('kmf-simple'), 'dkms.conf'), 'utf8');
    process.env['TMPDIR'] = privateTmp;
  });
  afterAll(async () => {
    if (savedTmpdir === undefined) delete process.env['TMPDIR'];
    else process.env['TMPDIR'] = savedTmpdir;
    await t.cleanup();
    await rm(tmp, { recursive: true, force: true });
    await rm(privateTmp, { recursive: true, force: true });
  });

  // Defect 1: the link was rewritten to /tmp/kmodforge-ldtarball-XXXX/…, a path a local user could create.
  it('ldtarball keeps a relative link between built modules as it was', async () => {
    const file = await dkmsTarball('link.dkms.tar.gz', [
      { path: `dkms_main_tree/${kernel}/${arch}/module/kmf_simple.ko`, type: 'symlink', linkpath: 'real.ko' },
    ]);
    const { code, stdout, stderr } = await t.cli('ldtarball', file, '-k', kernel);
    expect(code, stderr).toBe(0);
    expect(stdout).toContain(`Loaded kmf-simple/1.0 for ${kernel} (${arch})`);
    expect(await readlink(t.builtKo('kmf-simple', '1.0', kernel, 'kmf_simple'))).toBe('real.ko');
    expect(await statusLines(t, 'kmf-simple')).toEqual([`kmf-simple/1.0, ${kernel}, ${arch}: built`]);
    await t.cli('remove', 'kmf-simple/1.0', '--all');
  });

  it.each<[string, () => Entry[], () => string]>([
    [
      'a link out of its kernel directory (defect 1)',
      () => [
        {
          path: `dkms_main_tree/${kernel}/${arch}/module/kmf_simple.ko`,
          type: 'symlink',
          linkpath: '../../../../dkms_source_tree/dkms.conf',
        },
      ],
      () => `is a link to ../../../../dkms_source_tree/dkms.conf, outside dkms_main_tree/${kernel}/${arch}`,
    ],
    [
      // Each link alone stays inside the source; followed one after the other they leave it.
      'a chain of links out of the source',
      () => [
        { path: 'dkms_source_tree/a/b/c/d', type: 'symlink', linkpath: '../../..' },
        { path: 'dkms_source_tree/esc', type: 'symlink', linkpath: 'a/b/c/d/../../../..' },
      ],
      () => 'dkms_source_tree/esc is a link that leads out of dkms_source_tree',
    ],
    [
      // node-tar skips a pax header over 1 MB and sees "real.ko"; GNU tar, which extracts, sees /etc/shadow.
      'a link whose pax header says otherwise than its plain header',
      () => [
        {
          path: `dkms_main_tree/${kernel}/${arch}/module/kmf_simple.ko`,
          type: 'symlink',
          linkpath: 'real.ko',
          pax: { comment: 'x'.repeat(1_100_000), linkpath: '/etc/shadow' },
        },
      ],
      () =>
        `dkms_main_tree/${kernel}/${arch}/module/kmf_simple.ko is a link that leads out of dkms_main_tree/${kernel}/${arch}`,
    ],
    [
      'a 9 KB path (defect 7)',
      () => [{ path: `dkms_source_tree/${'d/'.repeat(4600)}f.c`, text: '' }],
      () => 'has a path longer than 3072 bytes',
    ],
    [
      'a kernel entry that is a file (defect 7)',
      () => [{ path: 'dkms_main_tree/6.1.0-1-amd64', text: '' }],
      () => 'dkms_main_tree/6.1.0-1-amd64 must be a directory',
    ],
    [
      'an arch entry that is a file (defect 8)',
      () => [{ path: `dkms_main_tree/${kernel}/i686`, text: '' }],
      () => `dkms_main_tree/${kernel}/i686 must be a directory`,
    ],
    [
      'a kernel named -rf (defect 8)',
      () => [
        { path: 'dkms_main_tree/-rf', type: 'dir' },
        { path: `dkms_main_tree/-rf/${arch}/module/x.ko`, text: '' },
      ],
      () => '"-rf" is not a kernel release',
    ],
    [
      'an arch named .hidden (defect 8)',
      () => [{ path: `dkms_main_tree/${kernel}/.hidden/module/x.ko`, text: '' }],
      () => '".hidden" is not an arch',
    ],
  ])('ldtarball refuses %s: exit 9, nothing written', async (name, more, message) => {
    const file = await dkmsTarball(`${name.replace(/\W+/g, '-')}.dkms.tar.gz`, more());
    const before = await tempDirs();
    const { stderr } = await expectRefused(t, 9, 'ldtarball', file, '-k', kernel);
    expect(stderr).toContain(message());
    expect(stderr).toContain('nothing was written');
    expect(await tempDirs()).toEqual(before);
  });

  // Defect 5: exit 70 with ENOTEMPTY, and a /tmp/kmodforge-ldtarball-* directory left on every run.
  it('ldtarball refuses a truncated tarball: exit 9, no temporary directory left', async () => {
    const big = 'x'.repeat(20_000);
    const file = await dkmsTarball(
      'truncated.dkms.tar.gz',
      [{ path: 'dkms_source_tree/big.c', text: big }],
      12_000,
    );
    const before = await tempDirs();
    const { stderr } = await expectRefused(t, 9, 'ldtarball', file, '-k', kernel);
    expect(stderr).toContain('not a readable tarball');
    expect(stderr).toContain('Truncated input');
    expect(await tempDirs()).toEqual(before);
  });

  // The sibling of defect 5 for signals: Ctrl-C or a kill left temporary directories and running children.
  it('SIGTERM while dkms.conf is read: exit 143, the temporary directory and bash are gone', async () => {
    const dir = path.join(tmp, 'slow');
    await mkdir(dir);
    const marker = path.join(tmp, 'slow-started');
    await writeFile(path.join(dir, 'dkms.conf'), `${conf}\ntouch ${marker}\nsleep 47.5\n`);
    const before = await tempDirs();
    const { code } = await spawnCli(['--root', t.root, 'conf', dir, '-k', kernel], {
      env: { TMPDIR: privateTmp },
      onSpawn: signalWhen(
        () =>
          access(marker).then(
            () => true,
            () => false,
          ),
        'SIGTERM',
      ),
    });
    expect(code).toBe(143);
    expect(await tempDirs()).toEqual(before);
    expect(await run('ps', ['-eo', 'args'])).not.toContain('sleep 47.5');
  });

  describe('with kmf-simple installed', () => {
    beforeAll(async () => {
      const { code, stderr } = await t.cli('install', fixtureDir('kmf-simple'), '-k', kernel);
      if (code !== 0) throw new Error(`install kmf-simple failed (${code}): ${stderr}`);
    });

    // Defect 2: -a was a path step: a build outside the tree, a journal that wedged every command, and
    // `-a ''` replacing the build of an installed module.
    it.each([
      ['build', '-a', '../../../x'],
      ['install', '-a', '../../etc'],
      ['build', '-a', ''],
      ['install', '--force', '-a', ''],
      ['build', '-a', '..'],
    ])('%s %s %s %s: exit 2, nothing changes', async (command, ...rest) => {
      const { stderr } = await expectRefused(t, 2, command, 'kmf-simple/1.0', '-k', kernel, ...rest);
      expect(stderr).toContain('invalid arch');
    });

    // Defect 7: `-k K/..` was exit 70.
    it.each([['build'], ['install'], ['uninstall'], ['status']])('%s -k K/..: exit 2', async (command) => {
      const { stderr } = await expectRefused(t, 2, command, 'kmf-simple/1.0', '-k', `${kernel}/..`);
      expect(stderr).toContain(`-k "${kernel}/..": invalid arch ".."`);
    });

    // Defect 2: no journal kmodforge cannot undo may wedge it: status answers, the rest say what to do.
    it('a journal that cannot be undone: status still answers, install says what to do', async () => {
      const journal = path.join(t.dkmsTree, '.kmodforge-journal');
      await writeFile(path.join(tmp, 'a-file'), '');
      const ops = [{ op: 'move', from: path.join(tmp, 'a-file/x.ko'), to: path.join(tmp, 'a-file') }];
      await writeFile(
        journal,
        JSON.stringify({ command: 'install', kernels: [kernel], ops, state: 'applying' }),
      );
      const status = await t.cli('status');
      expect(status.code).toBe(0);
      expect(status.stdout).toBe(`kmf-simple/1.0, ${kernel}, ${arch}: installed\n`);
      expect(status.stderr).toContain('undoing the interrupted install failed');
      expect(status.stderr).toContain(`then remove ${journal}`);
      const { stderr } = await expectRefused(t, 4, 'install', 'kmf-simple/1.0', '-k', kernel, '--force');
      expect(stderr).toContain(`then remove ${journal}`);
      await rm(journal);
    });

    // Defect 7: a write the file system refuses (EACCES for a user, EROFS here) was exit 70 with a stack.
    it.skipIf(process.getuid?.() !== 0)(
      'mktarball --archive into a read-only directory: exit 1, naming it',
      async () => {
        const ro = path.join(tmp, 'read-only');
        await mkdir(ro);
        await run('mount', ['--bind', '-o', 'ro', ro, ro]);
        try {
          const { stderr } = await expectRefused(
            t,
            1,
            'mktarball',
            'kmf-simple/1.0',
            '-k',
            kernel,
            '--archive',
            path.join(ro, 'x.tar.gz'),
          );
          expect(stderr).toContain(`${ro}/`);
          expect(stderr).toContain('Read-only file system');
        } finally {
          await run('umount', [ro]);
        }
      },
    );

    // Defect 6: an unhandled EPIPE stack trace and exit 1; a mutating command aborted part way.
    it('a closed stdout: status ends quietly, and uninstall/install run to their end', async () => {
      const root = ['--root', t.root];
      const withClosedStdout = { onSpawn: closeStdout };
      const status = await spawnCli([...root, 'status'], withClosedStdout);
      expect([status.code, status.stderr]).toEqual([0, '']);
      const uninstall = await spawnCli(
        [...root, 'uninstall', 'kmf-simple/1.0', '-k', kernel],
        withClosedStdout,
      );
      expect([uninstall.code, uninstall.stderr]).toEqual([0, '']);
      expect(await statusLines(t, 'kmf-simple')).toEqual([`kmf-simple/1.0, ${kernel}, ${arch}: built`]);
      const install = await spawnCli([...root, 'install', 'kmf-simple/1.0', '-k', kernel], withClosedStdout);
      expect(install.code, install.stderr).toBe(0);
      expect(await statusLines(t, 'kmf-simple')).toEqual([`kmf-simple/1.0, ${kernel}, ${arch}: installed`]);
    });
  });
});
