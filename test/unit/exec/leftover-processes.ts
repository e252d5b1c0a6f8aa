import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { quoteShell } from '../../../src/exec/quote.ts';

/**
 * Processes that a test's commands start in a session of their own (setsid), so nothing the code under
 * test does can end them. Each writes its pid to a file here, and cleanup kills exactly those pids, after
 * checking they still run the test's unique `sleep` (a pid can be reused once its process is gone).
 */
export class DetachedSleepers {
  private readonly dir: string;

  private constructor(dir: string) {
    this.dir = dir;
  }

  static async create(): Promise<DetachedSleepers> {
    return new DetachedSleepers(await mkdtemp(path.join(os.tmpdir(), 'kmf-sleepers-')));
  }

  /**
   * Shell text that starts `sleep <seconds>` in a new session holding the shell's stdout and stderr, and
   * waits until it has recorded its pid (so the shell cannot end first and take it down with its group).
   * Give each sleeper a duration no other test uses.
   */
  start(seconds: string): string {
    const pidFile = quoteShell(path.join(this.dir, `${seconds}.pid`));
    const sleeper = `echo $$ >"$1.part" && mv "$1.part" "$1" && exec sleep ${seconds}`;
    return [
      `setsid bash -c ${quoteShell(sleeper)} sleeper ${pidFile} &`,
      `until [ -s ${pidFile} ]; do sleep 0.01; done`,
    ].join('\n');
  }

  async killAll(): Promise<void> {
    for (const name of await readdir(this.dir)) {
      if (!name.endsWith('.pid')) continue;
      const seconds = name.slice(0, -'.pid'.length);
      const pid = Number((await readFile(path.join(this.dir, name), 'utf8')).trim());
      if ((await commandLine(pid)) === `sleep\0${seconds}\0`) process.kill(pid, 'SIGKILL');
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}

async function commandLine(pid: number): Promise<string | undefined> {
  try {
    return await readFile(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return undefined;
  }
}
