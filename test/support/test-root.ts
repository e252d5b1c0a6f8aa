/**
 * Test support: throwaway system roots for running the real CLI (`--root`) and the real dkms 3.0.10
 * (`--dkmstree`, `--sourcetree`, `--installtree`) against the real kernel headers, and the commands that
 * run them there.
 *
 * A root looks like the live system as far as kmodforge and dkms are concerned:
 *
 * - `<root>/lib/modules/<K>/build`: a RELATIVE link to the real headers of each of its kernels (an
 *   absolute link would be re-rooted by kmodforge's `--root` handling, see src/kernel/discover.ts
 *   resolveInRoot, and lead to `<root>/usr/src/…`, which does not exist); kmodforge looks for headers at
 *   `<installtree>/<K>/build`, dkms at `/lib/modules/<K>/build`;
 * - `<root>/lib/modules/<K>/modules.dep`, empty, so that depmod runs (with `-b <root>`), as it does for a
 *   kernel whose image is installed (dkms reads only the real `/lib/modules/<K>/modules.dep`);
 * - `<root>/etc/os-release`, the host's, so the distro rules (Debian: `/updates/dkms`) apply;
 * - `<root>/var/lib/dkms` and `<root>/usr/src`, empty, or with a signing key pair copied into
 *   `<root>/var/lib/dkms/mok.key` and `mok.pub` (where both tools look for it), so that no build spends
 *   time generating one.
 *
 * Neither tool may touch the real /lib/modules, /var/lib/dkms or /usr/src: dkms signs with
 * `$mok_signing_key` / `$mok_certificate`, which default to /var/lib/dkms/mok.* whatever --dkmstree says,
 * so {@link runDkms} points them into the root; kmodforge's key defaults to `<root>/var/lib/dkms/mok.*`
 * and nothing but /etc under its root moves it, so kmodforge always gets `--root <root>`.
 */
