import { parseMakeflagsJobs } from '../config/makeflags.ts';
import type { Command } from 'commander';
import { KmodError } from '../errors.ts';
import { createContext, type Context } from '../context.ts';
import { readGlobalOptions, type GlobalOptions } from './global-options.ts';
import type { Io } from './io.ts';
import { createProgress } from './progress.ts';

/** What a command's action gets: the parsed global options, a context, and where to write. */
export interface Invocation {
  options: GlobalOptions;
  ctx: Context;
  io: Io;
}

export type Action<A extends unknown[]> = (inv: Invocation, ...args: A) => Promise<number>;

/** Pending result of the command commander dispatched to; main awaits it. */
export interface Dispatch {
  result: Promise<number> | undefined;
}

/**
 * Wires a commander subcommand to an action: reads the global options, builds the context (so every command
 * honours --root and the tree options the same way), runs, and hands the exit code to main.
 */
export function defineAction<A extends unknown[]>(
  command: Command,
  io: Io,
  dispatch: Dispatch,
  action: Action<A>,
): Command {
  return command.action((...received: unknown[]) => {
    dispatch.result = (async () => {
      const options = readGlobalOptions(command.optsWithGlobals());
      // A hidden --all is one the command takes only to refuse, with dkms's exit 5 (see refuseAllOption).
      if (options.all && command.options.some((o) => o.long === '--all' && o.hidden))
        throw new KmodError(
          'ALL_BANNED',
          `The action ${command.name()} does not support the --all parameter.`,
        );
      const progress = createProgress(io, options);
      const ctx = await createContext({
        root: options.root,
        dkmsTree: options.dkmsTree,
        sourceTree: options.sourceTree,
        installTree: options.installTree,
        kernelSourceDir: options.kernelSourceDir,
        jobs: options.jobs,
        makeflagsJobs: parseMakeflagsJobs(process.env['MAKEFLAGS']),
        requireSignature: options.requireSignature,
        noCache: options.noCache,
        killAfterOp: parseKillAfterOp(process.env['KMODFORGE_TEST_KILL_AFTER_OP']),
        emit: progress.emit,
      });
      // commander passes the positional arguments first, then the options and the command itself.
      const args = received.slice(0, received.length - 2) as A;
      try {
        return await action({ options, ctx, io }, ...args);
      } finally {
        await progress.end();
      }
    })();
  });
}

function parseKillAfterOp(value: string | undefined): number | undefined {
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
}
