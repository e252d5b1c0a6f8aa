import { Writable } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import type { KmodEvent } from '../../../src/context.ts';
import type { Io, TerminalStream } from '../../../src/cli/io.ts';
import { createProgress, renderSummary, type ProgressClock } from '../../../src/cli/progress.ts';
import {
  emptyProgress,
  formatProgressFrame,
  formatSeconds,
  formatSummary,
  planProgress,
  type ProgressState,
  type SummaryEntry,
} from '../../../src/cli/progress-model.ts';
import { formatEvent } from '../../../src/cli/render.ts';

const M = { module: 'kmf-simple', version: '1.0', arch: 'x86_64' };
const K1 = '6.1.0-28-amd64';
const K2 = '6.1.0-28-rt-amd64';
const K3 = '6.1.0-28-cloud-amd64';

const start = (kernel: string, estimateSeconds: number | null = null): KmodEvent => ({
  type: 'build-start',
  ...M,
  kernel,
  estimateSeconds,
});
const step = (kernel: string, name: string): KmodEvent => ({ type: 'build-step', ...M, kernel, step: name });
const done = (kernel: string, ok: boolean, seconds: number, cached = false): KmodEvent => ({
  type: 'build-done',
  ...M,
  kernel,
  ok,
  seconds,
  cached,
});

/** Applies events, each at its time in milliseconds. */
function replay(events: readonly [number, KmodEvent][]): ProgressState {
  return events.reduce((state, [at, event]) => planProgress(state, event, at), emptyProgress);
}

const size = { columns: 120, rows: 24 };

describe('the live view of running builds', () => {
  it('shows each running build with its step, its elapsed time and last time’s', () => {
    const state = replay([
      [0, start(K1, 42.4)],
      [100, step(K1, 'copying source')],
      [500, start(K2)],
      [900, step(K1, 'make -j2 KERNELRELEASE=6.1.0-28-amd64')],
      [1_000, step(K2, 'applying patch fix.patch')],
    ]);
    expect(formatProgressFrame(state, 12_300, size).split('\n')).toEqual([
      'Building: 2 running',
      `  kmf-simple/1.0  ${K1}     12 s / ~42 s  make -j2 KERNELRELEASE=6.1.0-28-amd64`,
      `  kmf-simple/1.0  ${K2}          11 s  applying patch fix.patch`,
    ]);
  });

  it('drops finished builds, counts how they ended, and is empty when nothing runs', () => {
    const state = replay([
      [0, start(K1)],
      [0, start(K2)],
      [0, start(K3)],
      [2_000, done(K1, true, 2)],
      [3_000, done(K2, false, 3)],
    ]);
    expect(formatProgressFrame(state, 65_000, size).split('\n')).toEqual([
      'Building: 1 running, 1 built, 1 failed',
      `  kmf-simple/1.0  ${K3}  1 min 05 s  starting`,
    ]);
    const over = planProgress(state, done(K3, true, 4, true), 4_000);
    expect(over).toMatchObject({ running: [], built: 1, restored: 1, failed: 1 });
    expect(formatProgressFrame(over, 5_000, size)).toBe('');
  });

  it('fits the terminal: no line wraps, and rows that do not fit are counted', () => {
    const state = replay([
      [0, start(K1)],
      [
        0,
        step(
          K1,
          `make -j2 KERNELRELEASE=${K1} -C /lib/modules/${K1}/build M=/var/lib/dkms/kmf-simple/1.0/build`,
        ),
      ],
      [0, start(K2)],
      [0, start(K3)],
    ]);
    const lines = formatProgressFrame(state, 1_000, { columns: 60, rows: 4 }).split('\n');
    expect(lines).toEqual([
      'Building: 3 running',
      `  kmf-simple/1.0  ${K1}  1 s  make -j2 KERNELRELE…`,
      '  … and 2 more',
    ]);
    for (const line of lines) expect(line.length).toBeLessThan(60);
  });

  it('formats durations in seconds, then minutes', () => {
    expect([formatSeconds(0.4), formatSeconds(59.9), formatSeconds(60), formatSeconds(3_725)]).toEqual([
      '0 s',
      '59 s',
      '1 min 00 s',
      '62 min 05 s',
    ]);
  });
});

describe('the summary after the builds', () => {
  const entry = (kernel: string, result: string, seconds: number | undefined): SummaryEntry => ({
    ...M,
    kernel,
    result,
    seconds,
    failed: result.startsWith('failed'),
  });

  it('lists every result, with the time of each build that ran', () => {
    const text = formatSummary([
      entry(K1, 'built', 2.345),
      entry(K2, 'failed (exit 10)', 1.5),
      entry(K3, 'already built', undefined),
    ]);
    expect(text.split('\n')).toEqual([
      'MODULE          KERNEL                ARCH    RESULT            TIME',
      `kmf-simple/1.0  ${K1}        x86_64  built             2.3 s`,
      `kmf-simple/1.0  ${K2}     x86_64  failed (exit 10)  1.5 s`,
      `kmf-simple/1.0  ${K3}  x86_64  already built     -`,
      '3 in all, 1 failed',
      '',
    ]);
  });

  it('says nothing when no build ran: the command’s own lines already did', () => {
    expect(formatSummary([entry(K1, 'already built', undefined)])).toBe('');
  });
});

