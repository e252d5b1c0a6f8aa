/**
 * Test support: proof that an in-process CLI run starts no process at all. Every asynchronous way of
 * starting one in Node (spawn, execFile, exec, fork, and execa on top of them) goes through
 * ChildProcess.prototype.spawn, which is watched; PATH is an empty directory meanwhile, so that a
 * process started any other way would fail to find its program.
 */
import { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

interface Spawnable {
  spawn: (this: ChildProcess, options: { file?: string; args?: string[] }) => unknown;
}

/** Runs `fn` with no program on PATH and returns what it returned and the processes it tried to start. */
export async function withoutProcesses<T>(fn: () => Promise<T>): Promise<{ result: T; started: string[] }> {
  const prototype = ChildProcess.prototype as unknown as Spawnable;
  const original = prototype.spawn;
  const started: string[] = [];
  const emptyPath = await mkdtemp(path.join(os.tmpdir(), 'kmf-no-programs-'));
  const savedPath = process.env['PATH'];
  prototype.spawn = function (options) {
    started.push([options.file, ...(options.args ?? []).slice(1)].join(' '));
    return original.call(this, options);
  };
  process.env['PATH'] = emptyPath;
  try {
    return { result: await fn(), started };
  } finally {
    prototype.spawn = original;
    if (savedPath === undefined) delete process.env['PATH'];
    else process.env['PATH'] = savedPath;
    await rm(emptyPath, { recursive: true, force: true });
  }
}
