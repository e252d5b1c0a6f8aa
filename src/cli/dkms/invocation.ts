import type { Context, KmodEvent } from '../../context.ts';
import type { Io } from '../io.ts';
import type { DkmsArgs } from './parse-dkms-argv.ts';

/** What a dkms action gets: the command line read as dkms reads it, a context, and where to write. */
export interface DkmsInvocation {
  /** With dkms's defaults applied (setup_kernels_arches): the running kernel, the machine's arch. */
  args: DkmsArgs;
  /** `$0` as dkms would print it in its usage. */
  program: string;
  /** Silent under -q, as dkms sends both streams to /dev/null. */
  io: Io;
  ctx: Context;
  /** Events the core emitted so far; each action turns the ones it cares for into dkms's words. */
  events: KmodEvent[];
  /** `id -u` is 0. */
  isRoot: boolean;
  /** dkms's environment, which the commands it runs itself (rpm) inherit, and where TMPDIR comes from. */
  env: Readonly<Record<string, string | undefined>>;
  /** `$PPID`: the process that ran dkms, whose own parent names --rpm_safe_upgrade's lock. */
  parentPid: number;
  /** dkms's $parallel_jobs as its make line shows it: -j, else the environment's, else nproc; 0 is none. */
  parallelJobs: string;
}

/** The framework.conf settings dkms 3.0.10 takes from its environment when framework.conf leaves them unset. */
export const dkmsEnvironmentSettings = ['sign_file', 'mok_signing_key', 'mok_certificate'] as const;

/** The environment of a command dkms runs itself: dkms's own, inherited whole. */
export function dkmsChildEnv(env: DkmsInvocation['env']): Record<string, string> {
  return Object.fromEntries(Object.entries(env).flatMap(([k, v]) => (v === undefined ? [] : [[k, v]])));
}
