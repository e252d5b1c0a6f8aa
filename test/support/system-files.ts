/**
 * Test support: the system-integration files of packaging/files/ (kernel hooks, the kernel-install
 * plugin, common.postinst, the boot unit), installed for a test root and run there for real.
 *
 * {@link installSystemFiles} copies packaging/files/ into a temporary directory with `@BINDIR@` and
 * `@SBINDIR@` replaced (as `make install` does), where `@BINDIR@/kmodforge` is a wrapper that runs this
 * checkout's bundle with `--root <root>`.
 *
 * The scripts also use the system's paths themselves, as dkms's do (`/lib/modules/<K>/build/include`,
 * `/etc/dkms/no-autoinstall`, `/var/lib/dkms/<M>/<V>/source`, `/usr/src/<M>-<V>`), so
 * {@link runSystemScript} runs them in a private mount namespace where those paths are the root's:
 * `/lib/modules`, `/var/lib/dkms` and `/etc/dkms` are bind mounts of the root's, and `/usr/src` is an
 * overlay of the root's `usr/src` on the real one (whose headers the root's kernels link to). Nothing the
 * scripts do reaches the real system.
 *
 * {@link makeSystemRoot} sets up what the system tests share (a root, the files installed for it, a kernel
 * without headers); {@link makeToolShims} puts `depmod`, `logger` and `make` on PATH to count what the
 * scripts run and to see that builds overlap.
 */
