import type * as FsPromises from 'node:fs/promises';
import { chmod, lstat, mkdir, readFile, readdir, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { installedKernels } from '../../support/debian-dkms.ts';
import {
  arch,
  copyFixture,
  kernelOfFlavor,
  makeTempDir,
  makeTestRoot,
  modinfo,
  statusLines,
  type TestRoot,
} from '../../support/test-root.ts';

/** A copyFile failure to inject into kmodforge (it runs in-process): sources whose path holds `name`. */
const injected = vi.hoisted(() => ({ code: undefined as string | undefined, name: Buffer.alloc(0) }));

vi.mock('node:fs/promises', async (importOriginal) => {
  const { withCopyFailure } = await import('../../support/inject-copy-failure.ts');
  return withCopyFailure(await importOriginal<typeof FsPromises>(), injected);
});

const M = 'kmf-simple';
const KO = 'kmf_simple';

/** Names as raw bytes (latin1: one char per byte); none of them is UTF-8. */
const oddFile = 'x\xff.txt';
const oddDir = 'd\xfe';
const oddInner = '\xffin';
const oddLink = 'link\xfd';

function bytePath(dir: string, rel: string): Buffer {
  return Buffer.concat([Buffer.from(`${dir}/`), Buffer.from(rel, 'latin1')]);
}

/** `path kind mode data` per entry below `dir`, names read as bytes and shown as latin1 (byte for byte). */
async function readTreeBytes(dir: string): Promise<string[]> {
  const lines: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    for (const name of await readdir(bytePath(dir, rel), { encoding: 'buffer' })) {
      const childRel = `${rel}/${name.toString('latin1')}`;
      const child = bytePath(dir, childRel);
      const s = await lstat(child);
      const mode = (s.mode & 0o7777).toString(8);
      if (s.isSymbolicLink())
        lines.push(
          `${childRel} link -> ${(await readlink(child, { encoding: 'buffer' })).toString('latin1')}`,
        );
      else if (s.isDirectory()) {
        lines.push(`${childRel} dir ${mode}`);
        await walk(childRel);
      } else lines.push(`${childRel} file ${mode} ${(await readFile(child)).toString('latin1')}`);
    }
  };
  await walk('');
  return lines.sort();
}

describe('a module source with file and directory names that are not UTF-8 (dkms copies them)', () => {
  const kernel = kernelOfFlavor(installedKernels(), 'amd64');
  const roots: TestRoot[] = [];
  let work: string;
  let source: string;

  const newRoot = async (): Promise<TestRoot> => {
    const t = await makeTestRoot({ kernels: [kernel], prefix: 'kmf-non-utf8-' });
    roots.push(t);
    return t;
  };

  beforeAll(async () => {
    work = await makeTempDir('kmf-non-utf8-src-');
    source = await copyFixture(M, path.join(work, M));
    await writeFile(bytePath(source, oddFile), 'not UTF-8\n');
    await chmod(bytePath(source, oddFile), 0o755);
    await mkdir(bytePath(source, oddDir));
    await writeFile(bytePath(source, `${oddDir}/${oddInner}`), 'inside\n');
    await symlink(Buffer.from(`../${oddFile}`, 'latin1'), bytePath(source, `${oddDir}/${oddLink}`));
  });
  afterAll(async () => {
    for (const t of roots) await t.cleanup();
    await rm(work, { recursive: true, force: true });
  });

  it('adds it: every name is in <root>/usr/src/M-V byte for byte', async () => {
    const t = await newRoot();
    const { code, stderr } = await t.cli('add', source, '-k', kernel);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const added = path.join(t.sourceTree, `${M}-1.0`);
    const names = (await readdir(added, { encoding: 'buffer' })).map((n) => n.toString('latin1'));
    expect(names).toEqual(expect.arrayContaining([oddFile, oddDir]));
    expect(await readTreeBytes(added)).toEqual(await readTreeBytes(source));
    expect(await readTreeBytes(added)).toContain(`/${oddDir}/${oddLink} link -> ../${oddFile}`);
    expect(await statusLines(t)).toEqual([`${M}/1.0: added`]);
  });

  it('installs it from the directory: added, built (from a copy of the source) and installed', async () => {
    const t = await newRoot();
    const { code, stderr } = await t.cli('install', source, '-k', kernel);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect((await modinfo('vermagic', t.installedKo(kernel, KO))).startsWith(`${kernel} `)).toBe(true);
    expect(await readTreeBytes(path.join(t.sourceTree, `${M}-1.0`))).toEqual(await readTreeBytes(source));
  });

  // The siblings: every other command that copies, archives or walks a module's source.
  it('mktarball and ldtarball carry the names byte for byte; mkdeb --source and mksrpm package them', async () => {
    const a = await newRoot();
    expect((await a.cli('build', source, '-k', kernel)).code).toBe(0);
    const archive = path.join(work, 'odd.dkms.tar.gz');
    const made = await a.cli('mktarball', `${M}/1.0`, '-k', kernel, '--archive', archive);
    expect(made.code, made.stderr).toBe(0);
    const b = await newRoot();
    const loaded = await b.cli('ldtarball', archive, '-k', kernel);
    expect(loaded.code, loaded.stderr).toBe(0);
    expect(await readTreeBytes(path.join(b.sourceTree, `${M}-1.0`))).toEqual(await readTreeBytes(source));
    expect(await statusLines(b)).toEqual([`${M}/1.0, ${kernel}, ${arch}: built`]);
    const deb = await a.cli('mkdeb', '--source', `${M}/1.0`, '--out', path.join(work, 'deb'));
    expect(deb.code, deb.stderr).toBe(0);
    const srpm = await a.cli('mksrpm', `${M}/1.0`, '--out', path.join(work, 'srpm'));
    expect(srpm.code, srpm.stderr).toBe(0);
  });

  it('ends a copy refused by permissions as a clear error (exit 1, not 70) and leaves no staging behind', async () => {
    const t = await newRoot();
    injected.code = 'EACCES';
    injected.name = Buffer.from(oddInner, 'latin1');
    try {
      const { code, stderr } = await t.cli('add', source, '-k', kernel);
      expect(code).toBe(1);
      expect(stderr).toContain(`${source}/d\\xfe/\\xffin`);
      expect(stderr).toContain('Permission denied');
      expect(stderr).not.toContain('bug in kmodforge');
    } finally {
      injected.code = undefined;
    }
    expect(await readdir(t.sourceTree)).toEqual([]);
    expect(await statusLines(t)).toEqual([]);
  });
});
