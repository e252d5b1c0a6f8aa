import { execFileSync } from 'node:child_process';

import type * as FsPromises from 'node:fs/promises';
import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readFile,
  readdir,
  readlink,
  rm,
  symlink,
  lutimes,
  writeFile,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { KmodError } from '../../../src/errors.ts';
import { copyTree, describeBytePath } from '../../../src/state/copy-tree.ts';

/** A copyFile failure to inject: files whose path holds `name` fail with errno `code`. */
const injected = vi.hoisted(() => ({ code: undefined as string | undefined, name: Buffer.alloc(0) }));

vi.mock('node:fs/promises', async (importOriginal) => {
  const { withCopyFailure } = await import('../../support/inject-copy-failure.ts');
  return withCopyFailure(await importOriginal<typeof FsPromises>(), injected);
});

/** A path below `dir` whose last part is raw bytes (latin1: one char per byte). */
function bytePath(dir: string, name: string): Buffer {
  return Buffer.concat([Buffer.from(`${dir}/`), Buffer.from(name, 'latin1')]);
}

interface Entry {
  /** The relative path, one latin1 char per byte, so that no byte is lost or merged. */
  path: string;
  kind: 'dir' | 'file' | 'link';
  mode: number;
  mtimeMs: number;
  /** File content, or link target, as latin1. */
  data: string;
}

/** Every entry below `dir`, read with Buffer names (the reference the copy is compared with). */
async function readTreeBytes(dir: string): Promise<Entry[]> {
  const entries: Entry[] = [];
  const walk = async (rel: Buffer): Promise<void> => {
    const full = Buffer.concat([Buffer.from(dir), rel]);
    for (const name of await readdir(full, { encoding: 'buffer' })) {
      const childRel = Buffer.concat([rel, Buffer.from('/'), name]);
      const child = Buffer.concat([Buffer.from(dir), childRel]);
      const s = await lstat(child);
      const base = { path: childRel.toString('latin1'), mode: s.mode & 0o7777, mtimeMs: s.mtimeMs };
      if (s.isSymbolicLink()) {
        const target = await readlink(child, { encoding: 'buffer' });
        entries.push({ ...base, kind: 'link', data: target.toString('latin1') });
      } else if (s.isDirectory()) {
        entries.push({ ...base, kind: 'dir', data: '' });
        await walk(childRel);
      } else entries.push({ ...base, kind: 'file', data: (await readFile(child)).toString('latin1') });
    }
  };
  await walk(Buffer.alloc(0));
  return entries.sort((a, b) => (a.path < b.path ? -1 : 1));
}

/** Every path below `dir` as bytes, children before their directory (so setting a time sticks). */
async function readTreePaths(dir: Buffer | string): Promise<Buffer[]> {
  const paths: Buffer[] = [];
  for (const name of await readdir(dir, { encoding: 'buffer' })) {
    const child = Buffer.concat([Buffer.from(dir), Buffer.from('/'), name]);
    if ((await lstat(child)).isDirectory()) paths.push(...(await readTreePaths(child)));
    paths.push(child);
  }
  return paths;
}

function withoutTimes(entries: readonly Entry[]): Omit<Entry, 'mtimeMs'>[] {
  return entries.map((e) => ({ path: e.path, kind: e.kind, mode: e.mode, data: e.data }));
}

const then = 978_307_200; // 2001-01-01, so that kept times cannot be mistaken for the copy's own

