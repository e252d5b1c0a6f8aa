import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KmodError } from '../../../src/errors.ts';
import { runCommand } from '../../../src/exec/run.ts';
import { DetachedSleepers } from './leftover-processes.ts';

// Each sleeper lives for a minute, so a runner that waited for it fails by the test's 10 s time limit:
// this is a hang check, not a benchmark.
const hangCheck = { timeout: 10_000 };

let sleepers: DetachedSleepers;
let dir: string;
beforeEach(async () => {
  sleepers = await DetachedSleepers.create();
  dir = await mkdtemp(path.join(os.tmpdir(), 'kmf-run-'));
});
afterEach(async () => {
  await sleepers.killAll();
  await rm(dir, { recursive: true, force: true });
});

async function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
}

describe('runCommand with a process left behind in another session', hangCheck, () => {
  it('returns when the command exits, with its output and exit code', async () => {
    // The pauses make the order of arrival certain: two pipes written at once may be read in either order.
    const script = [
      'echo out1',
      'sleep 0.1',
      'echo err1 >&2',
      sleepers.start('61.301'),
      'sleep 0.1',
      'echo out2',
      'exit 3',
    ].join('\n');
    const result = await runCommand('bash', ['-c', script]);
    expect(result).toMatchObject({
      exitCode: 3,
      signal: undefined,
      timedOut: false,
      stdout: 'out1\nout2\n',
      stderr: 'err1\n',
      all: 'out1\nerr1\nout2\n',
    });
  });

  it('keeps everything the command wrote before it exited', async () => {
    const script = [sleepers.start('61.302'), "head -c 3000000 /dev/zero | tr '\\0' x", 'echo done >&2'].join(
      '\n',
    );
    const result = await runCommand('bash', ['-c', script]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe('x'.repeat(3_000_000));
    expect(result.stderr).toBe('done\n');
  });

  it('still streams the output to the log file', async () => {
    const logFile = path.join(dir, 'make.log');
    const script = ['echo to-log', sleepers.start('61.303'), 'sleep 0.1', 'echo to-log-err >&2'].join('\n');
    const result = await runCommand('bash', ['-c', script], { logFile });
    expect(result.exitCode).toBe(0);
    expect(await readFile(logFile, 'utf8')).toBe('to-log\nto-log-err\n');
  });

  it('holds the time limit for a command that never ends', async () => {
    const script = [sleepers.start('61.304'), 'echo looping', 'while :; do sleep 0.05; done'].join('\n');
    const result = await runCommand('bash', ['-c', script], { timeoutMs: 1000 });
    expect(result).toMatchObject({ timedOut: true, signal: 'SIGTERM', stdout: 'looping\n' });
  });

  it('holds the time limit for a command that ignores SIGTERM', async () => {
    const script = [sleepers.start('61.305'), "trap '' TERM", 'while :; do sleep 0.05; done'].join('\n');
    const result = await runCommand('bash', ['-c', script], { timeoutMs: 500 });
    expect(result).toMatchObject({ timedOut: true, signal: 'SIGKILL' });
  });
});

describe('runCommand', hangCheck, () => {
  it('keeps the output a slow log file holds back when the command exits', async () => {
    // A FIFO read at about 200 KB/s stands in for a log on a slow disk: the command's output piles up
    // behind it (in our stream and in its pipe) and the command exits long before the log has taken it,
    // while what it left behind keeps the pipes from ever ending.
    const logFile = path.join(dir, 'log.fifo');
    const copy = path.join(dir, 'copy');
    await runCommand('mkfifo', [logFile]);
    const slowCopy = 'while IFS= read -r -N 4096 c; do printf %s "$c"; sleep 0.02; done; printf %s "$c"';
    const reader = spawn('bash', ['-c', `exec <"$1" >"$2"; ${slowCopy}`, 'reader', logFile, copy], {
      stdio: 'ignore',
    });
    try {
      const script = [sleepers.start('61.306'), "head -c 300000 /dev/zero | tr '\\0' x"].join('\n');
      const result = await runCommand('bash', ['-c', script], { logFile });
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toHaveLength(300_000);
      await exited(reader);
      expect((await readFile(copy, 'utf8')).length).toBe(300_000);
    } finally {
      reader.kill('SIGKILL');
    }
  });

  it('does not report a time-out for a command that ended in time', async () => {
    const result = await runCommand('bash', ['-c', 'echo ok; exit 0'], { timeoutMs: 5000 });
    expect(result).toMatchObject({ exitCode: 0, timedOut: false, stdout: 'ok\n' });
  });

  it('throws COMMAND_FAILED for a command that cannot be started', async () => {
    const error: unknown = await runCommand(path.join(dir, 'no-such-command'), []).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KmodError);
    expect((error as KmodError).code).toBe('COMMAND_FAILED');
  });
});
