import { randomInt } from 'node:crypto';
import { open, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runCommand } from '../../exec/run.ts';
import type { DkmsArgs } from './parse-dkms-argv.ts';
import { dkmsChildEnv, type DkmsInvocation } from './invocation.ts';
import { formatDkmsError } from './text/messages.ts';

/**
 * dkms 3.0.10's --rpm_safe_upgrade. An RPM upgrade runs the new package's `dkms add` before the old one's
 * `dkms remove`, both under the same rpm process; add leaves a lock naming rpm's pid (the parent of dkms's
 * parent) and start time, and a remove under that same rpm finds it, deletes it and does nothing, so the
 * upgrade does not end with the module removed.
 */

const lockPrefix = 'dkms_rpm_safe_upgrade_lock.';

/** dkms's `$tmp_location`: framework.conf's, else `${TMPDIR:-/tmp}`. */
function tmpLocation(inv: DkmsInvocation): string {
  return inv.ctx.framework.values.tmp_location ?? (inv.env['TMPDIR'] || '/tmp');
}

/** `awk '/PPid:/ {print $2}' /proc/$PPID/status`: empty when the parent is gone. */
async function readGrandparentPid(parentPid: number): Promise<string> {
  const status = await readFile(`/proc/${parentPid}/status`, 'utf8').catch(() => '');
  return /^PPid:\s*(\S*)/m.exec(status)?.[1] ?? '';
}

/** `ps -o lstart --no-headers -p $pppid 2>/dev/null`: the process's start time as ps prints it, or nothing. */
async function readStartTime(inv: DkmsInvocation, pid: string): Promise<string> {
  const result = await runCommand('ps', ['-o', 'lstart', '--no-headers', '-p', pid], {
    env: dkmsChildEnv(inv.env),
  }).catch(() => undefined);
  return result?.stdout ?? '';
}

const mktempLetters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** mktemp's file: `template` with its trailing XXXXXX made unique, created empty with mode 0600. */
async function makeTempFile(template: string): Promise<string> {
  for (;;) {
    const suffix = Array.from({ length: 6 }, () => mktempLetters[randomInt(mktempLetters.length)]).join('');
    const file = template.replace(/X{6}$/, suffix);
    try {
      await (await open(file, 'wx', 0o600)).close();
      return file;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}

/**
 * add_module with --rpm_safe_upgrade, once it knows the module (before its already-added check): the lock
 * `<tmp_location>/dkms_rpm_safe_upgrade_lock.<pppid>.XXXXXX` holding `M-V` and rpm's start time.
 */
export async function writeRpmSafeUpgradeLock(
  inv: DkmsInvocation,
  module: string,
  version: string,
): Promise<void> {
  if (!inv.args.rpmSafeUpgrade) return;
  const pppid = await readGrandparentPid(inv.parentPid);
  const template = path.join(tmpLocation(inv), `${lockPrefix}${pppid}.XXXXXX`);
  let lock: string;
  try {
    lock = await makeTempFile(template);
  } catch {
    // mktemp_or_die in a command substitution: the message, and the add goes on.
    inv.io.err(formatDkmsError(['Unable to make temporary file.']));
    return;
  }
  await writeFile(lock, `${module}-${version}\n${await readStartTime(inv, pppid)}`);
}

/** `$(head -n 1 f)` and `$(tail -n 1 f)`. */
function firstAndLastLine(text: string): [string, string] {
  const lines = text.split('\n');
  if (text.endsWith('\n')) lines.pop();
  return [lines[0] ?? '', lines.at(-1) ?? ''];
}

/**
 * remove_module with --rpm_safe_upgrade, before it removes anything: a lock of the same rpm (its pid in the
 * name, `M-V` its first line, rpm's start time its last) is deleted and the remove is cancelled with dkms's
 * `die 0`. Returns whether it was.
 */
export async function cancelRemoveForRpmUpgrade(inv: DkmsInvocation): Promise<boolean> {
  if (!inv.args.rpmSafeUpgrade) return false;
  const pppid = await readGrandparentPid(inv.parentPid);
  const startTime = (await readStartTime(inv, pppid)).replace(/\n+$/, '');
  const dir = tmpLocation(inv);
  const prefix = `${lockPrefix}${pppid}.`;
  // bash's glob under LC_ALL=C: the names in byte order.
  const names = (await readdir(dir).catch(() => [])).filter((n) => n.startsWith(prefix)).sort();
  const wanted = `${inv.args.module ?? ''}-${inv.args.moduleVersion ?? ''}`;
  for (const name of names) {
    const lock = path.join(dir, name);
    if (!(await stat(lock).catch(() => undefined))?.isFile()) continue;
    const [head, tail] = firstAndLastLine(await readFile(lock, 'utf8').catch(() => ''));
    if (head !== wanted || startTime === '' || tail !== startTime) continue;
    await rm(lock, { force: true });
    inv.io.err(formatDkmsError(['Remove cancelled because --rpm_safe_upgrade scenario detected.']));
    return true;
  }
  return false;
}

/**
 * do_install forces itself under --rpm_safe_upgrade (its version checks and a failed PRE_INSTALL no longer
 * stop it), so the add half of an upgrade cannot install nothing while the remove half succeeds. Not
 * maybe_install_module's "already installed" check, which runs before it.
 */
export function installIsForced(args: Pick<DkmsArgs, 'force' | 'rpmSafeUpgrade'>): boolean {
  return args.force || args.rpmSafeUpgrade;
}
