import { accessSync, constants, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createContext, type KmodEvent } from '../../context.ts';
import { KmodError, internalErrorExitCode } from '../../errors.ts';
import { asKmodError } from '../render.ts';
import type { Io } from '../io.ts';
import { dkmsActionTable, type DkmsPreflight } from './action-table.ts';
import { dkmsVersion } from './grammar.ts';
import { dkmsEnvironmentSettings, type DkmsInvocation } from './invocation.ts';
import { parseDkmsArgv, type ArgumentKind, type DkmsArgs } from './parse-dkms-argv.ts';
import { formatDkmsError, formatDkmsUsage } from './text/messages.ts';
import { isAdded, readBuilds } from '../../state/read-state.ts';
import { compareKernelReleases } from '../../version/kernel.ts';
import type { Paths } from '../../paths.ts';

/** Where the `dkms` front end runs: its streams, `$0`, its environment, and who runs it. */
export interface DkmsHost {
  io: Io;
  program: string;
  env: Readonly<Record<string, string | undefined>>;
  isRoot: boolean;
  runningKernel: string;
  machine: string;
  /**
   * `$PPID`, when dkms's parent is not this process's: a test that runs the front end in-process gives its
   * own pid, the parent of the dkms it runs beside it, so both find the same --rpm_safe_upgrade lock.
   */
  parentPid?: number | undefined;
}

/** What a bare argument names, as dkms tests it with `-f` and `-d`. */
function classifyArgument(arg: string): ArgumentKind {
  const isFile = (p: string): boolean => statSync(p, { throwIfNoEntry: false })?.isFile() === true;
  if (isFile(arg) && arg.endsWith('dkms.conf')) return 'dkms.conf';
  if (statSync(arg, { throwIfNoEntry: false })?.isDirectory() === true && isFile(path.join(arg, 'dkms.conf')))
    return 'source-dir';
  if (isFile(arg)) return 'file';
  return 'other';
}

const silent: Io = { out: () => undefined, err: () => undefined, color: false };

/**
 * Runs dkms 3.0.10's command line with kmodforge's commands and returns the exit code; never throws. What it
 * prints, to which stream, and its exit codes are dkms's.
 */