describe('build events without a terminal', () => {
  const events = [start(K1, 3), step(K1, 'copying source'), step(K1, 'make'), done(K1, true, 2.04)];
  const text = (verbose: boolean): string[] =>
    events.flatMap((e) => formatEvent({ quiet: false, verbose }, false, e)?.text ?? []);

  it('print one line per finished build', () => {
    expect(text(false)).toEqual([`Built kmf-simple/1.0 for ${K1} (x86_64) in 2.0 s\n`]);
    expect(formatEvent({ quiet: false, verbose: false }, false, done(K2, false, 7.25))?.text).toBe(
      `Failed kmf-simple/1.0 for ${K2} (x86_64) in 7.3 s\n`,
    );
    expect(formatEvent({ quiet: false, verbose: false }, false, done(K3, true, 0.2, true))?.text).toBe(
      `Restored kmf-simple/1.0 for ${K3} (x86_64) from the build cache in 0.2 s\n`,
    );
  });

  it('print the start and every step too with --verbose', () => {
    expect(text(true)).toEqual([
      `Building kmf-simple/1.0 for ${K1} (x86_64), last time 3.0 s\n`,
      `  kmf-simple/1.0 ${K1}: copying source\n`,
      `  kmf-simple/1.0 ${K1}: make\n`,
      `Built kmf-simple/1.0 for ${K1} (x86_64) in 2.0 s\n`,
    ]);
  });

  it('print nothing with -q', () => {
    expect(formatEvent({ quiet: true, verbose: true }, false, done(K1, true, 1))).toBeUndefined();
  });
});

/** An Io that records what is written, and a clock the test moves. */
function fakes(terminal?: TerminalStream): {
  io: Io;
  out: string[];
  err: string[];
  clock: ProgressClock & { ms: number };
} {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (t) => out.push(t), err: (t) => err.push(t), color: false, terminal };
  const clock = {
    ms: 0,
    now(): number {
      return this.ms;
    },
    date(): Date {
      return new Date(Date.UTC(2025, 0, 1) + this.ms);
    },
  };
  return { io, out, err, clock };
}

function fakeTerminal(): { stream: TerminalStream; text: () => string } {
  let written = '';
  const stream = Object.assign(
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        written += chunk.toString();
        callback();
      },
    }),
    { columns: 100, rows: 20 },
  );
  return { stream, text: () => written };
}

describe('createProgress', () => {
  const options = { json: false, quiet: false, verbose: false };

  it('without a terminal, writes one line per finished build and nothing else', async () => {
    const { io, out, clock } = fakes();
    const progress = createProgress(io, options, clock);
    for (const e of [
      start(K1),
      step(K1, 'make'),
      { type: 'warning', message: 'w' } as const,
      done(K1, true, 1),
    ])
      progress.emit(e);
    await progress.end();
    expect(out).toEqual([`Built kmf-simple/1.0 for ${K1} (x86_64) in 1.0 s\n`]);
  });

  it('with --json, writes every event as NDJSON with its build and its time', async () => {
    const { io, out, clock } = fakes();
    const progress = createProgress(io, { ...options, json: true }, clock);
    progress.emit(start(K1, 4));
    clock.ms = 1_500;
    progress.emit(step(K1, 'make'));
    await progress.end();
    expect(out.map((l) => JSON.parse(l) as unknown)).toEqual([
      { type: 'build-start', ...M, kernel: K1, estimateSeconds: 4, time: '2025-01-01T00:00:00.000Z' },
      { type: 'build-step', ...M, kernel: K1, step: 'make', time: '2025-01-01T00:00:01.500Z' },
    ]);
  });

  it('on a terminal, redraws the running builds, prints lines above them, and clears itself', async () => {
    const terminal = fakeTerminal();
    const { io, out, err, clock } = fakes(terminal.stream);
    const progress = createProgress(io, options, clock);
    progress.emit(start(K1, 20));
    progress.emit(start(K2));
    clock.ms = 3_000;
    progress.emit(step(K1, 'make -j2'));
    await vi.waitFor(() => {
      expect(terminal.text()).toContain(`kmf-simple/1.0  ${K1.padEnd(K2.length)}  3 s / ~20 s  make -j2`);
    });
    expect(terminal.text()).toContain('Building: 2 running');
    progress.emit({ type: 'warning', message: 'careful' });
    expect(err).toEqual(['Warning: careful\n']);
    progress.emit(done(K1, true, 3));
    expect(out).toEqual([`Built kmf-simple/1.0 for ${K1} (x86_64) in 3.0 s\n`]);
    const before = terminal.text().length;
    progress.emit(done(K2, false, 3));
    // The last build's end takes the view off the terminal: the cursor goes up and the lines are erased.
    expect(terminal.text().slice(before)).toContain('\u001B[2K');
    await progress.end();
  });

  it('prints the summary table on a terminal only', () => {
    const entries: SummaryEntry[] = [{ ...M, kernel: K1, result: 'built', seconds: 1, failed: false }];
    const plain = fakes();
    renderSummary(plain.io, options, entries);
    expect(plain.out).toEqual([]);
    const tty = fakes(fakeTerminal().stream);
    renderSummary(tty.io, options, entries);
    expect(tty.out.join('')).toContain(`kmf-simple/1.0  ${K1}  x86_64  built   1.0 s`);
    renderSummary(tty.io, { ...options, json: true }, entries);
    expect(tty.out).toHaveLength(1);
  });
});
