import type { Context } from '../context.ts';
import { KmodError } from '../errors.ts';
import { runDepmod } from '../install/depmod.ts';
import { recoverJournal } from '../install/journal.ts';
import { exists } from '../state/fs.ts';
import { acquireStateLock, withStateLock } from '../state/lock.ts';
import { tree } from '../state/tree.ts';

/** Undoes (or completes) what a killed kmodforge left half done; call with the state lock held. */
export async function recoverState(ctx: Context): Promise<void> {
  const journal = await recoverJournal(ctx.paths);
  if (journal === undefined) return;
  ctx.emit({
    type: 'warning',
    message: `Recovered from an interrupted ${journal.command}: ${journal.state === 'committing' ? 'completed it' : 'rolled it back'}.`,
  });
  for (const kernel of journal.kernels) await runDepmod(ctx.paths, kernel, ctx.emit);
}

declare const stateLocked: unique symbol;

/**
 * A context whose holder has the state lock. Only {@link withMutation} makes one, and every function that
 * changes the state tree or the kernels' module trees requires one, so code that calls the commands
 * cannot change the state without the lock.
 */
export type LockedContext = Context & { readonly [stateLocked]: true };

/** Runs a mutating command under the state lock, after recovering from any interrupted one. */
export async function withMutation<T>(ctx: Context, fn: (locked: LockedContext) => Promise<T>): Promise<T> {
  return withStateLock(
    ctx.paths.dkmsTree,
    async () => {
      await recoverState(ctx);
      return fn(ctx as LockedContext);
    },
    () => {
      ctx.emit({
        type: 'info',
        message: `Waiting for another kmodforge to release ${ctx.paths.dkmsTree}/.kmodforge.lock ...`,
      });
    },
  );
}

/**
 * Recovers an interrupted transaction if no other kmodforge is running; read-only commands call this. A
 * transaction that cannot be recovered is a warning here, so that status still answers and says what to do.
 */
export async function recoverIfIdle(ctx: Context): Promise<void> {
  // Without a journal there is nothing to recover: no lock then, and no process (flock) for it.
  if (!(await exists(tree.journal(ctx.paths)))) return;
  const lock = await acquireStateLock(ctx.paths.dkmsTree, { wait: false }).catch(() => undefined);
  if (lock === undefined) return;
  try {
    await recoverState(ctx);
  } catch (error) {
    if (!(error instanceof KmodError)) throw error;
    ctx.emit({
      type: 'warning',
      message: `${error.message}${error.hint === undefined ? '' : ` (${error.hint})`}`,
    });
  } finally {
    await lock.release();
  }
}