export async function runDkms(argv: readonly string[], host: DkmsHost): Promise<number> {
  const parsed = parseDkmsArgv(argv, classifyArgument);
  // The parser kept only the warnings printed before a -q.
  for (const warning of parsed.warnings) host.io.err(warning);
  const io = parsed.args.quiet ? silent : host.io;
  switch (parsed.kind) {
    case 'version':
      io.out(`dkms-${dkmsVersion}\n`);
      return 0;
    case 'unknown-option':
      io.err(formatDkmsError([` Unknown option: ${parsed.option}`]));
      io.out(formatDkmsUsage(host.program));
      return 2;
    case 'error':
      io.err(formatDkmsError(parsed.message));
      return parsed.exitCode;
    case 'request':
      break;
  }
  const action = parsed.args.action;
  const entry = action === undefined ? undefined : dkmsActionTable[action];
  if (action === undefined || entry === undefined) {
    io.err(formatDkmsError([`Unknown action specified: "${action ?? ''}"`]));
    io.out(formatDkmsUsage(host.program));
    return 0;
  }
  try {
    const events: KmodEvent[] = [];
    const ctx = await createContext({
      dkmsTree: parsed.args.dkmsTree,
      sourceTree: parsed.args.sourceTree,
      installTree: parsed.args.installTree,
      kernelSourceDir: parsed.args.kernelSourceDir,
      jobs: parseDkmsJobs(parsed.args.jobs ?? host.env['parallel_jobs']),
      frameworkDefaults: Object.fromEntries(
        dkmsEnvironmentSettings.flatMap((name) => {
          const value = host.env[name];
          return value === undefined ? [] : [[name, value]];
        }),
      ),
      kernelConfig:
        parsed.args.kernelConfig === undefined ? undefined : path.resolve(parsed.args.kernelConfig),
      emit: (event) => events.push(event),
    });
    const args = await applyDkmsDefaults(parsed.args, action, host, ctx.paths);
    const inv: DkmsInvocation = {
      args,
      program: host.program,
      io,
      ctx,
      events,
      isRoot: host.isRoot,
      env: host.env,
      parentPid: host.parentPid ?? process.ppid,
      parallelJobs: planDkmsParallelJobs(
        parsed.args.jobs ?? host.env['parallel_jobs'],
        os.availableParallelism(),
      ),
    };
    await checkPreflight(inv, action, entry.preflight);
    // remove_module's first step, before any kernel's uninstall.
    if (action === 'remove' && args.rpmSafeUpgrade) {
      const { cancelRemoveForRpmUpgrade } = await import('./rpm-safe-upgrade.ts');
      if (await cancelRemoveForRpmUpgrade(inv)) return 0;
    }
    const run = await entry.load();
    return await run(inv);
  } catch (error) {
    const kmodError = asKmodError(error);
    if (kmodError !== undefined) {
      io.err(formatDkmsError(kmodError.message.split('\n')));
      return kmodError.exitCode;
    }
    io.err(
      formatDkmsError([
        `internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      ]),
    );
    return internalErrorExitCode;
  }
}

/**
 * $parallel_jobs as dkms puts it in its make line: `${parallel_jobs:-$(nproc)}`, and 0 as none (`make -j`).
 * Pure.
 */
export function planDkmsParallelJobs(given: string | undefined, cpus: number): string {
  if (given === undefined || given === '') return String(cpus);
  return given === '0' ? '' : given;
}

/** dkms's -j: a count of jobs; 0 means no limit, which kmodforge's budget has no word for but "many". */
function parseDkmsJobs(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  return Number(value) === 0 ? undefined : Number(value);
}

/**
 * setup_kernels_arches: every action but status works on the running kernel and this machine's arch when
 * the command line names none; --all takes the kernels the module is built for; one arch applies to every
 * kernel.
 */
async function applyDkmsDefaults(
  parsed: DkmsArgs,
  action: string,
  host: DkmsHost,
  paths: Paths,
): Promise<DkmsArgs> {
  const args = { ...parsed, kernels: [...parsed.kernels], arches: [...parsed.arches] };
  if (action === 'status') return args;
  if (args.all) {
    // dkms sorts its `<state> M/V/K/A` lines with sort -V: the builds that are only built come first.
    const built = (await readBuilds(paths, args.module ?? '', args.moduleVersion ?? '')).sort(
      (a, b) =>
        Number(a.installed) - Number(b.installed) ||
        compareKernelReleases(`${a.kernel}/${a.arch}`, `${b.kernel}/${b.arch}`),
    );
    args.kernels = built.map((b) => b.kernel);
    args.arches = built.map((b) => b.arch);
  }
  if (args.kernels.length === 0 && !args.all) args.kernels = [host.runningKernel];
  if (args.arches.length === 0) args.arches = [host.machine];
  while (args.arches.length === 1 && args.kernels.length > args.arches.length)
    args.arches.push(args.arches[0] ?? host.machine);
  return args;
}

/** dkms's checks before an action, in its order, with its words and exit codes. */
async function checkPreflight(inv: DkmsInvocation, action: string, preflight: DkmsPreflight): Promise<void> {
  const { args, ctx } = inv;
  if (preflight.moduleArgs && ((args.module ?? '') === '' || (args.moduleVersion ?? '') === ''))
    throw new KmodError(
      'MISSING_ARGS',
      [
        'Arguments <module> and <module-version> are not specified.',
        `Usage: ${action} <module>/<module-version> or`,
        `       ${action} -m <module>/<module-version> or`,
        `       ${action} -m <module> -v <module-version>`,
      ].join('\n'),
    );
  if (preflight.added && !(await isAdded(ctx.paths, args.module ?? '', args.moduleVersion ?? '')))
    throw new KmodError(
      'NOT_ADDED',
      `The module/version combo: ${args.module ?? ''}-${args.moduleVersion ?? ''} is not located in the DKMS tree.`,
    );
  if (preflight.bansAll && !preflight.oneKernel && args.all)
    throw new KmodError('ALL_BANNED', `The action ${action} does not support the --all parameter.`);
  if (preflight.permission === 'root' && !inv.isRoot)
    throw new KmodError('NOT_PERMITTED', 'You must be root to use this command.');
  if (preflight.permission === 'rw' && !isWritable(ctx.paths.dkmsTree))
    throw new KmodError('NOT_PERMITTED', `No write access to DKMS tree at ${ctx.paths.dkmsTree}`);
  if (preflight.oneKernel) {
    if (args.kernels.length !== 1)
      throw new KmodError(
        'KERNEL_COUNT',
        `The action ${action} does not support multiple kernel version parameters on the command line.`,
      );
    if (args.all)
      throw new KmodError('ALL_BANNED', `The action ${action} does not support the --all parameter.`);
  }
}

function isWritable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
