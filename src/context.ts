import os from 'node:os';
import { readKernel, type KernelInfo } from './kernel/discover.ts';
import type { ModuleConf } from './conf/module-conf.ts';
import { readKmodforgeConfig, type KmodforgeConfig } from './config/kmodforge-config.ts';
import { readDistro, type Distro } from './conf/distro.ts';
import { readFrameworkConf, type FrameworkConf } from './config/framework-conf.ts';
import { resolvePaths, underRoot, type PathOptions, type Paths } from './paths.ts';
import { planSigningSettings, type SigningSettings } from './sign/sign-settings.ts';

/** dkms.conf's scripts, by directive. */
export type ScriptKind =
  'POST_ADD' | 'PRE_BUILD' | 'POST_BUILD' | 'PRE_INSTALL' | 'POST_INSTALL' | 'POST_REMOVE';

/** A dkms.conf script that ran, or was skipped for not being executable: what each front end says of it. */
export interface ScriptEvent {
  type: 'script';
  kind: ScriptKind;
  module: string;
  version: string;
  /** The kernel it ran for; undefined for POST_ADD. */
  kernel: string | undefined;
  arch: string | undefined;
  /** As dkms.conf gives it (a path relative to the source or build directory, and its arguments). */
  script: string;
  /** The executable it names. */
  path: string;
  /** False when the file is not executable, and so was not run (dkms warns and goes on). */
  ran: boolean;
  /** The shell's status: its exit code, 128 + a signal's number; 0 when it did not run. */
  exitStatus: number;
  stdout: string;
  stderr: string;
  /** Both streams as they interleaved, as a terminal would have shown them. */
  output: string;
}

/** Progress and warnings from the core; the CLI renders them as text or NDJSON. */
export type KmodEvent =
  | { type: 'warning'; message: string }
  | { type: 'info'; message: string }
  | ScriptEvent
  | {
      type: 'build-start';
      module: string;
      version: string;
      kernel: string;
      arch: string;
      /** How long the last build of this module took (kmodforge.json), for a progress estimate; null for none. */
      estimateSeconds: number | null;
    }
  | { type: 'build-step'; module: string; version: string; kernel: string; arch: string; step: string }
  | {
      type: 'build-done';
      module: string;
      version: string;
      kernel: string;
      arch: string;
      ok: boolean;
      seconds: number;
      /** Restored from the build cache instead of compiled. */
      cached: boolean;
    }
  | {
      /** mkkernel: a step of a kernel's build and packaging starts. */
      type: 'kernel-step';
      /** The release the kernel will have. */
      release: string;
      step: string;
      /** Where the output of every step goes. */
      log: string;
    };

/** Everything a command needs from its surroundings; nothing below the CLI reads process.env or cwd. */
export interface Context {
  paths: Paths;
  config: KmodforgeConfig;
  /** /etc/dkms/framework.conf and framework.conf.d, read as data. */
  framework: FrameworkConf;
  signing: SigningSettings;
  distro: Distro;
  /** `uname -m` of this machine: the arch when neither -a nor the kernel release names one. */
  hostArch: string;
  /** `uname -r` of this machine. */
  runningKernel: string;
  /** Job budget shared by all builds of a command. */
  jobs: number;
  /** --no-cache: builds compile even when the build cache has their result (and store the new one). */
  noCache: boolean;
  /** The .config every kernel of this command is read with, instead of its own (dkms's --config). */
  kernelConfig: string | undefined;
  emit: (event: KmodEvent) => void;
  /**
   * Test seam for the crash-safety tests: SIGKILL this process right after the transaction step with this
   * index (from KMODFORGE_TEST_KILL_AFTER_OP), to prove that any interruption is recovered.
   */
  killAfterOp: number | undefined;
  /**
   * Kernels read during this command, by release: a command reads each kernel once, since nothing it
   * does changes a kernel's headers or .config (see readContextKernel).
   */
  kernels: Map<string, Promise<KernelInfo>>;
  /** dkms.conf of registered modules as read during this command (see readRegisteredConf). */
  confs: Map<string, { conf: ModuleConf; kernel: KernelInfo }>;
}

export interface ContextOptions extends PathOptions {
  jobs?: number | undefined;
  /** The -j of the caller's MAKEFLAGS: the budget when neither -j, the config nor framework.conf set one. */
  makeflagsJobs?: number | undefined;
  emit?: ((event: KmodEvent) => void) | undefined;
  killAfterOp?: number | undefined;
  requireSignature?: boolean | undefined;
  noCache?: boolean | undefined;
  kernelConfig?: string | undefined;
  /**
   * framework.conf settings that the files override: dkms takes these from its environment (the `dkms`
   * front end passes them), and framework.conf's assignments win over them.
   */
  frameworkDefaults?: FrameworkConf['values'] | undefined;
}

/**
 * Reads the system's configuration under the root: framework.conf first, since its trees apply where no
 * --dkmstree/--sourcetree/--installtree is given, then kmodforge's config.
 */
export async function createContext(options: ContextOptions = {}): Promise<Context> {
  const root = options.root ?? '/';
  const read = await readFrameworkConf(underRoot(root, '/etc/dkms'));
  const framework = { ...read, values: { ...options.frameworkDefaults, ...read.values } };
  const fw = framework.values;
  const paths = resolvePaths({
    ...options,
    dkmsTree: options.dkmsTree ?? (fw.dkms_tree === undefined ? undefined : underRoot(root, fw.dkms_tree)),
    sourceTree:
      options.sourceTree ?? (fw.source_tree === undefined ? undefined : underRoot(root, fw.source_tree)),
    installTree:
      options.installTree ?? (fw.install_tree === undefined ? undefined : underRoot(root, fw.install_tree)),
  });
  const config = await readKmodforgeConfig(paths);
  const parallelJobs =
    fw.parallel_jobs !== undefined && /^\d+$/.test(fw.parallel_jobs) ? Number(fw.parallel_jobs) : undefined;
  return {
    paths,
    config,
    framework,
    signing: planSigningSettings({
      root: paths.root,
      framework,
      config: config.signing,
      requireFromCli: options.requireSignature === true,
    }),
    distro: await readDistro(paths.root),
    hostArch: os.machine(),
    runningKernel: os.release(),
    jobs: options.jobs ?? config.jobs ?? parallelJobs ?? options.makeflagsJobs ?? os.availableParallelism(),
    noCache: options.noCache === true,
    kernelConfig: options.kernelConfig,
    emit: options.emit ?? (() => undefined),
    killAfterOp: options.killAfterOp,
    kernels: new Map(),
    confs: new Map(),
  };
}

/** A kernel as this command sees it: read once (headers, .config facts), then shared by every step. */
export function readContextKernel(ctx: Context, release: string): Promise<KernelInfo> {
  let kernel = ctx.kernels.get(release);
  if (kernel === undefined) {
    kernel = readKernel(ctx.paths, release, ctx.config.flavorRules, ctx.kernelConfig);
    ctx.kernels.set(release, kernel);
  }
  return kernel;
}
