/**
 * What a row measured, and its goals checked against the figures: each goal says what it compares, the
 * value measured, and whether it was met and by how much, so a missed goal reads as a number to work on.
 */
import { cores, median } from './harness.ts';

/** One side of a row: the tool (or `node -e 0`) and its median figures over the rounds. */
export interface Side {
  label: string;
  /** Median wall seconds. */
  wall: number;
  /** Median CPU seconds of the process tree, for builds. */
  cpu?: number | undefined;
}

export interface GoalResult {
  /** The goal as the table states it, e.g. `>= 30x dkms`. */
  goal: string;
  /** What was measured for it, e.g. `42.1x`. */
  measured: string;
  met: boolean;
  /** `12% to spare` when met, `by 40% (needs 1.40x less)` when missed. */
  margin: string;
}

export interface RowResult {
  id: string;
  title: string;
  rounds: number;
  baseline: Side;
  kmodforge: Side;
  goals: GoalResult[];
  /** What a reader must know to trust the figures (copies, failures, skipped kernels, ...). */
  notes: string[];
  /** An extra table (e.g. per package): a header and rows of cells. */
  details?: { header: string[]; rows: string[][] } | undefined;
}

/** A side from the rounds' walls and CPU seconds (medians taken separately). */
export function side(label: string, walls: readonly number[], cpus?: readonly number[]): Side {
  return {
    label,
    wall: median(walls),
    cpu: cpus === undefined || cpus.length === 0 ? undefined : median(cpus),
  };
}

/**
 * Wall time over the CPU limit (CPU-seconds / cores): 1.00 means every core was busy for the whole
 * build; more means waiting (serial steps, idle cores, or other load on the machine).
 */
export function limitShare(s: Side): number | undefined {
  return s.cpu === undefined || s.cpu === 0 ? undefined : s.wall / (s.cpu / cores);
}

/** `value` must be at least `limit` (e.g. a speed-up). */
export function atLeast(
  goal: string,
  value: number,
  limit: number,
  format: (x: number) => string,
): GoalResult {
  const met = value >= limit;
  const margin = met
    ? `${percent(value / limit - 1)} to spare`
    : `by ${percent(1 - value / limit)} (needs ${(limit / value).toFixed(2)}x more)`;
  return { goal, measured: format(value), met, margin };
}

/** `value` must be at most `limit` (e.g. a time, or a share of the CPU limit). */
export function atMost(
  goal: string,
  value: number,
  limit: number,
  format: (x: number) => string,
): GoalResult {
  const met = value <= limit;
  const margin = met
    ? `${percent(1 - value / limit)} to spare`
    : `by ${percent(value / limit - 1)} (needs ${(value / limit).toFixed(2)}x less)`;
  return { goal, measured: format(value), met, margin };
}

/** A goal that could not be measured (e.g. the build it is about failed): reported as missed. */
export function unmeasured(goal: string, why: string): GoalResult {
  return { goal, measured: '-', met: false, margin: why };
}

function percent(x: number): string {
  return `${(x * 100).toFixed(0)}%`;
}

export const times = (x: number): string => `${x.toFixed(2)}x`;

/** Seconds as people read them: ms below one second. */
export function seconds(x: number): string {
  if (Number.isNaN(x)) return '-';
  return x < 1 ? `${(x * 1000).toFixed(x < 0.1 ? 1 : 0)} ms` : `${x.toFixed(2)} s`;
}

/** baseline / kmodforge, worded so that it cannot be read the wrong way round. */
export function describeRatio(row: Pick<RowResult, 'baseline' | 'kmodforge'>): string {
  const r = row.baseline.wall / row.kmodforge.wall;
  if (Number.isNaN(r)) return '-';
  return r >= 1 ? `${r.toFixed(2)}x faster` : `${(1 / r).toFixed(2)}x slower`;
}

/**
 * The best ratio kmodforge could reach against dkms with the CPU-seconds it used: dkms's wall time over
 * kmodforge's CPU limit. When dkms already keeps the cores busy (make -j<cores> per kernel), a goal above
 * this cannot be met by scheduling alone, only by needing less CPU; the note says which it is.
 */
export function ceilingNote(baseline: Side, kmf: Side): string[] {
  if (baseline.cpu === undefined || kmf.cpu === undefined) return [];
  const best = baseline.wall / (kmf.cpu / cores);
  return [
    `at the CPU-seconds kmodforge used (${kmf.cpu.toFixed(1)}; dkms ${baseline.cpu.toFixed(1)}), ` +
      `the most it could be faster than dkms on ${cores} cores is ${best.toFixed(2)}x (dkms's wall time over kmodforge's CPU limit)`,
  ];
}
