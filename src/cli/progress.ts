import type { createLogUpdate } from 'log-update';
import type { KmodEvent } from '../context.ts';
import type { GlobalOptions } from './global-options.ts';
import type { Io, TerminalStream } from './io.ts';
import {
  emptyProgress,
  formatProgressFrame,
  formatSummary,
  planProgress,
  type ProgressState,
  type SummaryEntry,
} from './progress-model.ts';
import { formatEvent, renderEvent } from './render.ts';

/** Where a command's events go: lines, NDJSON, or the live view of its builds. */
export interface Progress {
  emit: (event: KmodEvent) => void;
  /** Takes the live view off the terminal (and gives the cursor back); the command's own output follows. */
  end: () => Promise<void>;
}

/** The clocks the view reads: monotonic milliseconds for elapsed times, the date for NDJSON's `time`. */
export interface ProgressClock {
  now: () => number;
  date: () => Date;
}

const systemClock: ProgressClock = { now: () => performance.now(), date: () => new Date() };

/** The live view redraws at most this often: 10 times a second. */
const redrawMs = 100;

type Options = Pick<GlobalOptions, 'json' | 'quiet' | 'verbose'>;

/**
 * The renderer of a command's events. On a terminal (not --json, not -q): a live view of the running
 * builds, redrawn in place, with a line for each build that ends and every warning printed above it.
 * Otherwise each event is rendered as it comes: one line per finished build, or NDJSON.
 */
export function createProgress(io: Io, options: Options, clock: ProgressClock = systemClock): Progress {
  const terminal = io.terminal;
  if (terminal === undefined || options.json || options.quiet) {
    return {
      emit: (event) => {
        renderEvent(io, options, event, clock.date());
      },
      end: () => Promise.resolve(),
    };
  }
  return createLiveProgress(io, terminal, options, clock);
}

type LogUpdate = ReturnType<typeof createLogUpdate>;

function createLiveProgress(
  io: Io,
  terminal: TerminalStream,
  options: Options,
  clock: ProgressClock,
): Progress {
  let state: ProgressState = emptyProgress;
  let view: LogUpdate | undefined;
  let loading: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  /** What the terminal shows: a frame is written only when it changed (elapsed times tick once a second). */
  let shown = '';

  const clear = (): void => {
    view?.clear();
    shown = '';
  };
  const draw = (): void => {
    if (view === undefined) return;
    const frame = formatProgressFrame(state, clock.now(), {
      columns: terminal.columns ?? 80,
      rows: terminal.rows ?? 24,
    });
    if (frame === shown) return;
    if (frame === '') clear();
    else view(frame);
    shown = frame;
  };
  const stop = (): void => {
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
  };

  return {
    emit: (event) => {
      state = planProgress(state, event, clock.now());
      if (event.type === 'build-start') {
        // Loaded only once a build starts, so that other commands, and runs without a terminal, never
        // pay for it; the builds go on meanwhile. Without it there is no live view, only the lines.
        loading ??= import('log-update').then(
          (m) => {
            view = m.createLogUpdate(terminal);
            draw();
          },
          () => undefined,
        );
        if (timer === undefined) {
          timer = setInterval(draw, redrawMs);
          timer.unref();
        }
      }
      const line = formatEvent(options, io.color, event);
      if (line !== undefined) {
        clear();
        io[line.to](line.text);
      }
      if (state.running.length === 0) {
        stop();
        clear();
      } else if (line !== undefined) draw();
    },
    end: async () => {
      stop();
      await loading;
      clear();
      view?.done();
    },
  };
}

/** The summary table after a command's builds, on a terminal only: lines and NDJSON already said it all. */
export function renderSummary(io: Io, options: Options, entries: readonly SummaryEntry[]): void {
  if (io.terminal === undefined || options.json || options.quiet) return;
  const text = formatSummary(entries);
  if (text !== '') io.out(text);
}
