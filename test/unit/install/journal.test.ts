import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KmodError } from '../../../src/errors.ts';
import { parseJournal, recoverJournal, type Journal } from '../../../src/install/journal.ts';
import { resolvePaths, type Paths } from '../../../src/paths.ts';
import { tree } from '../../../src/state/tree.ts';

const journal = (ops: unknown[]): string =>
  JSON.stringify({ command: 'install', kernels: ['6.1.0-56-amd64'], ops, state: 'applying' });

describe('parseJournal', () => {
  it('reads what kmodforge writes', () => {
    const text = journal([{ op: 'place', source: '/a/b.ko', dest: '/c/d.ko', replaces: false }]);
    expect(parseJournal(text, '/j').ops).toHaveLength(1);
  });

  // Issue 8, defect 2: a journal is followed only where it names the plain absolute paths kmodforge writes.
  it.each([
    ['not JSON', '{'],
    ['an unknown op', journal([{ op: 'chmod', path: '/a' }])],
    ['a relative path', journal([{ op: 'delete', path: 'var/lib/dkms/m' }])],
    ['a path with ..', journal([{ op: 'move', from: '/var/lib/dkms/../../etc/passwd', to: '/x' }])],
    ['a missing field', journal([{ op: 'move', from: '/a' }])],
  ])('refuses %s', (_, text) => {
    expect(() => parseJournal(text, '/j')).toThrow('/j is not a kmodforge journal');
  });
});

describe('recoverJournal', () => {
  let dir: string;
  let paths: Paths;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kmf-journal-'));
    paths = resolvePaths({ root: dir });
    await mkdir(paths.dkmsTree, { recursive: true });
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('undoes an interrupted transaction and removes its journal', async () => {
    await writeFile(path.join(dir, 'moved'), 'x');
    const from = path.join(dir, 'orig');
    await writeFile(tree.journal(paths), journal([{ op: 'move', from, to: path.join(dir, 'moved') }]));
    const recovered: Journal | undefined = await recoverJournal(paths);
    expect(recovered?.command).toBe('install');
    expect(await readFile(from, 'utf8')).toBe('x');
    await expect(readFile(tree.journal(paths))).rejects.toThrow('ENOENT');
  });

  // Issue 8, defect 2: an undo that failed was a bug (exit 70) on every later command; it is now an error
  // that says what to check, and the journal stays for the user to remove.
  it('names the step it cannot undo and keeps the journal', async () => {
    await writeFile(path.join(dir, 'a-file'), '');
    await writeFile(path.join(dir, 'moved'), 'x');
    const text = journal([{ op: 'move', from: path.join(dir, 'a-file/orig'), to: path.join(dir, 'moved') }]);
    await writeFile(tree.journal(paths), text);
    const error = await recoverJournal(paths).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(KmodError);
    expect((error as KmodError).code).toBe('BROKEN_MODULE');
    expect((error as KmodError).message).toContain(
      `undoing the interrupted install failed at move ${dir}/a-file/orig -> ${dir}/moved`,
    );
    expect((error as KmodError).hint).toContain(`remove ${tree.journal(paths)}`);
    expect(await readFile(tree.journal(paths), 'utf8')).toBe(text);
  });
});
