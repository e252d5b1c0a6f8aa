/** A group of rows that share their set-up (trees, builds), run together and selected by id. */
import type { BenchContext } from '../context.ts';
import type { RowResult } from '../result.ts';

export interface RowGroup {
  id: string;
  /** The rows it reports, by id and the wording; `--only` takes a group's or a row's id. */
  rows: readonly { id: string; title: string }[];
  /** Rounds when --rounds is not given. */
  defaultRounds: number;
  /** What it costs, for --list: the slow groups say so. */
  cost: string;
  run: (ctx: BenchContext) => Promise<RowResult[]>;
}
