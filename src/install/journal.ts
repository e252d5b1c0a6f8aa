import { readFile, readdir, rename, rm, rmdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { KmodError, isErrno } from '../errors.ts';
import type { Paths } from '../paths.ts';
import { copyFileAtomic, fsyncDir, removeFile, symlinkAtomic, writeFileAtomic } from '../state/atomic.ts';
import { tree } from '../state/tree.ts';
import { exists, makeDirs } from '../state/fs.ts';

/**
 * One reversible step of a transaction on the module trees. Every destructive step is a rename to a fixed
 * name beside the file (see {@link asidePath}), so it can be undone until the transaction commits, and
 * every undo is safe whether or not the step ran: recovery after a crash undoes them all.
 */
export type Op =
  /** Move a file (an original module into original_module/, or back). */
  | { op: 'move'; from: string; to: string }
  /** Copy a file to a path where nothing is (an original module that stays in place, archived). */
  | { op: 'copy'; from: string; to: string }
  /** Create a new file with this text (an original module's .origin record). */
  | { op: 'write'; path: string; text: string }
  /** Copy a built module into place; `replaces`: a file is there now and is kept aside until commit. */
  | { op: 'place'; source: string; dest: string; replaces: boolean }
  /** Remove a file or directory (kept aside until commit). */
  | { op: 'delete'; path: string }
  /** Point a symlink at target; previous is its target before, if it existed. */
  | { op: 'link'; link: string; target: string; previous: string | undefined }
  /** Create a directory that does not exist yet, with its parents below `existingParent`. */
  | { op: 'mkdir'; path: string; existingParent: string };

export interface Journal {
  command: string;
  /** Kernels whose module trees the ops touch: depmod runs for them again after an undo. */
  kernels: string[];
  ops: Op[];
  state: 'applying' | 'committing';
}

export function asidePath(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.kmodforge-old`);
}

/** rename, or copy + unlink across filesystems (the kernel's module tree may be on another one). */
async function moveFile(from: string, to: string): Promise<void> {
  await makeDirs(path.dirname(to));
  try {
    await rename(from, to);
  } catch (error) {
    if (!isErrno(error, 'EXDEV')) throw error;
    await copyFileAtomic(from, to);
    await unlink(from);
  }
  await fsyncDir(path.dirname(to));
}

async function applyOp(op: Op): Promise<void> {
  switch (op.op) {
    case 'move':
      await moveFile(op.from, op.to);
      break;
    case 'write':
      await writeFileAtomic(op.path, op.text);
      break;
    case 'copy':
      await copyFileAtomic(op.from, op.to);
      break;
    case 'place':
      if (op.replaces) await rename(op.dest, asidePath(op.dest));
      await copyFileAtomic(op.source, op.dest);
      break;
    case 'delete':
      await rename(op.path, asidePath(op.path));
      await fsyncDir(path.dirname(op.path));
      break;
    case 'link':
      await symlinkAtomic(op.target, op.link);
      break;
    case 'mkdir':
      await makeDirs(op.path);
      break;
  }
}

async function removeStagingFiles(file: string): Promise<void> {
  const dir = path.dirname(file);
  const prefix = `.${path.basename(file)}.tmp-`;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const name of names) if (name.startsWith(prefix)) await rm(path.join(dir, name), { force: true });
}

async function undoOp(op: Op): Promise<void> {
  switch (op.op) {
    case 'move':
      if (await exists(op.from)) {
        // Not moved, or a cross-filesystem copy that never unlinked its source: drop any partial copy.
        if (await exists(op.to)) await rm(op.to, { force: true });
      } else if (await exists(op.to)) {
        await moveFile(op.to, op.from);
      }
      await removeStagingFiles(op.to);
      break;
    case 'write':
      await removeFile(op.path);
      await removeStagingFiles(op.path);
      break;
    case 'copy':
      await removeFile(op.to);
      await removeStagingFiles(op.to);
      break;
    case 'place': {
      const aside = asidePath(op.dest);
      if (op.replaces) {
        if (await exists(aside)) await rename(aside, op.dest);
      } else {
        await removeFile(op.dest);
      }
      await removeStagingFiles(op.dest);
      break;
    }
    case 'delete': {
      const aside = asidePath(op.path);
      if (await exists(aside)) await rename(aside, op.path);
      break;
    }
    case 'link':
      if (op.previous === undefined) await removeFile(op.link);
      else await symlinkAtomic(op.previous, op.link);
      await removeStagingFiles(op.link);
      break;
    case 'mkdir':
      await removeEmptyDirs(op.path, op.existingParent);
      break;
  }
}

/** Removes dir and then its parents while they are empty, up to (not including) `stop`. */
export async function removeEmptyDirs(dir: string, stop: string): Promise<void> {
  for (let current = dir; current.startsWith(`${stop}/`); current = path.dirname(current)) {
    try {
      await rmdir(current);
    } catch (error) {
      if (isErrno(error, 'ENOENT')) continue;
      if (isErrno(error, 'ENOTEMPTY', 'EEXIST', 'ENOTDIR', 'EBUSY')) return;
      throw error;
    }
  }
}

async function writeJournal(paths: Paths, journal: Journal): Promise<void> {
  await writeFileAtomic(tree.journal(paths), `${JSON.stringify(journal, null, 2)}\n`);
}

async function commit(paths: Paths, journal: Journal, killWhileCommitting = false): Promise<void> {
  await writeJournal(paths, { ...journal, state: 'committing' });
  if (killWhileCommitting) process.kill(process.pid, 'SIGKILL');
  for (const op of journal.ops) {
    if ((op.op === 'place' && op.replaces) || op.op === 'delete') {
      await rm(asidePath(op.op === 'place' ? op.dest : op.path), { recursive: true, force: true });
    }
  }
  await removeFile(tree.journal(paths));
}

/**
 * Undoes every op, newest first. An op that cannot be undone stops it with the journal kept, as a
 * KmodError that says what to check: running the same undo again cannot fix it, and a plain error here
 * would make every later command fail as a bug.
 */
async function undoAll(paths: Paths, journal: Journal, cause?: unknown): Promise<void> {
  for (const op of [...journal.ops].reverse()) {
    try {
      await undoOp(op);
    } catch (error) {
      const file = tree.journal(paths);
      const why = cause === undefined ? '' : `${journal.command} failed (${describeError(cause)}), and `;
      throw new KmodError(
        'BROKEN_MODULE',
        `${why}undoing the interrupted ${journal.command} failed at ${describeOp(op)}: ${describeError(error)}`,
        {
          hint: `check those files and the module trees of ${journal.kernels.join(', ') || 'its kernels'}, then remove ${file} and run the command again`,
          cause: error,
        },
      );
    }
  }
  await removeFile(tree.journal(paths));
}

function describeOp(op: Op): string {
  switch (op.op) {
    case 'move':
    case 'copy':
      return `${op.op} ${op.from} -> ${op.to}`;
    case 'place':
      return `place ${op.source} -> ${op.dest}`;
    case 'link':
      return `link ${op.link} -> ${op.target}`;
    case 'write':
    case 'delete':
    case 'mkdir':
      return `${op.op} ${op.path}`;
  }
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Applies ops as one transaction: the journal is written first, then the ops; `beforeCommit` (depmod)
 * runs last. Any failure undoes every op and rethrows; a crash leaves the journal for {@link recoverJournal}.
 */
export async function runTransaction(
  paths: Paths,
  journal: Omit<Journal, 'state'>,
  beforeCommit: () => Promise<void>,
  afterUndo: () => Promise<void>,
  killAfterOp?: number,
): Promise<void> {
  // Builds run in parallel, but there is one journal: transactions take turns.
  const turn = transactionQueue.then(() =>
    applyTransaction(paths, journal, { beforeCommit, afterUndo, killAfterOp }),
  );
  transactionQueue = turn.catch(() => undefined);
  return turn;
}

let transactionQueue: Promise<unknown> = Promise.resolve();

async function applyTransaction(
  paths: Paths,
  journal: Omit<Journal, 'state'>,
  steps: {
    beforeCommit: () => Promise<void>;
    afterUndo: () => Promise<void>;
    killAfterOp: number | undefined;
  },
): Promise<void> {
  const full: Journal = { ...journal, state: 'applying' };
  await writeJournal(paths, full);
  try {
    for (const [index, op] of full.ops.entries()) {
      await applyOp(op);
      if (index === steps.killAfterOp) process.kill(process.pid, 'SIGKILL');
    }
    await steps.beforeCommit();
  } catch (error) {
    await undoAll(paths, full, error);
    await steps.afterUndo();
    throw error;
  }
  await commit(paths, full, steps.killAfterOp === full.ops.length);
}

/**
 * Finishes what a killed command left: a transaction that was committing is completed, any other is
 * undone; returns it (with the kernels to run depmod for) or undefined when there was none. Call with
 * the state lock held.
 */
export async function recoverJournal(paths: Paths): Promise<Journal | undefined> {
  let text: string;
  try {
    text = await readFile(tree.journal(paths), 'utf8');
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return undefined;
    throw error;
  }
  const journal = parseJournal(text, tree.journal(paths));
  if (journal.state === 'committing') await commit(paths, journal);
  else await undoAll(paths, journal);
  return journal;
}

const opFields: Record<Op['op'], readonly string[]> = {
  move: ['from', 'to'],
  copy: ['from', 'to'],
  write: ['path', 'text'],
  place: ['source', 'dest'],
  delete: ['path'],
  link: ['link', 'target'],
  mkdir: ['path', 'existingParent'],
};

function isPlainAbsolute(file: string): boolean {
  return path.isAbsolute(file) && path.normalize(file) === file;
}

/** Reads a journal, refusing one that is not what kmodforge wrote rather than undoing something else. */
export function parseJournal(text: string, file: string): Journal {
  const invalid = (): KmodError =>
    new KmodError('BROKEN_MODULE', `${file} is not a kmodforge journal; not recovering from it`, {
      hint: 'an interrupted transaction cannot be undone automatically: check the module trees, then remove the file',
    });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalid();
  }
  const journal = value as Partial<Journal>;
  if (
    typeof journal !== 'object' ||
    !Array.isArray(journal.ops) ||
    !Array.isArray(journal.kernels) ||
    (journal.state !== 'applying' && journal.state !== 'committing')
  ) {
    throw invalid();
  }
  for (const op of journal.ops as unknown[]) {
    const fields = typeof op === 'object' && op !== null ? opFields[(op as { op: Op['op'] }).op] : undefined;
    if (fields === undefined || fields.some((f) => typeof (op as Record<string, unknown>)[f] !== 'string'))
      throw invalid();
    // kmodforge journals only normalized absolute paths; anything else was not written by it.
    const record = op as Record<string, string>;
    if (fields.some((f) => f !== 'text' && f !== 'target' && !isPlainAbsolute(record[f] ?? '')))
      throw invalid();
  }
  return journal as Journal;
}
