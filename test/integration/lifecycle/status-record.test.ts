/**
 * Issue 10 (status without subprocesses): status reads what a kmodforge build recorded of its dkms.conf
 * instead of sourcing the file with bash, as long as the file and its overrides are unchanged.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  arch,
  fixtureDir,
  kernelOfFlavor,
  makeTestRoot,
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
  });

  it('sources dkms.conf again once it has changed', async () => {
    const conf = path.join(t.sourceTree, 'kmf-simple-1.0', 'dkms.conf');
    const text = await readFile(conf, 'utf8');
    try {
      // The build no longer has every module this dkms.conf names: dkms no longer lists it.
      await writeFile(conf, `${text}BUILT_MODULE_NAME[1]="kmf_other"\nDEST_MODULE_LOCATION[1]="/updates"\n`);
      expect(await statusLines(t)).toEqual(['kmf-simple/1.0: added']);
      const { stderr } = await statusWithoutBash();
      expect(stderr).toContain('bash');
    } finally {
      await writeFile(conf, text);
    }
    expect(await statusLines(t)).toEqual([`kmf-simple/1.0, ${kernel}, ${arch}: installed`]);
  });
});