import { execFile as execFileCallback } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import {
  access,
  copyFile,
  cp,
  lstat,
  mkdir,
  mkdtemp,
  readFile,
  readdir,
  readlink,
  realpath,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import { planMokCommand } from '../../src/sign/mok.ts';
import { runCli, type CliRun } from './cli.ts';
import { installedKernels, repoRoot } from './debian-dkms.ts';

const execFile = promisify(execFileCallback);

/** The arch of the installed (amd64) kernels, as dkms names it. */
export const arch = os.machine();

/** A module signing key pair (a MOK): the private key and the DER certificate. */
export interface SigningKeyPair {
  key: string;
  certificate: string;
}

export interface TestRootOptions {
  /** Kernels to set up (default: every installed kernel with headers). */
  kernels?: readonly string[];
  /** Prefix of the temporary directory's name. */
  prefix?: string;
  /**
   * Link `<root>/lib/modules/<K>/build` to the real headers (default true). Without it, kmodforge finds
   * no headers in the root (dkms still finds them at /lib/modules/<K>/build).
   */
  linkHeaders?: boolean;
  /** A key pair to copy into `<root>/var/lib/dkms`; without one, the first signed build generates it there. */
  signing?: SigningKeyPair | undefined;
}

export interface TestRoot {
  root: string;
  /** The kernels set up in the root, sorted. */
  kernels: string[];
  /** `<root>/var/lib/dkms`. */
  dkmsTree: string;
  /** `<root>/usr/src`. */
  sourceTree: string;
  /** `<root>/lib/modules`. */
  installTree: string;
  /** The signing key both tools use in this root: `<dkmsTree>/mok.key`. */
  signingKey: string;
  /** Its certificate: `<dkmsTree>/mok.pub`. */
  signingCertificate: string;
  /** Runs `kmodforge --root <root> ...args` in-process. */
  cli: (...args: string[]) => Promise<CliRun>;
  /** `<dkmsTree>/<module>/<version>/<kernel>/<arch>/module/<name>.ko`: a built module. */
  builtKo: (module: string, version: string, kernel: string, name: string) => string;
  /** `<installTree>/<kernel>/updates/dkms/<name>.ko`: where Debian's dkms installs a module. */
  installedKo: (kernel: string, name: string) => string;
  /** Removes the root. */
  cleanup: () => Promise<void>;
}

/** Creates a throwaway root under os.tmpdir(); see the file comment. */
export async function makeTestRoot(options: TestRootOptions = {}): Promise<TestRoot> {
  const kernels = [...(options.kernels ?? installedKernels())].sort();
  if (kernels.length === 0)
    throw new Error('no kernel with headers in /lib/modules: cannot make a test root');
  const root = await mkdtemp(path.join(os.tmpdir(), options.prefix ?? 'kmf-root-'));
  const dkmsTree = path.join(root, 'var', 'lib', 'dkms');
  const sourceTree = path.join(root, 'usr', 'src');
  const installTree = path.join(root, 'lib', 'modules');
  for (const kernel of kernels) {
    const dir = path.join(installTree, kernel);
    await mkdir(dir, { recursive: true });
    if (options.linkHeaders !== false) {
      const headers = await realpath(path.join('/lib/modules', kernel, 'build'));
      await symlink(path.relative(dir, headers), path.join(dir, 'build'));
    }
    await writeFile(path.join(dir, 'modules.dep'), '');
  }
  await mkdir(path.join(root, 'etc'), { recursive: true });
  await cp('/etc/os-release', path.join(root, 'etc', 'os-release'), { dereference: true });
  await mkdir(sourceTree, { recursive: true });
  await mkdir(dkmsTree, { recursive: true });
  const signingKey = path.join(dkmsTree, 'mok.key');
  const signingCertificate = path.join(dkmsTree, 'mok.pub');
  if (options.signing !== undefined) {
    await copyFile(options.signing.key, signingKey);
    await copyFile(options.signing.certificate, signingCertificate);
  }
  return {
    root,
    kernels,
    dkmsTree,
    sourceTree,
    installTree,
    signingKey,
    signingCertificate,
    cli: (...args: string[]) => runCli('--root', root, ...args),
    builtKo: (module, version, kernel, name) =>
      path.join(dkmsTree, module, version, kernel, arch, 'module', `${name}.ko`),
    installedKo: (kernel, name) => path.join(installTree, kernel, 'updates', 'dkms', `${name}.ko`),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

/** Generates a throwaway key pair in `dir` with the openssl command kmodforge (and dkms) use. */
export async function makeSigningKeyPair(dir: string): Promise<SigningKeyPair> {
  const key = path.join(dir, 'mok.key');
  const certificate = path.join(dir, 'mok.pub');
  await execFile('openssl', planMokCommand(key, certificate));
  return { key, certificate };
}

/** The tree options both tools take: --dkmstree, --sourcetree, --installtree. */
export function treeOptions(testRoot: TestRoot): string[] {
  return [
    '--dkmstree',
    testRoot.dkmsTree,
    '--sourcetree',
    testRoot.sourceTree,
    '--installtree',
    testRoot.installTree,
  ];
}

/** What kmodforge is given besides its command to act like dkms on a root: `--root <root>` and the trees. */
export function kmodforgeOptions(testRoot: TestRoot): string[] {
  return ['--root', testRoot.root, ...treeOptions(testRoot)];
}

/** How a command ended, what it printed, and how long it took. */
export interface CommandResult extends CliRun {
  seconds: number;
}

function hasExitCode(error: unknown): error is Error & { code: number; stdout: string; stderr: string } {
  return error instanceof Error && typeof (error as { code?: unknown }).code === 'number';
}

/**
 * The command line that runs `file args` with the root's lib/modules as /lib/modules, in a mount namespace
 * of its own: dkms 3.0.10 runs `depmod -a K` on the real /lib/modules whatever --installtree says, which
 * would leave modules.* files in the live kernels' directories. The root's `build` links are relative, so
 * they still lead to the real headers.
 */
export function inRootModules(testRoot: TestRoot, file: string, args: readonly string[]): [string, string[]] {
  return [
    'unshare',
    [
      '--mount',
      'sh',
      '-c',
      'mount --bind "$0" /lib/modules && exec "$@"',
      testRoot.installTree,
      file,
      ...args,
    ],
  ];
}

/**
 * Runs the real `dkms <args> <tree options>` on a root, with LC_ALL=C and the root's signing key; never
 * throws for an exit code.
 */
export async function runDkms(testRoot: TestRoot, args: readonly string[]): Promise<CommandResult> {
  const started = performance.now();
  const env = {
    ...process.env,
    LC_ALL: 'C',
    mok_signing_key: testRoot.signingKey,
    mok_certificate: testRoot.signingCertificate,
  };
  try {
    const { stdout, stderr } = await execFile(
      ...inRootModules(testRoot, '/usr/sbin/dkms', [...args, ...treeOptions(testRoot)]),
      {
        env,
        maxBuffer: 256 * 1024 * 1024,
        timeout: 60 * 60 * 1000,
      },
    );
    return { code: 0, stdout, stderr, seconds: (performance.now() - started) / 1000 };
  } catch (error) {
    if (!hasExitCode(error)) throw error;
    return {
      code: error.code,
      stdout: error.stdout,
      stderr: error.stderr,
      seconds: (performance.now() - started) / 1000,
    };
  }
}

/** Runs `kmodforge <args> --root <root> <tree options>` in-process, as dkms would be run on the root. */
export async function runKmodforge(testRoot: TestRoot, args: readonly string[]): Promise<CommandResult> {
  const started = performance.now();
  const result = await runCli(...args, ...kmodforgeOptions(testRoot));
  return { ...result, seconds: (performance.now() - started) / 1000 };
}

/** Files named *.ko* below dir (as `find dir -name '*.ko*'`, not following symlinks), relative and sorted. */
export async function findModuleFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (relative: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(path.join(dir, relative), { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const name = path.join(relative, entry.name);
      if (entry.isDirectory()) await walk(name);
      else if (entry.name.includes('.ko')) found.push(name);
    }
  };
  await walk('');
  return found.sort();
}

export interface SnapshotOptions {
  /** Leaves out entries whose path (relative to the snapshot's directory) matches. */
  ignore?: RegExp;
}

/**
 * Every entry below `dir`, sorted by path, without following symlinks: `path/` for a directory,
 * `path mode sha256` for a file, `path -> target` for a link. A missing `dir` gives []. Two equal
 * snapshots mean nothing was created, deleted, changed, re-linked or chmod-ed.
 */
export async function snapshotTree(dir: string, options: SnapshotOptions = {}): Promise<string[]> {
  const lines: string[] = [];
  const walk = async (relative: string): Promise<void> => {
    let names: string[];
    try {
      names = await readdir(path.join(dir, relative));
    } catch (error) {
      if (relative === '' && (error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    for (const name of names) {
      const rel = relative === '' ? name : `${relative}/${name}`;
      if (options.ignore?.test(rel) === true) continue;
      const full = path.join(dir, rel);
      const stat = await lstat(full);
      if (stat.isSymbolicLink()) lines.push(`${rel} -> ${await readlink(full)}`);
      else if (stat.isDirectory()) {
        lines.push(`${rel}/`);
        await walk(rel);
      } else {
        const mode = (stat.mode & 0o7777).toString(8);
        lines.push(`${rel} ${mode} ${await sha256File(full)}`);
      }
    }
  };
  await walk('');
  return lines.sort();
}

/**
 * What the dkms tree keeps besides modules, in a snapshot of it: the state lock, and the MOK key pair that
 * builds for signing kernels generate (as dkms does, in <dkms_tree>/mok.key and mok.pub).
 */
export const dkmsTreeFiles = /^(\.kmodforge\.lock|mok\.key|mok\.pub)$/;

/** What depmod writes next to modules.dep: `<K>/modules.*` in a snapshot of the install tree. */
export const depmodOutputs = /^[^/]+\/modules\.[^/]+$/;

export async function sha256File(file: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(file))
    .digest('hex');
}

/** The kernel of a flavor among `kernels` ("amd64" → 6.1.0-NN-amd64, "rt-amd64" → 6.1.0-NN-rt-amd64). */
export function kernelOfFlavor(kernels: readonly string[], flavor: string): string {
  const found = kernels.find((k) => new RegExp(`^\\d+\\.\\d+\\.\\d+-\\d+-${flavor}$`).test(k));
  if (found === undefined) throw new Error(`no ${flavor} kernel among ${kernels.join(', ')}`);
  return found;
}

/** The directory of a module fixture, test/fixtures/modules/<name>. */
export function fixtureDir(name: string): string {
  return path.join(repoRoot, 'test', 'fixtures', 'modules', name);
}

/**
 * Copies a module fixture to `dest` (created), then applies `edits`: per file relative to the fixture,
 * a function from its text to the new text. Modes (executable scripts) are kept.
 */
export async function copyFixture(
  name: string,
  dest: string,
  edits: Readonly<Record<string, (text: string) => string>> = {},
): Promise<string> {
  await mkdir(path.dirname(dest), { recursive: true });
  await cp(fixtureDir(name), dest, { recursive: true });
  for (const [file, edit] of Object.entries(edits)) {
    const full = path.join(dest, file);
    await writeFile(full, edit(await readFile(full, 'utf8')));
  }
  return dest;
}

/** A fresh temporary directory (not inside any test root). */
export async function makeTempDir(prefix = 'kmf-tmp-'): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), prefix));
}

/** `modinfo -F <field> <file>`, trimmed (multiple values are newline-separated). */
export async function modinfo(field: string, file: string): Promise<string> {
  const { stdout } = await execFile('modinfo', ['-F', field, file]);
  return stdout.trim();
}

/** Runs a command, throwing with its output when it fails. */
export async function run(file: string, args: readonly string[], cwd?: string): Promise<string> {
  try {
    const { stdout } = await execFile(file, [...args], {
      maxBuffer: 64 * 1024 * 1024,
      ...(cwd === undefined ? {} : { cwd }),
    });
    return stdout;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${file} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`, {
      cause: error,
    });
  }
}

/** Whether the real dkms is installed, to serve as an oracle. */
export const hasDkms = existsSync('/usr/sbin/dkms');

/** Status lines of the real `dkms status [args]` (3.0.10 on Debian 12) on a root's trees. */
export async function dkmsStatusLines(testRoot: TestRoot, ...args: string[]): Promise<string[]> {
  const { code, stdout, stderr } = await runDkms(testRoot, ['status', ...args]);
  if (code !== 0) throw new Error(`dkms status ${args.join(' ')} exited ${code}: ${stdout}${stderr}`);
  return stdout.split('\n').filter((l) => l !== '');
}

/**
 * Status lines of `kmodforge status [args]` in a root (asserting it succeeded). When the real dkms is
 * installed, also checks (softly, so the test goes on) that `dkms status` prints the same lines.
 */
export async function statusLines(testRoot: TestRoot, ...args: string[]): Promise<string[]> {
  const { code, stdout, stderr } = await testRoot.cli('status', ...args);
  if (code !== 0) throw new Error(`status ${args.join(' ')} exited ${code}: ${stderr}`);
  const lines = stdout.split('\n').filter((l) => l !== '');
  if (hasDkms) {
    expect
      .soft(await dkmsStatusLines(testRoot, ...args), `dkms status ${args.join(' ')} on the same trees`)
      .toEqual(lines);
  }
  return lines;
}

/** Whether a path is reachable (following links). */
export async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}
