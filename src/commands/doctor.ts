import { readFile, readlink, stat } from 'node:fs/promises';
import path from 'node:path';
import { planKernelCc } from '../build/make-command.ts';
import { expandKernelVariables } from '../config/framework-conf.ts';
import { readContextKernel, type Context } from '../context.ts';
import { KmodError, isErrno } from '../errors.ts';
import { runCommand } from '../exec/run.ts';
import { findOnPath, isOnPath } from '../exec/which.ts';
import { parseJournal } from '../install/journal.ts';
import { discoverKernels, type KernelInfo } from '../kernel/discover.ts';
import { planEnrollCommand } from '../sign/mok.ts';
import { exists, isDir, listDir, readOptional } from '../state/fs.ts';
import { lockFileName } from '../state/lock.ts';
import { readModuleStates } from '../state/read-state.ts';
import { tree } from '../state/tree.ts';
import {
  parseProcLocks,
  parseSecureBootVariable,
  planBuildCompiler,
  planDoctorFindings,
  planLockHolders,
  type CompilerFacts,
  type DkmsUpgradeLock,
  type DoctorFacts,
  type DoctorFinding,
  type DoctorKernel,
  type LockFacts,
  type LockHolder,
  type SecureBootFacts,
} from './doctor-checks.ts';
import type {
  JournalFacts,
  KernelLinkFacts,
  LeftoverDir,
  ModuleFacts,
  StateFacts,
  VersionFacts,
} from './doctor-state-checks.ts';
import { verifyStatus } from './status.ts';

export type { DoctorFinding } from './doctor-checks.ts';

/** The EFI global variable GUID, under which the firmware keeps SecureBoot. */
const efiGlobalGuid = '8be4df61-93ca-11d2-aa0d-e0f98c0e2c51';

/** How long `<cc> --version`, `mokutil --test-key` or `ps` may take. */
const probeTimeoutMs = 30_000;

/** A file's bytes, or undefined when it is not there. */
async function readBytes(file: string): Promise<Buffer | undefined> {
  try {
    return await readFile(file);
  } catch (error) {
    if (isErrno(error, 'ENOENT', 'ENOTDIR')) return undefined;
    throw error;
  }
}

/** A link's target as written, or undefined when the path is not a link. */
async function readLinkTarget(file: string): Promise<string | undefined> {
  try {
    return await readlink(file);
  } catch (error) {
    if (isErrno(error, 'ENOENT', 'EINVAL', 'ENOTDIR')) return undefined;
    throw error;
  }
}

/** Whether the kernel's own modules are there (its image is installed), as its package leaves them. */
async function readHasModules(kernel: KernelInfo): Promise<boolean> {
  const marks = await Promise.all([
    isDir(path.join(kernel.modulesDir, 'kernel')),
    exists(path.join(kernel.modulesDir, 'modules.order')),
    exists(path.join(kernel.modulesDir, 'modules.builtin')),
  ]);
  return marks.some(Boolean);
}

/**
 * The kernels of the root, and the running one when the root is this machine's: `uname -r` names this
 * machine's kernel, which a staged root need not have.
 */
async function readKernels(ctx: Context): Promise<DoctorKernel[]> {
  const kernels = await discoverKernels(ctx.paths, ctx.config.flavorRules);
  const checkRunning = ctx.paths.root === '/';
  if (checkRunning && !kernels.some((k) => k.release === ctx.runningKernel))
    kernels.push(await readContextKernel(ctx, ctx.runningKernel));
  return Promise.all(
    kernels.map(async (kernel) => ({
      kernel,
      running: checkRunning && kernel.release === ctx.runningKernel,
      hasModules: await readHasModules(kernel),
    })),
  );
}

async function readCompiler(command: string): Promise<CompilerFacts> {
  const file = findOnPath(command);
  if (file === undefined) return { command, file, versionLine: undefined };
  const result = await runCommand(file, ['--version'], { timeoutMs: probeTimeoutMs });
  const line = result.exitCode === 0 ? result.stdout.split('\n')[0]?.trim() : undefined;
  return { command, file, versionLine: line === '' ? undefined : line };
}

/** The compiler each kernel's builds would run, each asked for its version once. */
async function readCompilers(kernels: readonly DoctorKernel[]): Promise<Map<string, CompilerFacts>> {
  const byCommand = new Map<string, Promise<CompilerFacts>>();
  const result = new Map<string, CompilerFacts>();
  await Promise.all(
    kernels
      .filter(({ kernel }) => kernel.headersDir !== undefined)
      .map(async ({ kernel }) => {
        const cc = planKernelCc(kernel.config);
        const command = planBuildCompiler(kernel, cc !== undefined && isOnPath(cc));
        let facts = byCommand.get(command);
        if (facts === undefined) {
          facts = readCompiler(command);
          byCommand.set(command, facts);
        }
        result.set(kernel.release, await facts);
      }),
  );
  return result;
}

