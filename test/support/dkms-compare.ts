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
 * A test-support entry point (scripts/ does not import from test/), run by hand as
 *
 *   npx tsx test/support/dkms-compare.ts [--keep] [package...]
 *
 * and, for three fast packages, by test/integration/interop/compare-dkms.test.ts.
 *
 * The roots are test-root.ts makeTestRoot's (see there how neither tool touches the real /lib/modules,
 * /var/lib/dkms or /usr/src); kmodforge also gets `--root <root>`. Both sides sign with one key pair
 * generated up front and copied into each root's dkms tree, so neither spends time generating one.
 * kmodforge runs in-process (no Node start-up in its time); dkms runs as a child process.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { debianDkmsPackages, fetchDebianDkmsPackage, installedKernels } from './debian-dkms.ts';
import {
  findModuleFiles,
  makeSigningKeyPair,
  makeTestRoot,
  runDkms,
  runKmodforge,
  type SigningKeyPair,
  type TestRootOptions,
} from './test-root.ts';

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
  signing?: SigningKeyPair | undefined;
  log?: (line: string) => void;
}

/** Installs one package with dkms into one fresh root and with kmodforge into another, and compares. */
export async function comparePackage(
  name: string,
  kernel: string,
  options: CompareOptions = {},
): Promise<ComparisonRow> {
  const pkg = await fetchDebianDkmsPackage(name);
  const rootOptions: TestRootOptions = {
    kernels: [kernel],
    prefix: `kmf-compare-${name}-`,
    signing: options.signing,
  };
  const a = await makeTestRoot(rootOptions);
  const b = await makeTestRoot(rootOptions);
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
    if (options.keep === true) options.log?.(`${name}: dkms root ${a.root}, kmodforge root ${b.root}`);
    else await Promise.all([a.cleanup(), b.cleanup()]);
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
    const signing = options.signing ?? (await makeSigningKeyPair(keys));
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
