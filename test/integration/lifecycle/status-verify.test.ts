/**
 * Issue 10: `status --verify` does the costly checks plain status leaves out (built and installed modules
 * compared after decompression, each module's vermagic against its kernel), prints one line per finding
 * after dkms's lines, and exits 12 when it finds anything.
 */
import { readFile, rm, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { jsonLines } from '../../support/cli.ts';
import { withoutProcesses } from '../../support/no-process.ts';
import {
  arch,
  dkmsStatusLines,
  fixtureDir,
  kernelOfFlavor,
  makeTestRoot,
  run,
  statusLines,
  type TestRoot,
} from '../../support/test-root.ts';

describe('status --verify', () => {
  let t: TestRoot;
  let k1: string;
  let k2: string;
  const pristine = new Map<string, Buffer>();
  const built = (kernel: string): string => t.builtKo('kmf-simple', '1.0', kernel, 'kmf_simple');
  const installed = (kernel: string): string => t.installedKo(kernel, 'kmf_simple');
  const line = (kernel: string, state: string): string => `kmf-simple/1.0, ${kernel}, ${arch}: ${state}`;
  const diff = '(WARNING! Diff between built and installed module!)';

  beforeAll(async () => {
    t = await makeTestRoot({ prefix: 'kmf-status-verify-' });
    k1 = kernelOfFlavor(t.kernels, 'amd64');
    k2 = kernelOfFlavor(t.kernels, 'rt-amd64');
    const { code, stderr } = await t.cli('install', fixtureDir('kmf-simple'), '-k', k1, '-k', k2);
    if (code !== 0) throw new Error(`install failed: ${stderr}`);
    for (const kernel of [k1, k2])
      for (const file of [built(kernel), installed(kernel)]) pristine.set(file, await readFile(file));
  });
  afterEach(async () => {
    // Every module file as it was installed, and no other form of it.
    for (const [file, bytes] of pristine) {
      for (const suffix of ['.gz', '.xz', '.zst']) await rm(`${file}${suffix}`, { force: true });
      await writeFile(file, bytes);
    }
  });
  afterAll(async () => {
    await t.cleanup();
  });

  const verify = (...args: string[]) => t.cli('status', '--verify', ...args);
  const verifyJson = async (): Promise<Record<string, unknown>[]> =>
    jsonLines((await verify('--json')).stdout).filter((r) => r['type'] === 'verify');

  it('finds nothing in intact builds, and prints dkms’s lines only', async () => {
    const lines = await statusLines(t);
    expect(lines).toEqual([line(k1, 'installed'), line(k2, 'installed')]);
    expect(await verify()).toEqual({ code: 0, stdout: `${lines.join('\n')}\n`, stderr: '' });
    expect(await verifyJson()).toEqual([]);
  });

  it('finds a tampered installed module: the line dkms prints, then what differs', async () => {
    await writeFile(
      installed(k1),
      Buffer.concat([pristine.get(installed(k1)) ?? Buffer.alloc(0), Buffer.from('x')]),
    );
    const lines = await statusLines(t);
    expect(lines).toEqual([line(k1, `installed ${diff}`), line(k2, 'installed')]);
    expect(await verify()).toEqual({
      code: 12,
      stdout: `${lines.join('\n')}\nverify: kmf-simple/1.0, ${k1}, ${arch}: ${installed(k1)} differs from the built ${built(k1)}\n`,
      stderr: '',
    });
    expect(await verifyJson()).toEqual([
      {
        type: 'verify',
        module: 'kmf-simple',
        version: '1.0',
        kernel: k1,
        arch,
        name: 'kmf_simple',
        finding: 'differs',
        file: installed(k1),
        detail: `${installed(k1)} differs from the built ${built(k1)}`,
      },
    ]);
  });

  it('finds a module made for another kernel, built or installed', async () => {
    const other = pristine.get(built(k2)) ?? Buffer.alloc(0);
    const vermagic = (await run('modinfo', ['-F', 'vermagic', built(k2)])).trim();
    // The same wrong module built and installed: no note from dkms, a vermagic finding from --verify.
    await writeFile(built(k1), other);
    await writeFile(installed(k1), other);
    expect(await statusLines(t)).toEqual([line(k1, 'installed'), line(k2, 'installed')]);
    const { code, stdout } = await verify();
    expect(code).toBe(12);
    expect(stdout.split('\n').slice(2)).toEqual([
      `verify: kmf-simple/1.0, ${k1}, ${arch}: ${built(k1)} is made for another kernel: vermagic "${vermagic}", not ${k1}`,
      '',
    ]);
    // Only the installed one: it differs, and is for another kernel.
    await writeFile(built(k1), pristine.get(built(k1)) ?? Buffer.alloc(0));
    expect(await statusLines(t)).toEqual([line(k1, `installed ${diff}`), line(k2, 'installed')]);
    expect((await verifyJson()).map((f) => [f['finding'], f['file']])).toEqual([
      ['differs', installed(k1)],
      ['vermagic', installed(k1)],
    ]);
  });

  /**
   * dkms compares the built module with the first of its locations (Debian: /updates/dkms, then
   * dkms.conf's /updates) whose module has the built one's version, else with <K>/<name>.ko.
   */
  it.each([
    [
      'a changed copy of the same version first, an identical one after',
      'same version',
      'identical',
      '',
      true,
    ],
    ['another version first, an identical copy after', 'other version', 'identical', '', false],
    ['another version only', 'other version', '', '', true],
    ['an identical copy at the top of the kernel’s tree only', '', '', 'identical', false],
  ] as const)('takes the Diff note as dkms does: %s', async (_, first, second, top, differs) => {
    const bytes = pristine.get(built(k1)) ?? Buffer.alloc(0);
    const contents = {
      '': undefined,
      identical: bytes,
      'same version': Buffer.concat([bytes, Buffer.from('x')]),
      'other version': Buffer.from('the kernel’s own kmf_simple.ko, of no version\n'),
    };
    const files = [
      [installed(k1), contents[first]],
      [path.join(t.installTree, k1, 'updates', 'kmf_simple.ko'), contents[second]],
      [path.join(t.installTree, k1, 'kmf_simple.ko'), contents[top]],
    ] as const;
    try {
      for (const [file, content] of files) {
        if (content === undefined) await rm(file, { force: true });
        else await writeFile(file, content);
      }
      const lines = [line(k1, differs ? `installed ${diff}` : 'installed'), line(k2, 'installed')];
      expect(await dkmsStatusLines(t)).toEqual(lines);
      expect(await statusLines(t)).toEqual(lines);
      // Versions come from the modules' .modinfo sections, read in-process.
      const { result, started } = await withoutProcesses(() => t.cli('status'));
      expect([result.stdout, started]).toEqual([`${lines.join('\n')}\n`, []]);
    } finally {
      for (const [file] of files.slice(1)) await rm(file, { force: true });
    }
  });

  it('finds a module that is installed nowhere', async () => {
    await unlink(installed(k2));
    const lines = await statusLines(t);
    expect(lines).toEqual([line(k1, 'installed'), line(k2, `installed ${diff}`)]);
    const dirs = ['updates/dkms', 'updates'].map((l) => path.join(t.installTree, k2, l));
    expect(await verify()).toEqual({
      code: 12,
      stdout: `${lines.join('\n')}\nverify: kmf-simple/1.0, ${k2}, ${arch}: kmf_simple is not installed: no kmf_simple.ko* in ${dirs.join(' or ')}\n`,
      stderr: '',
    });
  });

  /** Replaces a module file by its compressed form (`tool` and its options, as the kernel would). */
  async function compress(file: string, tool: string, ...options: string[]): Promise<void> {
    await run(tool, [...options, '-q', '-f', file]);
    expect(await readFile(file).catch(() => undefined), `${tool} removed ${file}`).toBeUndefined();
  }

  it.each([
    ['xz', ['--check=crc32']],
    ['zstd', ['--rm']],
    ['gzip', ['-n']],
  ] as const)('reads modules compressed with %s', async (tool, options) => {
    for (const file of [built(k1), installed(k1)]) await compress(file, tool, ...options);
    // (dkms 3.0.10 takes the compression from the real /lib/modules/K/modules.dep: no comparison here.)
    const lines = [line(k1, 'installed'), line(k2, 'installed')];
    expect((await t.cli('status')).stdout).toBe(`${lines.join('\n')}\n`);
    expect(await verify()).toEqual({ code: 0, stdout: `${lines.join('\n')}\n`, stderr: '' });
  });

  it('tells a module compressed otherwise from a different one', async () => {
    await compress(built(k1), 'xz', '--check=crc32', '-6');
    await compress(installed(k1), 'xz', '--check=crc32', '-0', '--extreme');
    expect((await t.cli('status')).stdout.split('\n')[0]).toBe(line(k1, `installed ${diff}`));
    const { code, stdout } = await verify();
    expect(code).toBe(12);
    expect(stdout.split('\n').slice(2)).toEqual([
      `verify: kmf-simple/1.0, ${k1}, ${arch}: ${installed(k1)}.xz is the built module compressed otherwise than ${built(k1)}.xz`,
      '',
    ]);
  });
});