async function readSecureBoot(ctx: Context): Promise<SecureBootFacts> {
  const root = ctx.paths.root;
  const variableFile = path.join(root, 'sys/firmware/efi/efivars', `SecureBoot-${efiGlobalGuid}`);
  const certificate = expandKernelVariables(ctx.signing.certificate, ctx.runningKernel, ctx.hostArch);
  const [efi, variable, certificateExists] = await Promise.all([
    isDir(path.join(root, 'sys/firmware/efi')),
    readBytes(variableFile),
    exists(certificate),
  ]);
  const facts: SecureBootFacts = {
    efi,
    variableFile,
    variable,
    certificate,
    certificateExists,
    enrollCommand: planEnrollCommand(certificate),
    enrollment: undefined,
  };
  if (!efi || variable === undefined || parseSecureBootVariable(variable) !== 'on' || !certificateExists)
    return facts;
  if (root !== '/')
    return {
      ...facts,
      enrollment: { kind: 'unknown', reason: `mokutil reads this machine's firmware, not ${root}'s` },
    };
  const mokutil = findOnPath('mokutil');
  if (mokutil === undefined)
    return { ...facts, enrollment: { kind: 'unknown', reason: 'mokutil is not installed' } };
  const result = await runCommand(mokutil, ['--test-key', certificate], { timeoutMs: probeTimeoutMs });
  return { ...facts, enrollment: { kind: 'mokutil', output: result.all } };
}

/** The directories in dir whose names do not start with a dot. */
async function listSubdirs(dir: string): Promise<string[]> {
  const names = (await listDir(dir)).filter((n) => !n.startsWith('.')).sort();
  const dirs = await Promise.all(names.map(async (n) => ((await isDir(path.join(dir, n))) ? n : undefined)));
  return dirs.filter((n) => n !== undefined);
}

async function readLeftover(module: string, version: string, dir: string): Promise<LeftoverDir> {
  const log = path.join(dir, 'make.log');
  return { module, version, dir, log: (await exists(log)) ? log : undefined };
}

async function readJournalFacts(ctx: Context): Promise<JournalFacts> {
  const file = tree.journal(ctx.paths);
  const text = await readOptional(file);
  if (text === undefined) return { kind: 'none' };
  try {
    const journal = parseJournal(text, file);
    return {
      kind: 'readable',
      file,
      command: journal.command,
      state: journal.state,
      kernels: journal.kernels,
    };
  } catch (error) {
    if (!(error instanceof KmodError)) throw error;
    return { kind: 'unreadable', file, message: error.message, hint: error.hint };
  }
}

async function readStateFacts(ctx: Context): Promise<StateFacts> {
  const { paths } = ctx;
  const versions: VersionFacts[] = await Promise.all(
    (await readModuleStates(paths)).map(async (state) => {
      const sourceLink = tree.sourceLink(paths, state.module, state.version);
      return {
        module: state.module,
        version: state.version,
        broken: state.broken,
        sourceLink,
        sourceTarget: await readLinkTarget(sourceLink),
        hasConf: await exists(path.join(sourceLink, 'dkms.conf')),
        builds: state.builds,
      };
    }),
  );
  const kernelLinks: KernelLinkFacts[] = [];
  const workDirs: LeftoverDir[] = [];
  const sharedBuilds: LeftoverDir[] = [];
  for (const module of await listSubdirs(paths.dkmsTree)) {
    const moduleDir = tree.module(paths, module);
    for (const name of (await listDir(moduleDir)).sort()) {
      const m = /^kernel-(.+)-([^-]+)$/.exec(name);
      const link = path.join(moduleDir, name);
      const target = m === null ? undefined : await readLinkTarget(link);
      if (m === null || target === undefined) continue;
      kernelLinks.push({
        module,
        link,
        kernel: m[1] ?? '',
        arch: m[2] ?? '',
        target,
        built: await isDir(path.join(path.resolve(moduleDir, target), 'module')),
      });
    }
    const links = new Set(kernelLinks.filter((l) => l.module === module).map((l) => path.basename(l.link)));
    for (const version of await listSubdirs(moduleDir)) {
      // A kernel-K-A link reads as a directory too; it is a build, not a version.
      if (version === 'original_module' || links.has(version)) continue;
      const work = path.join(tree.version(paths, module, version), '.kmodforge-build');
      for (const name of await listSubdirs(work))
        workDirs.push(await readLeftover(module, version, path.join(work, name)));
      const shared = tree.sharedBuild(paths, module, version);
      if ((await listDir(shared)).length > 0) sharedBuilds.push(await readLeftover(module, version, shared));
    }
  }
  return {
    dkmsTree: paths.dkmsTree,
    treeExists: await isDir(paths.dkmsTree),
    versions,
    kernelLinks,
    workDirs,
    sharedBuilds,
    journal: await readJournalFacts(ctx),
  };
}