describe('copyTree', () => {
  let work: string;
  let from: string;

  beforeEach(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'kmf-copy-tree-'));
    from = path.join(work, 'from');
    await mkdir(from);
    await writeFile(bytePath(from, 'x\xff.txt'), 'odd\n', { mode: 0o755 });
    await mkdir(bytePath(from, 'd\xfe'));
    await writeFile(bytePath(from, 'd\xfe/\xffin'), 'inside\n');
    await symlink(Buffer.from('../x\xff.txt', 'latin1'), bytePath(from, 'd\xfe/link\xfd'));
    await symlink('nowhere', path.join(from, 'dangling'));
    await writeFile(path.join(from, 'caf\u00e9.c'), 'utf-8 name\n', { mode: 0o640 });
    await mkdir(path.join(from, 'empty'));
    await mkdir(path.join(from, 'read-only'));
    await writeFile(path.join(from, 'read-only', 'kept'), 'kept\n');
    await chmod(path.join(from, 'read-only'), 0o555);
    // Whole seconds: a time kept through utimes (a double of seconds) is exact only to a few 100 ns.
    for (const [i, p] of (await readTreePaths(from)).entries()) await lutimes(p, then + i, then + i);
    injected.code = undefined;
  });
  afterEach(async () => {
    await chmod(path.join(from, 'read-only'), 0o755).catch(() => undefined);
    await chmod(path.join(work, 'to', 'read-only'), 0o755).catch(() => undefined);
    await rm(work, { recursive: true, force: true });
  });

  it('copies names that are not UTF-8 byte for byte, with modes, links verbatim and times', async () => {
    const to = path.join(work, 'to');
    await copyTree(from, to, { preserveTimestamps: true });
    const copied = await readTreeBytes(to);
    expect(copied).toEqual(await readTreeBytes(from));
    expect(copied.map((e) => e.path)).toEqual(
      expect.arrayContaining(['/x\xff.txt', '/d\xfe', '/d\xfe/\xffin', '/d\xfe/link\xfd']),
    );
    expect(copied.find((e) => e.path === '/x\xff.txt')?.mode).toBe(0o755);
    expect(copied.find((e) => e.path === '/d\xfe/link\xfd')?.data).toBe('../x\xff.txt');
    expect(copied.find((e) => e.path === '/d\xfe')?.mtimeMs).toBeLessThan((then + 100) * 1000);
    expect(copied.find((e) => e.path === '/read-only')?.mode).toBe(0o555);
  });

  it('gives copies their own times unless asked to keep them', async () => {
    const to = path.join(work, 'to');
    await copyTree(from, to);
    const copied = await readTreeBytes(to);
    expect(withoutTimes(copied)).toEqual(withoutTimes(await readTreeBytes(from)));
    expect(copied.find((e) => e.path === '/x\xff.txt')?.mtimeMs).toBeGreaterThan(then * 1000);
  });

  it('merges into an existing directory, replacing files and links of the same name', async () => {
    const to = path.join(work, 'to');
    await mkdir(bytePath(to, 'd\xfe'), { recursive: true });
    await writeFile(path.join(to, 'extra'), 'stays\n');
    await writeFile(bytePath(to, 'x\xff.txt'), 'stale\n');
    // A link at a file's name must be replaced, never written through.
    await writeFile(path.join(work, 'outside'), 'untouched\n');
    await symlink('../../outside', bytePath(to, 'd\xfe/\xffin'));
    await symlink('stale', bytePath(to, 'd\xfe/link\xfd'));
    await copyTree(from, to);
    const copied = withoutTimes(await readTreeBytes(to));
    expect(copied.filter((e) => e.path !== '/extra')).toEqual(withoutTimes(await readTreeBytes(from)));
    expect(await readFile(path.join(to, 'extra'), 'utf8')).toBe('stays\n');
    expect(await readFile(path.join(work, 'outside'), 'utf8')).toBe('untouched\n');
  });

  it('ends a permission failure as a KmodError naming the path, bytes shown as \\xNN', async () => {
    injected.code = 'EACCES';
    injected.name = Buffer.from('\xffin', 'latin1');
    const to = path.join(work, 'to');
    const error: unknown = await copyTree(from, to).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KmodError);
    expect(error).toMatchObject({
      code: 'NOT_PERMITTED',
      exitCode: 1,
      message: `Cannot copy ${from}/d\\xfe/\\xffin to ${to}/d\\xfe/\\xffin: Permission denied`,
    });
  });

  it('ends a read-only destination as a KmodError', async () => {
    injected.code = 'EROFS';
    injected.name = Buffer.from('x\xff', 'latin1');
    const error: unknown = await copyTree(from, path.join(work, 'to')).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'NOT_PERMITTED' });
    expect((error as KmodError).message).toMatch(/x\\xff\.txt: Read-only file system$/);
  });

  it('refuses a special file (a FIFO) by name instead of crashing', async () => {
    execFileSync('mkfifo', [path.join(from, 'pipe')]);
    await expect(copyTree(from, path.join(work, 'to'))).rejects.toMatchObject({
      code: 'COMMAND_FAILED',
      message: `Cannot copy ${from}/pipe: not a file, directory or symbolic link`,
    });
  });

  it('refuses a source that is not a directory', async () => {
    const file = path.join(from, 'caf\u00e9.c');
    await expect(copyTree(file, path.join(work, 'to'))).rejects.toMatchObject({
      code: 'COMMAND_FAILED',
      message: `Cannot copy ${file}: not a directory`,
    });
  });
});

describe('describeBytePath', () => {
  it('shows UTF-8 as it is and other bytes as \\xNN', () => {
    expect(describeBytePath(Buffer.from('/usr/src/caf\u00e9'))).toBe('/usr/src/caf\u00e9');
    expect(describeBytePath(Buffer.from('/usr/src/x\xff.txt', 'latin1'))).toBe('/usr/src/x\\xff.txt');
  });
});
