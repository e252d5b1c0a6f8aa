/**
 * Real-world comparison of kmodforge with dkms 3.0.10: for each of the 12 Debian *-dkms packages, and the
 * installed Debian kernel `6.1.0-NN-amd64`,
 *
 *   (a) dkms:      `dkms add <sourcedir>` then `dkms install -m M -v V -k K` into a throwaway root A,
 *   (b) kmodforge: `kmodforge install <sourcedir> -k K` into a throwaway root B,
 *
 * both with `--dkmstree <root>/var/lib/dkms --sourcetree <root>/usr/src --installtree <root>/lib/modules
 * --no-depmod`. It records each side's exit code and the *.ko* files it installed below <root>/lib/modules/K
 * and prints a Markdown table. Exits 1 when any row differs in result (ok / exit N) or files.
 *
 *   npx tsx scripts/compare-dkms.ts [--keep] [package...]
 *
 * Neither tool may touch the real /lib/modules, /var/lib/dkms or /usr/src, and both sign modules:
 * - dkms signs with $mok_signing_key / $mok_certificate, which default to /var/lib/dkms/mok.* whatever
 *   --dkmstree says; dkms takes them from the environment, so they point into the throwaway root.
 * - kmodforge's key defaults to <root>/var/lib/dkms/mok.* and nothing but /etc under its root moves it, so
 *   kmodforge also gets `--root <root>`. The root is made to look like this system: a copy of
 *   /etc/os-release (the Debian rules) and a relative `lib/modules/K/build` link to the real headers
 *   (kmodforge looks for them at <installtree>/K/build, dkms at /lib/modules/K/build).
 * - Both sides sign with one key pair generated up front and copied into each root's dkms tree, so neither
 *   spends time generating one.
 * kmodforge runs in-process (no Node start-up in its time); dkms runs as a child process.
 */
