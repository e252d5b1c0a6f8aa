/**
 * Issue 10: the CLI ships as one esbuild bundle (scripts/bundle.ts) that loads a command's code only when
 * that command runs. This runs bin/kmodforge.js and reads esbuild's metafile (dist/meta.json, which the
 * vitest globalSetup keeps current) to check what `--version` and `status` load.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entryPoint, metafilePath } from '../../../scripts/bundle.ts';
import { runProgram } from '../../../src/cli/program.ts';
import { spawnCli } from '../../support/spawn-cli.ts';

describe('bin/kmodforge.js runs the bundle', () => {
  let empty: string;
  beforeAll(async () => {
    empty = await mkdtemp(path.join(os.tmpdir(), 'kmf-bundle-'));
  });
  afterAll(async () => {
    await rm(empty, { recursive: true, force: true });
  });

  it.each(['--version', '-V'])('%s prints the version as commander does, without it', async (flag) => {
    let version = '';
    const io = { out: (t: string) => (version += t), err: () => undefined, color: false };
    expect(await runProgram([flag], io)).toBe(0);
    expect(await spawnCli([flag])).toEqual({ code: 0, signal: null, stdout: version, stderr: '' });
  });

  it('shows the status of an empty root: nothing', async () => {
    expect(await spawnCli(['status', '--root', empty])).toEqual({
      code: 0,
      signal: null,
      stdout: '',
      stderr: '',
    });
  });
});

describe('what a run loads', () => {
  let metafile: Metafile;
  beforeAll(async () => {
    metafile = JSON.parse(await readFile(metafilePath, 'utf8')) as Metafile;
  });

  /** The outputs Node loads when it imports `output`: it and every output it imports statically. */
  const loadedWith = (output: string, loaded = new Set<string>()): Set<string> => {
    if (loaded.has(output)) return loaded;
    loaded.add(output);
    for (const i of metafile.outputs[output]?.imports ?? [])
      if (i.kind === 'import-statement' && i.external !== true) loadedWith(i.path, loaded);
    return loaded;
  };
  const outputOf = (source: string): string => {
    const found = Object.entries(metafile.outputs).find(([, o]) => o.entryPoint === source);
    if (found === undefined) throw new Error(`no output of ${source} in the metafile`);
    return found[0];
  };
  /** The source files in what Node loads to run `--version` (the entry alone) or a command too. */
  const sourcesLoaded = (command?: string): string[] => {
    const loaded = loadedWith(outputOf(entryPoint));
    if (command !== undefined) loadedWith(outputOf(`src/cli/commands/${command}.ts`), loaded);
    return [...loaded].flatMap((o) => Object.keys(metafile.outputs[o]?.inputs ?? {}));
  };

  it('the entry (all that --version loads) holds no command and no package, not even commander', () => {
    expect(sourcesLoaded().filter((s) => /^(node_modules|src\/cli\/commands)\//.test(s))).toEqual([]);
  });

  it('status loads no tar and no tarball, rpm or deb packaging', () => {
    const packaging = /^(node_modules\/tar\/|src\/package\/(tarball|rpm|deb)\/)/;
    expect(sourcesLoaded('status').filter((s) => packaging.test(s))).toEqual([]);
  });

  // sign-settings.ts is the configuration every context reads; the journal and depmod are how status
  // finishes an interrupted transaction.
  // autoinstall runs at every boot and kernel hook, where it usually has nothing to do; the scheduler and
  // the jobserver are all of build/ it loads before it knows.
  it('autoinstall loads no signing, build or install code until it has something to install', () => {
    const unused =
      /^src\/(sign\/(?!sign-settings\.ts$)|build\/(?!job-slots\.ts$|schedule\.ts$)|install\/(?!journal\.ts$|depmod\.ts$)|package\/)/;
    expect(sourcesLoaded('autoinstall').filter((s) => unused.test(s))).toEqual([]);
  });

  it('status loads no signing, build or install code', () => {
    const unused = /^src\/(sign\/(?!sign-settings\.ts$)|build\/|install\/(?!journal\.ts$|depmod\.ts$))/;
    expect(sourcesLoaded('status').filter((s) => unused.test(s))).toEqual([]);
  });
});
