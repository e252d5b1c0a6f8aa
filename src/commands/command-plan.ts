import type { Op } from '../install/journal.ts';

/** What a mutating command would do, as a dry run shows it: its steps, its file changes, its depmods. */
export interface CommandPlan {
  command: string;
  /** What would happen besides the file changes of the transaction (builds, scripts, skips), in order. */
  steps: readonly string[];
  /** The transaction's changes, in order. */
  ops: readonly Op[];
  /** Kernels depmod would run for. */
  depmod: readonly string[];
}
