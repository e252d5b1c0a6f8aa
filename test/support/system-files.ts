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
 */
import { execFile as execFileCallback } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './debian-dkms.ts';
import { cliCommand } from './spawn-cli.ts';

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
    const quoted = [...cliCommand, '--root', root].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
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
