import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  appendSkippedStep,
  appendStepEnd,
  appendStepStart,
  appendTimedStep,
} from '../../../src/build/build-log.ts';

describe('make.log steps', () => {
  let dir: string;
  let log: string;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kmf-log-'));
    log = path.join(dir, 'make.log');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const rule = '-'.repeat(64);

  it('keeps each step’s start, command, exit code and duration', async () => {
    await appendStepStart(log, 'stripping m', 'strip -g m.ko', new Date(Date.UTC(2025, 0, 1, 12, 0, 5)));
    await appendStepEnd(log, 0, 1_234);
    expect(await readFile(log, 'utf8')).toBe(
      [
        '',
        '# stripping m',
        '# started: 2025-01-01T12:00:05.000Z',
        '# command: strip -g m.ko',
        '# exit code: 0',
        '# elapsed time: 00:00:01 (1.234 s)',
        rule,
        '',
      ].join('\n'),
    );
  });

  it('logs a step done in-process, and one not done with the reason', async () => {
    await appendTimedStep(log, 'copying the source', 'cp -a /src /b', new Date(Date.UTC(2025, 0, 1)), 61_500);
    await appendSkippedStep(log, 'signing', 'kernel 6.1.0-x has no CONFIG_MODULE_SIG_HASH');
    expect(await readFile(log, 'utf8')).toBe(
      [
        '',
        '# copying the source',
        '# started: 2025-01-01T00:00:00.000Z',
        '# command: cp -a /src /b',
        '# exit code: 0',
        '# elapsed time: 00:01:02 (61.500 s)',
        rule,
        '',
        '# signing: not done (kernel 6.1.0-x has no CONFIG_MODULE_SIG_HASH)',
        rule,
        '',
      ].join('\n'),
    );
  });
});
