import { closeSync, constants, openSync, read, writeSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runOrThrow } from '../exec/run.ts';

/**
 * A GNU make jobserver (make 4.3's pipe protocol) that every build's make joins: the descriptor a child
 * inherits as both its fd 3 and 4, and the MAKEFLAGS that make it a client. Every make below it, kbuild's
 * sub-makes included, then takes a token per extra job, so the jobs of all builds together stay within
 * the budget and a finishing build's cores go to the builds still compiling.
 */
export interface JobServer {
  fd: number;
  makeflags: string;
}

/** What a build is given to run under: $parallel_jobs, and the jobserver its make joins. */
export interface JobAccess {
  jobs: number;
  server: JobServer | undefined;
}

/** Concurrent tasks, each holding one job of the budget while it runs (its make's implicit job). */
export interface JobSlots extends JobAccess {
  /** Waits for a job for one more task; call the returned function when the task ends. */
  take: () => Promise<() => void>;
}

/** How often a task waiting for a job looks for a token the makes have given back. */
const pollMs = 20;

/**
 * A jobserver with `budget` jobs, for the length of `fn`. The first task runs on the implicit job every
 * make has; each further one holds a token from the pipe. A token a finishing task gives back goes to the
 * next waiting task first: a new build overlaps its serial steps (copy, patch, modpost, link, sign) with
 * the others' compiles, which one more compile job of a running build would not. A budget of 0 means no
 * limit, as `make -j` without a number.
 */
export async function withJobSlots<T>(budget: number, fn: (slots: JobSlots) => Promise<T>): Promise<T> {
  if (budget <= 0) return fn({ jobs: 0, server: undefined, take: () => Promise.resolve(() => undefined) });
  const pipe = await openJobPipe();
  const slots = planTokenSlots(
    budget,
    { fd: pipe.shared, makeflags: `-j${budget} --jobserver-auth=3,4` },
    pipe.own,
  );
  try {
    writeSync(pipe.shared, Buffer.alloc(budget - 1, '+'));
    return await fn(slots);
  } finally {
    await slots.stop();
    closeSync(pipe.shared);
    closeSync(pipe.own);
  }
}

/**
 * A FIFO opened twice and unlinked at once: a blocking read-write descriptor for the makes (make 4.3
 * expects blocking reads), and a non-blocking one of our own, so that looking for a token never ties up
 * one of libuv's few threads in a read that may wait for minutes.
 */
async function openJobPipe(): Promise<{ shared: number; own: number }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kmodforge-jobs-'));
  try {
    const fifo = path.join(dir, 'jobs');
    await runOrThrow('mkfifo', ['-m', '600', fifo]);
    const shared = openSync(fifo, 'r+');
    const own = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    return { shared, own };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function planTokenSlots(
  budget: number,
  server: JobServer,
  own: number,
): JobSlots & { stop: () => Promise<void> } {
  /** The jobs tasks hold: the implicit one, or a token read from the pipe. */
  interface Held {
    implicit: boolean;
  }
  const held = new Set<Held>();
  const waiting: ((release: () => void) => void)[] = [];
  let polling = false;
  let stopped = false;
  // A read of the pipe still in libuv's hands: the descriptors must outlive it.
  let reading: Promise<void> = Promise.resolve();

  const hold = (implicit: boolean): (() => void) => {
    const job: Held = { implicit };
    held.add(job);
    return () => {
      if (!held.delete(job)) return;
      const next = waiting.shift();
      if (next !== undefined) {
        next(hold(job.implicit));
        return;
      }
      if (!job.implicit) {
        writeSync(server.fd, '+');
        return;
      }
      // The implicit job is not in the pipe, where the makes look for more: a task still running on a
      // token takes the implicit job over, and its token goes back for the makes to use.
      const onToken = [...held].find((h) => !h.implicit);
      if (onToken === undefined) return;
      onToken.implicit = true;
      writeSync(server.fd, '+');
    };
  };

  const poll = (): void => {
    if (waiting.length === 0 || stopped) {
      polling = false;
      return;
    }
    let done: () => void = () => undefined;
    reading = new Promise((resolve) => (done = resolve));
    read(own, Buffer.alloc(1), 0, 1, null, (error, bytes) => {
      done();
      // Every task ended while the read was under way: the token is the pipe's to keep, and it closes.
      if (stopped) return;
      // EAGAIN: the makes hold every token; the pipe never reaches EOF while we hold it open.
      if (error === null && bytes === 1) {
        const next = waiting.shift();
        if (next === undefined) writeSync(server.fd, '+');
        else next(hold(false));
        setImmediate(poll);
      } else setTimeout(poll, pollMs);
    });
  };

  return {
    jobs: budget,
    server,
    stop: () => {
      stopped = true;
      return reading;
    },
    take: () => {
      if (waiting.length === 0 && ![...held].some((h) => h.implicit)) return Promise.resolve(hold(true));
      return new Promise((resolve) => {
        waiting.push(resolve);
        if (!polling) {
          polling = true;
          poll();
        }
      });
    },
  };
}

/**
 * The one job a task already holds, for the builds it starts itself (an autoinstall task's install):
 * they run one after the other on it, with the same jobserver, instead of taking jobs the outer
 * scheduler has already counted.
 */
export function heldSlot(access: JobAccess): JobSlots {
  let queue: Promise<void> = Promise.resolve();
  return {
    ...access,
    take: () => {
      let release: () => void = () => undefined;
      const turn = new Promise<void>((resolve) => (release = resolve));
      const previous = queue;
      queue = queue.then(() => turn);
      return previous.then(() => release);
    },
  };
}
