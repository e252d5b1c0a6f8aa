/**
 * Side by side: the real dkms 3.0.10 and kmodforge's `dkms` front end run the same command line, each on its
 * own throwaway root (test-root.ts), and what they print and their exit codes are compared.
 *
 * Both sides get the tree options (--dkmstree, --sourcetree, --installtree of their root) and, as dkms reads
 * them from its environment, mok_signing_key and mok_certificate inside their root. Neither has a --root:
 * like dkms, the front end finds headers at /lib/modules/<K>/build and reads /etc/dkms. Each side's root
 * path is replaced by `<root>` in what it prints, so the two can be compared byte for byte.
 *
 * The front end runs in-process (`runDkms` with a host whose `$0` is /usr/sbin/dkms, as dkms's is).
 */
import { execFile as execFileCallback } from 'node:child_process';
import os from 'node:os';
import { promisify } from 'node:util';
import { runDkms as runDkmsFrontEnd } from '../../src/cli/dkms/run-dkms.ts';
import { captureIo } from './cli.ts';
import {
  inRootModules,
  makeTestRoot,
  treeOptions,
  type TestRoot,
  type TestRootOptions,
} from './test-root.ts';

const execFile = promisify(execFileCallback);

export interface SideRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface SideBySide {
  dkms: TestRoot;
  kmodforge: TestRoot;
  /** Runs `dkms <args> <tree options>` on both roots; `{root}` in an argument becomes each side's root. */
  run: (...args: string[]) => Promise<{ dkms: SideRun; kmodforge: SideRun }>;
  /** As run, with `env` added to both sides' environment. */
  runWithEnv: (env: Env, ...args: string[]) => Promise<{ dkms: SideRun; kmodforge: SideRun }>;
  /** Runs a command line on the real dkms only (e.g. to set up a state both sides should then read). */
  runDkmsOnly: (...args: string[]) => Promise<SideRun>;
  /** Runs a command line on the front end only. */
  runKmodforgeOnly: (...args: string[]) => Promise<SideRun>;
  cleanup: () => Promise<void>;
}

function hasExitCode(error: unknown): error is Error & { code: number; stdout: string; stderr: string } {
  return error instanceof Error && typeof (error as { code?: unknown }).code === 'number';
}

export type Env = Record<string, string>;

function signingEnv(root: TestRoot): Env {
  return { mok_signing_key: root.signingKey, mok_certificate: root.signingCertificate };
}

/** `{root}` in an argument stands for the side's root. */
function withRoot(args: readonly string[], root: TestRoot): string[] {
  return args.map((a) => a.replaceAll('{root}', root.root));
}

/** What a side printed, with its root's path as `<root>`. */
export function normalizeSide(run: SideRun, root: string): SideRun {
  const clean = (text: string): string => text.replaceAll(root, '<root>');
  return { code: run.code, stdout: clean(run.stdout), stderr: clean(run.stderr) };
}

/** Runs the real dkms 3.0.10 on a root (in a mount namespace, see inRootModules), with LC_ALL=C and `env`. */
export async function runRealDkms(root: TestRoot, args: readonly string[], env: Env = {}): Promise<SideRun> {
  try {
    const { stdout, stderr } = await execFile(
      ...inRootModules(root, '/usr/sbin/dkms', [...withRoot(args, root), ...treeOptions(root)]),
      {
        env: { ...process.env, LC_ALL: 'C', ...signingEnv(root), ...env },
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    return normalizeSide({ code: 0, stdout, stderr }, root.root);
  } catch (error) {
    if (!hasExitCode(error)) throw error;
    return normalizeSide({ code: error.code, stdout: error.stdout, stderr: error.stderr }, root.root);
  }
}

/** Runs kmodforge's `dkms` front end in-process on a root, as runRealDkms runs dkms. */
export async function runFrontEnd(root: TestRoot, args: readonly string[], env: Env = {}): Promise<SideRun> {
  const run = await captureIo((io) =>
    runDkmsFrontEnd([...withRoot(args, root), ...treeOptions(root)], {
      io,
      program: '/usr/sbin/dkms',
      env: { LC_ALL: 'C', ...signingEnv(root), ...env },
      isRoot: process.getuid?.() === 0,
      runningKernel: os.release(),
      machine: os.machine(),
      // The real dkms is a child of this process: its $PPID, which --rpm_safe_upgrade's lock names.
      parentPid: process.pid,
    }),
  );
  return normalizeSide(run, root.root);
}

/** Two roots with the same kernels and the same signing key pair, one per side. */
export async function makeSideBySide(options: TestRootOptions = {}): Promise<SideBySide> {
  const dkms = await makeTestRoot({ prefix: 'kmf-sbs-dkms-', ...options });
  const kmodforge = await makeTestRoot({ prefix: 'kmf-sbs-kmf-', ...options });
  const runBoth = async (
    env: Env,
    args: readonly string[],
  ): Promise<{ dkms: SideRun; kmodforge: SideRun }> => {
    const [a, b] = await Promise.all([runRealDkms(dkms, args, env), runFrontEnd(kmodforge, args, env)]);
    return { dkms: a, kmodforge: b };
  };
  return {
    dkms,
    kmodforge,
    run: (...args) => runBoth({}, args),
    runWithEnv: (env, ...args) => runBoth(env, args),
    runDkmsOnly: (...args) => runRealDkms(dkms, args),
    runKmodforgeOnly: (...args) => runFrontEnd(kmodforge, args),
    cleanup: async () => {
      await Promise.all([dkms.cleanup(), kmodforge.cleanup()]);
    },
  };
}
