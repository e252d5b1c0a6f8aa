/**
 * Issue 10 (status without subprocesses): status reads what a kmodforge build recorded of its dkms.conf
 * instead of sourcing the file with bash, as long as the file and its overrides are unchanged; for a
 * build dkms made, it sources the file once and caches the answer under <root>/var/cache/kmodforge/status.
 */
import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withoutProcesses } from '../../support/no-process.ts';
import { cliCommand } from '../../support/spawn-cli.ts';
import {
  arch,
  dkmsStatusLines,
  fixtureDir,
  hasDkms,
  kernelOfFlavor,
  makeTestRoot,
  runDkms,
  statusLines,
  type TestRoot,
} from '../../support/test-root.ts';

describe('status from the build record', () => {
  let t: TestRoot;
  let kernel: string;
  let noBash: string;
  beforeAll(async () => {
    t = await makeTestRoot({ prefix: 'kmf-status-record-' });
    kernel = kernelOfFlavor(t.kernels, 'amd64');
    noBash = await mkdtemp(path.join(os.tmpdir(), 'kmf-no-bash-'));
    const { code, stderr } = await t.cli('install', fixtureDir('kmf-simple'), '-k', kernel);
    if (code !== 0) throw new Error(`install failed: ${stderr}`);
  });
  afterAll(async () => {
    await t.cleanup();
    await rm(noBash, { recursive: true, force: true });
  });

  /** status run where no bash can be found: it must not need one. */
  async function statusWithoutBash(): Promise<{ code: number; stdout: string; stderr: string }> {
    const saved = process.env['PATH'];
    process.env['PATH'] = noBash;
    try {
      return await t.cli('status');
    } finally {
      process.env['PATH'] = saved;
    }
  }

  it('needs no bash for a build kmodforge made, and prints what dkms prints', async () => {
    const lines = await statusLines(t);
    expect(lines).toEqual([`kmf-simple/1.0, ${kernel}, ${arch}: installed`]);
    expect(await statusWithoutBash()).toEqual({ code: 0, stdout: `${lines.join('\n')}\n`, stderr: '' });
    // Not even the state lock's flock: there is no interrupted transaction to recover.
    expect((await withoutProcesses(() => t.cli('status'))).started).toEqual([]);
  });

  it('sources dkms.conf again once it has changed', async () => {
    const conf = path.join(t.sourceTree, 'kmf-simple-1.0', 'dkms.conf');
    const text = await readFile(conf, 'utf8');
    try {
      await writeFile(conf, `${text}BUILT_MODULE_NAME[1]="kmf_other"\nDEST_MODULE_LOCATION[1]="/updates"\n`);
      // The record no longer holds, and this content was never read: it needs bash.
      expect((await statusWithoutBash()).stderr).toContain('bash');
      // The build no longer has every module this dkms.conf names: dkms no longer lists it.
      expect(await statusLines(t)).toEqual(['kmf-simple/1.0: added']);
      // That reading is cached now.
      expect(await statusWithoutBash()).toEqual({ code: 0, stdout: 'kmf-simple/1.0: added\n', stderr: '' });
    } finally {
      await writeFile(conf, text);
    }
    expect(await statusLines(t)).toEqual([`kmf-simple/1.0, ${kernel}, ${arch}: installed`]);
  });
});

