import os from 'node:os';
import { readKmodforgeConfig, type KmodforgeConfig } from './config/kmodforge-config.ts';
import { readDistro, type Distro } from './conf/distro.ts';
import { resolvePaths, type PathOptions, type Paths } from './paths.ts';

/** Progress and warnings from the core; the CLI renders them as text or NDJSON. */
export type KmodEvent =
  | { type: 'warning'; message: string }
  | { type: 'info'; message: string }
  | { type: 'build-start'; module: string; version: string; kernel: string; arch: string }
  | { type: 'build-step'; module: string; version: string; kernel: string; arch: string; step: string }
  | {
      type: 'build-done';
      module: string;
      version: string;
      kernel: string;
      arch: string;
      ok: boolean;
      seconds: number;
    };

/** Everything a command needs from its surroundings; nothing below the CLI reads process.env or cwd. */
export interface Context {
  paths: Paths;
  config: KmodforgeConfig;
  distro: Distro;
  /** `uname -m` of this machine: the arch when neither -a nor the kernel release names one. */
  hostArch: string;
  /** `uname -r` of this machine. */
  runningKernel: string;
  /** Job budget shared by all builds of a command. */
  jobs: number;
  emit: (event: KmodEvent) => void;
  /**
   * Test seam for the crash-safety tests: SIGKILL this process right after the transaction step with this
   * index (from KMODFORGE_TEST_KILL_AFTER_OP), to prove that any interruption is recovered.
   */
  killAfterOp: number | undefined;
}

export interface ContextOptions extends PathOptions {
  jobs?: number | undefined;
  emit?: ((event: KmodEvent) => void) | undefined;
  killAfterOp?: number | undefined;
}

export async function createContext(options: ContextOptions = {}): Promise<Context> {
  const paths = resolvePaths(options);
  const config = await readKmodforgeConfig(paths);
  return {
    paths,
    config,
    distro: await readDistro(paths.root),
    hostArch: os.machine(),
    runningKernel: os.release(),
    jobs: options.jobs ?? config.jobs ?? os.availableParallelism(),
    emit: options.emit ?? (() => undefined),
    killAfterOp: options.killAfterOp,
  };
}