import { execFile as execFileCallback } from 'node:child_process';
import { copyFile, cp, mkdir, mkdtemp, readdir, realpath, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { planMokCommand } from '../src/sign/mok.ts';
import { runCli } from '../test/support/cli.ts';
import { debianDkmsPackages, fetchDebianDkmsPackage, installedKernels } from '../test/support/debian-dkms.ts';

const execFile = promisify(execFileCallback);

/** A throwaway system root holding the three trees dkms and kmodforge are pointed at. */
export interface ThrowawayRoot {
  dir: string;
  dkmsTree: string;
  sourceTree: string;
  installTree: string;
  /** The signing key pair both tools use: <root>/var/lib/dkms/mok.key and mok.pub. */
  signingKey: string;
  signingCertificate: string;
}

export interface RootOptions {
  /** Link <root>/lib/modules/K/build to the real headers (default true); kmodforge needs it. */
  linkHeaders?: boolean;
  /** A key pair to copy into the root's dkms tree; without one, the first build generates it there. */
  signing?: { key: string; certificate: string } | undefined;
  prefix?: string;
}

/**
 * Creates a root with <root>/var/lib/dkms, <root>/usr/src, <root>/etc/os-release (the host's) and
 * <root>/lib/modules/K for each kernel, with a relative `build` link to the kernel's real headers (an
 * absolute one would be taken inside the root by kmodforge --root).
 */
export async function makeThrowawayRoot(
  kernels: readonly string[],
  options: RootOptions = {},
): Promise<ThrowawayRoot> {
  const dir = await mkdtemp(path.join(os.tmpdir(), options.prefix ?? 'kmf-root-'));
  const dkmsTree = path.join(dir, 'var/lib/dkms');
  const root: ThrowawayRoot = {
    dir,
    dkmsTree,
    sourceTree: path.join(dir, 'usr/src'),
    installTree: path.join(dir, 'lib/modules'),
    signingKey: path.join(dkmsTree, 'mok.key'),
    signingCertificate: path.join(dkmsTree, 'mok.pub'),
  };
  await mkdir(root.dkmsTree, { recursive: true });
  await mkdir(root.sourceTree, { recursive: true });
  await mkdir(path.join(dir, 'etc'), { recursive: true });
  await cp('/etc/os-release', path.join(dir, 'etc/os-release'), { dereference: true });
  for (const kernel of kernels) {
    const kernelDir = path.join(root.installTree, kernel);
    await mkdir(kernelDir, { recursive: true });
    if (options.linkHeaders !== false) {
      const headers = await realpath(path.join('/lib/modules', kernel, 'build'));
      await symlink(path.relative(kernelDir, headers), path.join(kernelDir, 'build'));
    }
  }
  if (options.signing !== undefined) {
    await copyFile(options.signing.key, root.signingKey);
    await copyFile(options.signing.certificate, root.signingCertificate);
  }
  return root;
}

export async function removeThrowawayRoot(root: ThrowawayRoot): Promise<void> {
  await rm(root.dir, { recursive: true, force: true });
}

/** The tree options both tools take: --dkmstree, --sourcetree, --installtree. */
export function treeOptions(root: ThrowawayRoot): string[] {
  return ['--dkmstree', root.dkmsTree, '--sourcetree', root.sourceTree, '--installtree', root.installTree];
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
  seconds: number;
}

function hasExitCode(error: unknown): error is Error & { code: number; stdout: string; stderr: string } {
  return error instanceof Error && typeof (error as { code?: unknown }).code === 'number';
}

/** Runs `dkms <args> <tree options>` with LC_ALL=C and the root's signing key; never throws for an exit code. */
export async function runDkms(root: ThrowawayRoot, args: readonly string[]): Promise<CommandResult> {
  const started = performance.now();
  const env = {
    ...process.env,
    LC_ALL: 'C',
    mok_signing_key: root.signingKey,
    mok_certificate: root.signingCertificate,
  };
  try {
    const { stdout, stderr } = await execFile('dkms', [...args, ...treeOptions(root)], {
      env,
      maxBuffer: 256 * 1024 * 1024,
      timeout: 60 * 60 * 1000,
    });
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

/** What kmodforge is given besides its command: `--root <root>` and the tree options. */
export function kmodforgeOptions(root: ThrowawayRoot): string[] {
  return ['--root', root.dir, ...treeOptions(root)];
}

/** Runs `kmodforge <args> --root <root> <tree options>` in-process. */
export async function runKmodforge(root: ThrowawayRoot, args: readonly string[]): Promise<CommandResult> {
  const started = performance.now();
  const result = await runCli(...args, ...kmodforgeOptions(root));
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

/** Generates a throwaway key pair with the openssl command kmodforge (and dkms) use. */
export async function makeSigningKey(dir: string): Promise<{ key: string; certificate: string }> {
  const key = path.join(dir, 'mok.key');
  const certificate = path.join(dir, 'mok.pub');
  await execFile('openssl', planMokCommand(key, certificate));
  return { key, certificate };
}

/** The installed Debian kernel of the plain amd64 flavor (`6.1.0-NN-amd64`, not rt or cloud). */
export function findDebianAmd64Kernel(): string {
  const kernels = installedKernels().filter((k) => /^6\.1\.0-\d+-amd64$/.test(k));
  const kernel = kernels.at(-1);
  if (kernel === undefined)
    throw new Error(
      'no 6.1.0-NN-amd64 kernel with headers in /lib/modules (apt-get install linux-headers-amd64)',
    );
  return kernel;
}

export interface SideResult {
  code: number;
  /** `ok`, or `exit N` (of `dkms add` when that failed, else of the install). */
  result: string;
  /** *.ko* files below <root>/lib/modules/K, relative to it. */
  files: string[];
  seconds: number;
  /** The last lines of what the tool printed, when it failed. */
  log: string;
}

export interface ComparisonRow {
  package: string;
  module: string;
  version: string;
  kernel: string;
  dkms: SideResult;
  kmodforge: SideResult;
  sameResult: boolean;
  sameFiles: boolean;
  onlyDkms: string[];
  onlyKmodforge: string[];
}

function tail(text: string, lines = 25): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

function resultClass(code: number): string {
  return code === 0 ? 'ok' : `exit ${code}`;
}

export interface CompareOptions {
  /** Keep the throwaway roots (their paths go to log). */
  keep?: boolean;
  signing?: { key: string; certificate: string } | undefined;
  log?: (line: string) => void;
}

/** Installs one package with dkms into one fresh root and with kmodforge into another, and compares. */
export async function comparePackage(
  name: string,
  kernel: string,
  options: CompareOptions = {},
): Promise<ComparisonRow> {
  const pkg = await fetchDebianDkmsPackage(name);
  const rootOptions: RootOptions = { prefix: `kmf-compare-${name}-`, signing: options.signing };
  const a = await makeThrowawayRoot([kernel], rootOptions);
  const b = await makeThrowawayRoot([kernel], rootOptions);
  try {
    const add = await runDkms(a, ['add', pkg.sourceDir]);
    const install =
      add.code === 0
        ? await runDkms(a, [
            'install',
            '-m',
            pkg.packageName,
            '-v',
            pkg.packageVersion,
            '-k',
            kernel,
            '--no-depmod',
          ])
        : undefined;
    const dkmsRun = install ?? add;
    const dkmsLog = `${dkmsRun.stdout}${dkmsRun.stderr}`;
    const dkms: SideResult = {
      code: dkmsRun.code,
      result: resultClass(dkmsRun.code),
      files: await findModuleFiles(path.join(a.installTree, kernel)),
      seconds: add.seconds + (install?.seconds ?? 0),
      log: dkmsRun.code === 0 ? '' : tail(dkmsLog),
    };

    const kmf = await runKmodforge(b, ['install', pkg.sourceDir, '-k', kernel, '--no-depmod']);
    const kmodforge: SideResult = {
      code: kmf.code,
      result: resultClass(kmf.code),
      files: await findModuleFiles(path.join(b.installTree, kernel)),
      seconds: kmf.seconds,
      log: kmf.code === 0 ? '' : tail(`${kmf.stdout}${kmf.stderr}`),
    };

    const onlyDkms = dkms.files.filter((f) => !kmodforge.files.includes(f));
    const onlyKmodforge = kmodforge.files.filter((f) => !dkms.files.includes(f));
    return {
      package: name,
      module: pkg.packageName,
      version: pkg.packageVersion,
      kernel,
      dkms,
      kmodforge,
      sameResult: dkms.result === kmodforge.result,
      sameFiles: onlyDkms.length === 0 && onlyKmodforge.length === 0,
      onlyDkms,
      onlyKmodforge,
    };
  } finally {
    if (options.keep === true) options.log?.(`${name}: dkms root ${a.dir}, kmodforge root ${b.dir}`);
    else await Promise.all([removeThrowawayRoot(a), removeThrowawayRoot(b)]);
  }
}

export function rowDiffers(row: ComparisonRow): boolean {
  return !row.sameResult || !row.sameFiles;
}

/**
 * Runs the comparison for the given packages (default: all 12) on the Debian amd64 kernel, one package
 * after the other (each tool already builds with every CPU).
 */
export async function compareDkms(
  options: CompareOptions & { packages?: readonly string[]; kernel?: string } = {},
): Promise<{ kernel: string; rows: ComparisonRow[] }> {
  const kernel = options.kernel ?? findDebianAmd64Kernel();
  const keys = await mkdtemp(path.join(os.tmpdir(), 'kmf-compare-keys-'));
  try {
    const signing = options.signing ?? (await makeSigningKey(keys));
    const rows: ComparisonRow[] = [];
    for (const name of options.packages ?? debianDkmsPackages) {
      const row = await comparePackage(name, kernel, { ...options, signing });
      options.log?.(
        `${name}: dkms ${row.dkms.result} (${row.dkms.seconds.toFixed(1)} s), kmodforge ${row.kmodforge.result} (${row.kmodforge.seconds.toFixed(1)} s)${rowDiffers(row) ? ' DIFFERS' : ''}`,
      );
      rows.push(row);
    }
    return { kernel, rows };
  } finally {
    await rm(keys, { recursive: true, force: true });
  }
}

function describeFiles(row: ComparisonRow): string {
  if (row.sameFiles) return `yes (${row.dkms.files.length})`;
  const diff = [...row.onlyDkms.map((f) => `-${f}`), ...row.onlyKmodforge.map((f) => `+${f}`)];
  return `no: ${diff.join(' ')}`;
}

/** The Markdown table; in the files column `-` marks a file only dkms installed, `+` one only kmodforge did. */
export function formatComparisonTable(rows: readonly ComparisonRow[]): string {
  const lines = [
    '| package | dkms result | kmodforge result | same files? | dkms time | kmodforge time |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const row of rows) {
    lines.push(
      `| ${row.package} | ${row.dkms.result} | ${row.kmodforge.result}${row.sameResult ? '' : ' (differs)'} | ${describeFiles(row)} | ${row.dkms.seconds.toFixed(1)} s | ${row.kmodforge.seconds.toFixed(1)} s |`,
    );
  }
  const total = (side: 'dkms' | 'kmodforge'): string =>
    `${rows.reduce((sum, r) => sum + r[side].seconds, 0).toFixed(1)} s`;
  const differing = rows.filter(rowDiffers).length;
  lines.push(
    `| **total** (${rows.length - differing}/${rows.length} identical) | | | | ${total('dkms')} | ${total('kmodforge')} |`,
  );
  return `${lines.join('\n')}\n`;
}

/** What each failing or differing row printed, below the table. */
export function formatDetails(rows: readonly ComparisonRow[]): string {
  const parts: string[] = [];
  for (const row of rows) {
    for (const side of ['dkms', 'kmodforge'] as const) {
      if (row[side].log === '') continue;
      parts.push(`### ${row.package}: ${side} ${row[side].result}\n\n\`\`\`\n${row[side].log}\n\`\`\`\n`);
    }
  }
  return parts.join('\n');
}

async function run(argv: readonly string[]): Promise<number> {
  const keep = argv.includes('--keep');
  const packages = argv.filter((a) => !a.startsWith('--'));
  const unknown = packages.filter((p) => !(debianDkmsPackages as readonly string[]).includes(p));
  if (unknown.length > 0) {
    process.stderr.write(
      `unknown package ${unknown.join(', ')}; choose from ${debianDkmsPackages.join(', ')}\n`,
    );
    return 2;
  }
  const log = (line: string): void => {
    process.stderr.write(`${line}\n`);
  };
  const { kernel, rows } = await compareDkms({
    packages: packages.length > 0 ? packages : debianDkmsPackages,
    keep,
    log,
  });
  process.stdout.write(
    `dkms 3.0.10 vs kmodforge: add + install into throwaway roots, kernel ${kernel}\n\n${formatComparisonTable(rows)}`,
  );
  const details = formatDetails(rows);
  if (details !== '') process.stdout.write(`\n${details}`);
  return rows.some(rowDiffers) ? 1 : 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  process.exitCode = await run(process.argv.slice(2));
}
