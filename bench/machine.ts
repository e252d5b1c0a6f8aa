/** The machine a run was made on, for RESULTS.md: figures mean little without it. */
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { runTimed } from './harness.ts';

export interface Machine {
  cpu: string;
  cores: number;
  kernel: string;
  node: string;
  dkms: string;
  /** The 1-minute load average when the run started: other work on the machine skews every figure. */
  loadAtStart: number;
}

export async function describeMachine(): Promise<Machine> {
  const cpuinfo = await readFile('/proc/cpuinfo', 'utf8').catch(() => '');
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown';
  const dkms = await runTimed('dkms', ['--version']).catch(() => undefined);
  return {
    cpu: model,
    cores: os.availableParallelism(),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    dkms: dkms?.code === 0 ? dkms.stdout.trim() : 'not found',
    loadAtStart: os.loadavg()[0] ?? Number.NaN,
  };
}
