import type { KmodEvent } from '../context.ts';
import { formatTable } from './render.ts';

/** A build the live view shows: what it is, the step it is at, since when, and how long it took last time. */
export interface RunningBuild {
  module: string;
  version: string;
  kernel: string;
  arch: string;
  step: string;
  startedMs: number;
  estimateSeconds: number | null;
}

/** What the live view knows: the running builds in the order they started, and how many ended how. */
export interface ProgressState {
  running: readonly RunningBuild[];
  built: number;
  /** Restored from the build cache. */
  restored: number;
  failed: number;
}

export const emptyProgress: ProgressState = { running: [], built: 0, restored: 0, failed: 0 };

type BuildId = Pick<RunningBuild, 'module' | 'version' | 'kernel' | 'arch'>;

const sameBuild = (a: BuildId, b: BuildId): boolean =>
  a.module === b.module && a.version === b.version && a.kernel === b.kernel && a.arch === b.arch;

/** The progress after an event that happened at `nowMs` (a monotonic clock). Pure. */
export function planProgress(state: ProgressState, event: KmodEvent, nowMs: number): ProgressState {
  switch (event.type) {
    case 'build-start':
      return {
        ...state,
        running: [
          ...state.running.filter((r) => !sameBuild(r, event)),
          {
            module: event.module,
            version: event.version,
            kernel: event.kernel,
            arch: event.arch,
            step: 'starting',
            startedMs: nowMs,
            estimateSeconds: event.estimateSeconds,
          },
        ],
      };
    case 'build-step':
      return {
        ...state,
        running: state.running.map((r) => (sameBuild(r, event) ? { ...r, step: event.step } : r)),
      };
    case 'build-done':
      return {
        running: state.running.filter((r) => !sameBuild(r, event)),
        built: state.built + (event.ok && !event.cached ? 1 : 0),
        restored: state.restored + (event.ok && event.cached ? 1 : 0),
        failed: state.failed + (event.ok ? 0 : 1),
      };
    case 'info':
    case 'warning':
    case 'script':
    case 'kernel-step':
      return state;
  }
}

/** A duration as the live view shows it: "7 s", "2 min 05 s". */
export function formatSeconds(seconds: number): string {
  const whole = Math.max(0, Math.floor(seconds));
  if (whole < 60) return `${whole} s`;
  return `${Math.floor(whole / 60)} min ${String(whole % 60).padStart(2, '0')} s`;
}

/** A line cut to the terminal's width, so that no line of the view wraps and every redraw stays in place. */
function fitLine(line: string, columns: number): string {
  const width = Math.max(10, columns - 1);
  return line.length <= width ? line : `${line.slice(0, width - 1)}…`;
}

/**
 * The live view at `nowMs`: a line of counts, then one row per running build (module/version, kernel,
 * elapsed time against last time's, current step), at most as many as the terminal has rows. Empty when no
 * build runs, so that the view disappears between and after builds. Pure.
 */
export function formatProgressFrame(
  state: ProgressState,
  nowMs: number,
  size: { columns: number; rows: number },
): string {
  if (state.running.length === 0) return '';
  const counts = [
    `${state.running.length} running`,
    ...(state.built > 0 ? [`${state.built} built`] : []),
    ...(state.restored > 0 ? [`${state.restored} restored from the cache`] : []),
    ...(state.failed > 0 ? [`${state.failed} failed`] : []),
  ];
  const room = Math.max(1, size.rows - 2);
  const shown = state.running.length > room ? state.running.slice(0, room - 1) : state.running;
  const rows = shown.map((r) => {
    const elapsed = formatSeconds((nowMs - r.startedMs) / 1000);
    const time =
      r.estimateSeconds === null ? elapsed : `${elapsed} / ~${formatSeconds(Math.round(r.estimateSeconds))}`;
    return [`${r.module}/${r.version}`, r.kernel, time, r.step];
  });
  const width = (i: number): number => Math.max(...rows.map((row) => row[i]?.length ?? 0));
  const lines = [
    `Building: ${counts.join(', ')}`,
    ...rows.map(
      ([mv = '', kernel = '', time = '', step = '']) =>
        `  ${mv.padEnd(width(0))}  ${kernel.padEnd(width(1))}  ${time.padStart(width(2))}  ${step}`,
    ),
    ...(shown.length < state.running.length ? [`  … and ${state.running.length - shown.length} more`] : []),
  ];
  return lines.map((l) => fitLine(l, size.columns)).join('\n');
}

/** One row of the summary after the builds: a build (or install) and how it ended. */
export interface SummaryEntry {
  module: string;
  version: string;
  kernel: string;
  arch: string;
  /** How it ended, in words: "built", "failed (exit 10)", "already built", "installed", … */
  result: string;
  /** How long its build ran; undefined when none ran. */
  seconds: number | undefined;
  failed: boolean;
}

/**
 * The summary table of every build and its result, with a closing line of counts; empty when no build
 * ran (then the commands' own lines say everything). Pure.
 */
export function formatSummary(entries: readonly SummaryEntry[]): string {
  if (!entries.some((e) => e.seconds !== undefined)) return '';
  const table = formatTable([
    ['MODULE', 'KERNEL', 'ARCH', 'RESULT', 'TIME'],
    ...entries.map((e) => [
      `${e.module}/${e.version}`,
      e.kernel,
      e.arch,
      e.result,
      e.seconds === undefined ? '-' : `${e.seconds.toFixed(1)} s`,
    ]),
  ]);
  const failed = entries.filter((e) => e.failed).length;
  return `${table}${entries.length} in all, ${failed} failed\n`;
}