async function readModuleFacts(ctx: Context): Promise<ModuleFacts> {
  const { records, findings } = await verifyStatus(ctx, { targets: [] });
  return { checked: records.filter((r) => r.state === 'installed').length, findings };
}

/** A process's command line from /proc, or undefined when it has gone. */
async function readCommandLine(pid: number): Promise<string | undefined> {
  const text = await readOptional(`/proc/${pid}/cmdline`);
  return text === undefined || text === '' ? undefined : text.split('\0').filter(Boolean).join(' ');
}

/** When the process started, as `ps -o lstart` prints it (what dkms records); undefined when it is gone. */
async function readProcessStart(pid: number): Promise<string | undefined> {
  if (!(await exists(`/proc/${pid}`))) return undefined;
  const result = await runCommand('ps', ['-o', 'lstart=', '-p', String(pid)], { timeoutMs: probeTimeoutMs });
  const start = result.stdout.trim();
  return result.exitCode === 0 && start !== '' ? start : undefined;
}

async function readDkmsUpgradeLocks(ctx: Context): Promise<DkmsUpgradeLock[]> {
  // dkms writes them to ${TMPDIR:-/tmp}; the root's /tmp is where a dkms run on that root puts them.
  const dir = path.join(ctx.paths.root, 'tmp');
  const locks = await Promise.all(
    (await listDir(dir)).sort().map(async (name): Promise<DkmsUpgradeLock | undefined> => {
      const m = /^dkms_rpm_safe_upgrade_lock\.(\d+)\./.exec(name);
      if (m === null) return undefined;
      const file = path.join(dir, name);
      const lines = ((await readOptional(file)) ?? '').split('\n').filter((l) => l !== '');
      const pid = Number(m[1]);
      return {
        file,
        pid,
        module: lines[0] ?? '',
        recordedStart: lines.at(-1) ?? '',
        liveStart: await readProcessStart(pid),
      };
    }),
  );
  return locks.filter((l) => l !== undefined);
}

/**
 * Who holds the state lock: /proc/locks lists every flock(2) with its holder's pid and the file's device
 * and inode. /proc is this machine's whatever the root: the processes that hold a lock are.
 */
async function readLockFacts(ctx: Context): Promise<LockFacts> {
  const file = path.join(ctx.paths.dkmsTree, lockFileName);
  let holders: LockHolder[] = [];
  const info = await stat(file, { bigint: true }).catch((error: unknown) => {
    if (isErrno(error, 'ENOENT', 'ENOTDIR')) return undefined;
    throw error;
  });
  if (info !== undefined) {
    const locks = parseProcLocks((await readOptional('/proc/locks')) ?? '');
    holders = await Promise.all(
      planLockHolders(locks, info.dev, info.ino).map(async (pid) => ({
        pid,
        command: await readCommandLine(pid),
      })),
    );
  }
  return { file, holders, dkmsLocks: await readDkmsUpgradeLocks(ctx) };
}

/** Everything doctor judges, each read once. Reads only: it recovers no journal and takes no lock. */
export async function readDoctorFacts(ctx: Context): Promise<DoctorFacts> {
  const { root, installTree } = ctx.paths;
  const kernels = await readKernels(ctx);
  const [rootExists, compilerOf, secureBoot, state, modules, lock] = await Promise.all([
    isDir(root),
    readCompilers(kernels),
    readSecureBoot(ctx),
    readStateFacts(ctx),
    readModuleFacts(ctx),
    readLockFacts(ctx),
  ]);
  return {
    root: { dir: root, exists: rootExists, installTree },
    kernels,
    compilerOf,
    secureBoot,
    state,
    modules,
    lock,
  };
}

/** `kmodforge doctor`: what commonly goes wrong, checked on the system under the root. */
export async function readDoctorFindings(ctx: Context): Promise<DoctorFinding[]> {
  return planDoctorFindings(await readDoctorFacts(ctx));
}