describe.runIf(hasDkms)('status of builds dkms 3.0.10 made', () => {
  let t: TestRoot;
  let k1: string;
  let k2: string;
  let expected: string[];
  let cacheDir: string;
  let conf: string;
  beforeAll(async () => {
    t = await makeTestRoot({ prefix: 'kmf-status-cache-' });
    k1 = kernelOfFlavor(t.kernels, 'amd64');
    k2 = kernelOfFlavor(t.kernels, 'cloud-amd64');
    cacheDir = path.join(t.root, 'var', 'cache', 'kmodforge', 'status');
    conf = path.join(t.sourceTree, 'kmf-simple-1.0', 'dkms.conf');
    for (const args of [
      ['add', fixtureDir('kmf-simple')],
      ['install', '-m', 'kmf-simple', '-v', '1.0', '-k', k1, '--no-depmod'],
      ['build', '-m', 'kmf-simple', '-v', '1.0', '-k', k2],
    ]) {
      const { code, stdout, stderr } = await runDkms(t, args);
      if (code !== 0) throw new Error(`dkms ${args.join(' ')} failed: ${stdout}${stderr}`);
    }
    expected = [`kmf-simple/1.0, ${k1}, ${arch}: installed`, `kmf-simple/1.0, ${k2}, ${arch}: built`];
  });
  afterAll(async () => {
    await t.cleanup();
  });

  /** `kmodforge status` with no program on PATH, and the processes it tried to start. */
  async function statusWithoutProcesses(): Promise<{
    run: Awaited<ReturnType<TestRoot['cli']>>;
    started: string[];
  }> {
    const { result, started } = await withoutProcesses(() => t.cli('status'));
    return { run: result, started };
  }

  /** The cache's entries: the files in its directory (a temporary file left behind would show here). */
  const cacheEntries = async (): Promise<string[]> => (await readdir(cacheDir).catch(() => [])).sort();

  it('sources dkms.conf once, then answers with dkms’s exact lines starting no process', async () => {
    expect(await dkmsStatusLines(t)).toEqual(expected);
    expect(await statusLines(t)).toEqual(expected);
    const entries = await cacheEntries();
    expect(entries, 'one entry per build, no temporary file').toHaveLength(2);
    expect(entries.every((e) => /^[0-9a-f]{64}\.json$/.test(e))).toBe(true);
    const { run, started } = await statusWithoutProcesses();
    expect(started).toEqual([]);
    expect(run).toEqual({ code: 0, stdout: `${expected.join('\n')}\n`, stderr: '' });
    expect(await cacheEntries()).toEqual(entries);
  });

  it('sources dkms.conf again once it, or an override in /etc/dkms, has changed', async () => {
    const text = await readFile(conf, 'utf8');
    await statusLines(t);
    try {
      await writeFile(conf, `${text}BUILT_MODULE_NAME[1]="kmf_other"\nDEST_MODULE_LOCATION[1]="/updates"\n`);
      // Neither build has the module this dkms.conf adds: dkms lists neither.
      expect((await statusWithoutProcesses()).run.stderr).toContain('bash');
      expect(await statusLines(t)).toEqual(['kmf-simple/1.0: added']);
      expect((await statusWithoutProcesses()).run.stdout).toBe('kmf-simple/1.0: added\n');
    } finally {
      await writeFile(conf, text);
    }
    // The first content's readings are still cached.
    expect((await statusWithoutProcesses()).run.stdout).toBe(`${expected.join('\n')}\n`);

    const override = path.join(t.root, 'etc', 'dkms', `kmf-simple-1.0-${k2}.conf`);
    await mkdir(path.dirname(override), { recursive: true });
    try {
      await writeFile(override, 'BUILT_MODULE_NAME[1]="kmf_other"\nDEST_MODULE_LOCATION[1]="/updates"\n');
      const { run } = await statusWithoutProcesses();
      expect(run.stderr, 'the override of the k2 build is new').toContain('bash');
      // (dkms 3.0.10 reads the real /etc/dkms, whatever the trees: no comparison with it here.)
      expect((await t.cli('status')).stdout).toBe(`${expected[0] ?? ''}\n`);
    } finally {
      await rm(override);
    }
  });

  it('ignores a corrupt cache entry and writes it again', async () => {
    await rm(cacheDir, { recursive: true, force: true });
    await statusLines(t);
    const entries = await cacheEntries();
    expect(entries).toHaveLength(2);
    const [first = '', second = ''] = entries;
    await writeFile(path.join(cacheDir, first), '{"format":1,"key":');
    await writeFile(path.join(cacheDir, second), JSON.stringify({ format: 1, key: {}, facts: {} }));
    expect((await statusWithoutProcesses()).run.stderr).toContain('bash');
    expect(await statusLines(t)).toEqual(expected);
    expect(await cacheEntries()).toEqual(entries);
    const { run, started } = await statusWithoutProcesses();
    expect([run, started]).toEqual([{ code: 0, stdout: `${expected.join('\n')}\n`, stderr: '' }, []]);
  });

  it('answers a user who cannot write the cache, silently, and leaves no file behind', async () => {
    await rm(cacheDir, { recursive: true, force: true });
    // The root is made by mkdtemp (0700): let the user nobody read it, as other users read /var/lib/dkms.
    await chmod(t.root, 0o755);
    const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
      (resolve, reject) => {
        const [node, ...args] = cliCommand;
        const child = spawn(
          'setpriv',
          ['--reuid=nobody', '--regid=nogroup', '--clear-groups', node, ...args, '--root', t.root, 'status'],
          { env: { ...process.env, HOME: '/tmp' }, stdio: ['ignore', 'pipe', 'pipe'] },
        );
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('error', reject);
        child.on('close', (code) => {
          resolve({ code, stdout, stderr });
        });
      },
    );
    expect(run).toEqual({ code: 0, stdout: `${expected.join('\n')}\n`, stderr: '' });
    expect(await readdir(path.dirname(cacheDir))).toEqual([]);
  });
});