import { execFile as execFileCallback } from 'node:child_process';
import {
  access,
  chmod,
  constants,
  mkdir,
  mkdtemp,
  readFile,
  readdir,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './debian-dkms.ts';
import { cliCommand } from './spawn-cli.ts';
import { makeSigningKeyPair, makeTempDir, makeTestRoot, type TestRoot } from './test-root.ts';

const execFile = promisify(execFileCallback);

/** packaging/files/ of this checkout. */
export const systemFilesDir = path.join(repoRoot, 'packaging', 'files');

export interface SystemFiles {
  /** The directory everything was installed into. */
  dir: string;
  /** What `@BINDIR@` became: it holds the `kmodforge` wrapper (unless left out). */
  bindir: string;
  /** The installed copy of a file of packaging/files/ (`etc/kernel/postinst.d/dkms`). */
  file: (relative: string) => string;
  /** Removes the directory. */
  cleanup: () => Promise<void>;
}

export interface InstallSystemFilesOptions {
  /** false: no `kmodforge` in the bindir, as when the package is removed and its /etc files stay. */
  program?: boolean;
}

/** A word for sh. */
const quote = (s: string): string => `'${s.replaceAll("'", "'\\''")}'`;

/** Every file below dir, relative, with whether it is executable. */
async function listFiles(dir: string, relative = ''): Promise<{ path: string; executable: boolean }[]> {
  const files: { path: string; executable: boolean }[] = [];
  for (const entry of await readdir(path.join(dir, relative), { withFileTypes: true })) {
    const name = path.join(relative, entry.name);
    if (entry.isDirectory()) files.push(...(await listFiles(dir, name)));
    else files.push({ path: name, executable: ((await stat(path.join(dir, name))).mode & 0o111) !== 0 });
  }
  return files;
}

/** Every file of packaging/files/, relative, with whether it is executable. */
export function listSystemFiles(): Promise<{ path: string; executable: boolean }[]> {
  return listFiles(systemFilesDir);
}

/** Installs packaging/files/ for a root; see the file comment. */
export async function installSystemFiles(
  root: string,
  options: InstallSystemFilesOptions = {},
): Promise<SystemFiles> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kmf-system-'));
  const bindir = path.join(dir, 'bin');
  const sbindir = path.join(dir, 'sbin');
  await mkdir(bindir);
  await mkdir(sbindir);
  if (options.program !== false) {
    const quoted = [...cliCommand, '--root', root].map(quote).join(' ');
    await writeFile(path.join(bindir, 'kmodforge'), `#!/bin/sh\nexec ${quoted} "$@"\n`, { mode: 0o755 });
  }
  for (const f of await listSystemFiles()) {
    const target = path.join(dir, 'files', f.path);
    await mkdir(path.dirname(target), { recursive: true });
    const text = await readFile(path.join(systemFilesDir, f.path), 'utf8');
    await writeFile(target, text.replaceAll('@BINDIR@', bindir).replaceAll('@SBINDIR@', sbindir));
    await chmod(target, f.executable ? 0o755 : 0o644);
  }
  return {
    dir,
    bindir,
    file: (relative) => path.join(dir, 'files', relative),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

export interface ScriptRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunSystemScriptOptions {
  /** Variables added to the environment (DEB_MAINT_PARAMS is removed from it unless given here). */
  env?: Readonly<Record<string, string>>;
}

// Runs "$@" with the root's trees mounted on the system's paths: $1 is the root, $2 an empty directory
// for the overlay's work, on the same file system as the root.
const mountAndRun = `set -e
root=$1 work=$2
shift 2
mkdir -p "$root/etc/dkms" "$root/var/lib/dkms"
mount --bind "$root/lib/modules" /lib/modules
mount --bind "$root/var/lib/dkms" /var/lib/dkms
mount --bind "$root/etc/dkms" /etc/dkms
mount -t overlay overlay -o "lowerdir=/usr/src,upperdir=$root/usr/src,workdir=$work" /usr/src
exec "$@"`;

/**
 * Runs an installed script (or any command) as the system would, but on the root: in a private mount
 * namespace (see the file comment). Never throws for an exit code.
 */
export async function runSystemScript(
  root: string,
  command: readonly string[],
  options: RunSystemScriptOptions = {},
): Promise<ScriptRun> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'kmf-overlay-work-'));
  const env: NodeJS.ProcessEnv = { ...process.env, LC_ALL: 'C', ...options.env };
  if (options.env?.['DEB_MAINT_PARAMS'] === undefined) delete env['DEB_MAINT_PARAMS'];
  try {
    const { stdout, stderr } = await execFile(
      'unshare',
      ['--mount', '--propagation', 'private', 'sh', '-c', mountAndRun, 'sh', root, work, ...command],
      { env, maxBuffer: 64 * 1024 * 1024 },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw error;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** A kernel of a system root with no headers, as when an image is configured before its headers. */
export const headerless = '6.1.0-999-amd64';

export interface SystemRoot {
  t: TestRoot;
  files: SystemFiles;
  /** A scratch directory (it holds the signing key pair). */
  tmp: string;
  /** Removes the root, the installed files and the scratch directory. */
  cleanup: () => Promise<void>;
}

/**
 * A root with a signing key pair and {@link headerless} beside its kernels (an installed image: it has
 * modules.dep), and packaging/files/ installed for it.
 */
export async function makeSystemRoot(prefix: string): Promise<SystemRoot> {
  const tmp = await makeTempDir(`${prefix}tmp-`);
  const t = await makeTestRoot({ prefix: `${prefix}root-`, signing: await makeSigningKeyPair(tmp) });
  await mkdir(path.join(t.installTree, headerless));
  await writeFile(path.join(t.installTree, headerless, 'modules.dep'), '');
  const files = await installSystemFiles(t.root);
  return {
    t,
    files,
    tmp,
    cleanup: async () => {
      await t.cleanup();
      await files.cleanup();
      await rm(tmp, { recursive: true, force: true });
    },
  };
}

export interface ToolShims {
  /** PATH for a run: `depmod` and `logger` shims first, and with `makes`, the `make` shim before them. */
  env: (options?: { makes?: boolean | undefined }) => Record<string, string>;
  /** The arguments of each call of a shimmed tool since the last reset, one string per call. */
  calls: (tool: 'depmod' | 'logger') => Promise<string[]>;
  /** The most builds whose make ran at once since the last reset (0 when none ran). */
  mostMakesAtOnce: () => Promise<number>;
  /** Forgets every call. */
  reset: () => Promise<void>;
}

/** The first executable `name` on PATH. */
async function findOnPath(name: string): Promise<string> {
  for (const dir of (process.env['PATH'] ?? '').split(':')) {
    const file = path.join(dir, name);
    try {
      await access(file, constants.X_OK);
      return file;
    } catch {
      continue;
    }
  }
  throw new Error(`${name} is not on PATH`);
}

/**
 * Shims in `dir`: `depmod` logs its arguments and runs the real one; `logger` logs its arguments and
 * sends nothing to the journal; `make`, for the make a build starts (kbuild's own makes below it have
 * MAKELEVEL set), waits until a second build's make has started (at most a minute) and logs how many are
 * running then. The wait keeps a quick make from ending before a parallel one starts, so that builds run
 * in parallel are always seen to overlap and builds run one after the other never are.
 */
export async function makeToolShims(dir: string): Promise<ToolShims> {
  const log = path.join(dir, 'shim-log');
  const tools = path.join(dir, 'shim-tools');
  const makes = path.join(dir, 'shim-make');
  for (const d of [log, tools, makes]) await mkdir(d, { recursive: true });
  const [depmod, make] = [await findOnPath('depmod'), await findOnPath('make')];
  const scripts: [string, string][] = [
    [path.join(tools, 'depmod'), `printf '%s\\n' "$*" >>${quote(log)}/depmod\nexec ${quote(depmod)} "$@"`],
    [path.join(tools, 'logger'), `printf '%s\\n' "$*" >>${quote(log)}/logger`],
    [
      path.join(makes, 'make'),
      `[ -z "$MAKELEVEL" ] || exec ${quote(make)} "$@"
log=${quote(log)}
: >"$log/make-started.$$"
: >"$log/make-running.$$"
tries=0
while [ "$(ls "$log" | grep -c '^make-started\\.')" -lt 2 ] && [ "$tries" -lt 600 ]; do
\tsleep 0.1
\ttries=$((tries + 1))
done
ls "$log" | grep -c '^make-running\\.' >>"$log/make-at-once"
${quote(make)} "$@"
status=$?
rm -f "$log/make-running.$$"
exit "$status"`,
    ],
  ];
  for (const [file, body] of scripts) await writeFile(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  const lines = async (name: string): Promise<string[]> => {
    try {
      return (await readFile(path.join(log, name), 'utf8')).split('\n').filter((l) => l !== '');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  };
  return {
    env: (options = {}) => ({
      PATH: [...(options.makes === true ? [makes] : []), tools, process.env['PATH'] ?? ''].join(':'),
    }),
    calls: (tool) => lines(tool),
    mostMakesAtOnce: async () => Math.max(0, ...(await lines('make-at-once')).map(Number)),
    reset: async () => {
      await rm(log, { recursive: true, force: true });
      await mkdir(log);
    },
  };
}
