/**
 * Test support: a real-world corpus of dkms.conf files, taken from Debian's *-dkms packages.
 *
 * Packages are fetched with `apt-get download` into `<repo>/.cache/debs/` and extracted with
 * `dpkg-deb -x` into `<repo>/.cache/debs/<name>/`; both are reused on later runs.
 */
import { execFile as execFileCallback } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFile = promisify(execFileCallback);

export const debianDkmsPackages = [
  'v4l2loopback-dkms',
  'acpi-call-dkms',
  'dahdi-dkms',
  'ddcci-dkms',
  'digimend-dkms',
  'evdi-dkms',
  'gost-crypto-dkms',
  'jool-dkms',
  'nat-rtsp-dkms',
  'rapiddisk-dkms',
  'tp-smapi-dkms',
  'xtables-addons-dkms',
] as const;

export type DebianDkmsPackageName = (typeof debianDkmsPackages)[number];

export interface FetchedDkmsPackage {
  /** The Debian package name, e.g. `v4l2loopback-dkms`. */
  name: string;
  /** Absolute path of the downloaded .deb. */
  deb: string;
  /** Absolute path of the extracted package tree (`<repo>/.cache/debs/<name>`). */
  root: string;
  /** Absolute path of `<root>/usr/src/<pkg>-<ver>`. */
  sourceDir: string;
  /** Absolute path of `<sourceDir>/dkms.conf`. */
  confPath: string;
  /** `<pkg>` from the `usr/src/<pkg>-<ver>` directory name. */
  packageName: string;
  /** `<ver>` from the `usr/src/<pkg>-<ver>` directory name. */
  packageVersion: string;
}

/** The repository root (two levels above this file). */
export const repoRoot = path.resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');

/** Where .debs are downloaded to and extracted in. */
export const debCacheDir = path.join(repoRoot, '.cache', 'debs');

const debianPackageName = /^[a-z0-9][a-z0-9+.-]+$/;

/** Lists `/lib/modules/*` entries that have headers (a `build/include` directory), sorted. */
export function installedKernels(): string[] {
  const modulesDir = '/lib/modules';
  if (!existsSync(modulesDir)) return [];
  return readdirSync(modulesDir)
    .filter((kernel) => {
      try {
        return statSync(path.join(modulesDir, kernel, 'build', 'include')).isDirectory();
      } catch {
        return false;
      }
    })
    .sort();
}

/** Downloads (or reuses) and extracts (or reuses) a Debian package and locates its dkms.conf. */
export async function fetchDebianDkmsPackage(name: string): Promise<FetchedDkmsPackage> {
  if (!debianPackageName.test(name)) throw new Error(`not a Debian package name: ${JSON.stringify(name)}`);
  await mkdir(debCacheDir, { recursive: true });
  const deb = await downloadDeb(debCacheDir, name);
  const root = await ensureExtracted(name, deb);
  const { sourceDir, confPath } = await findDkmsConf(root);
  const { packageName, packageVersion } = splitSourceDirName(
    path.basename(sourceDir),
    await readFile(confPath),
  );
  return { name, deb, root, sourceDir, confPath, packageName, packageVersion };
}

/** The newest `<name>_*.deb` in `dir`. */
async function findDeb(dir: string, name: string): Promise<string | undefined> {
  const prefix = `${name}_`;
  const candidates = (await readdir(dir)).filter((f) => f.startsWith(prefix) && f.endsWith('.deb'));
  let best: { file: string; mtimeMs: number } | undefined;
  for (const f of candidates) {
    const file = path.join(dir, f);
    const { mtimeMs } = await stat(file);
    if (best === undefined || mtimeMs > best.mtimeMs) best = { file, mtimeMs };
  }
  return best?.file;
}

/** In-process queue; the `flock` below serializes against other processes (vitest workers, other runs). */
let downloadQueue: Promise<unknown> = Promise.resolve();

// Runs with cwd = cache dir, $1 = package name. Downloads into a private temp dir and moves the .deb
// into place only when complete, so a killed run never leaves a truncated .deb under its final name.
const downloadScript = `
set -e
name=$1
for f in "$name"_*.deb; do [ -e "$f" ] && exit 0; done
tmp=$(mktemp -d "$PWD/.download-$name.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
if ! apt-get download "$name"; then
  echo "apt-get download $name failed; running apt-get update and retrying" >&2
  apt-get update
  apt-get download "$name"
fi
for f in "$name"_*.deb; do mv -f "$f" ../; done
`;

/**
 * The newest `<name>_*.deb` in `dir`, downloaded with apt-get first when there is none: under flock (and an
 * in-process queue), so that parallel test files and runs fetch each package once.
 */
export async function downloadDeb(dir: string, name: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const existing = await findDeb(dir, name);
  if (existing !== undefined) return existing;
  const run = downloadQueue.then(async () => {
    const lockFile = path.join(dir, '.download.lock');
    try {
      await execFile('flock', ['-w', '900', lockFile, 'bash', '-c', downloadScript, 'download', name], {
        cwd: dir,
        maxBuffer: 64 * 1024 * 1024,
      });
    } catch (error) {
      throw new Error(`downloading ${name} failed: ${describeExecError(error)}`, { cause: error });
    }
  });
  downloadQueue = run.catch(() => undefined);
  await run;
  const deb = await findDeb(dir, name);
  if (deb === undefined) throw new Error(`apt-get download ${name} produced no ${name}_*.deb in ${dir}`);
  return deb;
}

async function ensureExtracted(name: string, deb: string): Promise<string> {
  const root = path.join(debCacheDir, name);
  if (existsSync(root)) return root;
  const tmp = await mkdtemp(path.join(debCacheDir, `.extract-${name}.`));
  try {
    await execFile('dpkg-deb', ['-x', deb, tmp], { maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    await rm(tmp, { recursive: true, force: true });
    throw new Error(`dpkg-deb -x ${deb} failed: ${describeExecError(error)}`, { cause: error });
  }
  try {
    await rename(tmp, root);
  } catch (error) {
    // Another process finished first: keep its tree, drop ours.
    await rm(tmp, { recursive: true, force: true });
    if (!existsSync(root)) throw error;
  }
  return root;
}

async function findDkmsConf(root: string): Promise<{ sourceDir: string; confPath: string }> {
  const usrSrc = path.join(root, 'usr', 'src');
  const entries = existsSync(usrSrc) ? await readdir(usrSrc, { withFileTypes: true }) : [];
  const found = entries
    .filter((e) => e.isDirectory() && existsSync(path.join(usrSrc, e.name, 'dkms.conf')))
    .map((e) => path.join(usrSrc, e.name));
  const [sourceDir] = found;
  if (found.length !== 1 || sourceDir === undefined) {
    throw new Error(
      `expected exactly one usr/src/<pkg>-<ver>/dkms.conf under ${root}, found ${found.length}`,
    );
  }
  return { sourceDir, confPath: path.join(sourceDir, 'dkms.conf') };
}

/**
 * Splits `<pkg>-<ver>` (both parts may contain `-`). Prefers the split whose version the dkms.conf
 * assigns literally to PACKAGE_VERSION; otherwise the first `-` followed by a digit.
 */
function splitSourceDirName(dirName: string, conf: Buffer): { packageName: string; packageVersion: string } {
  const text = conf.toString('utf8');
  const splits: { packageName: string; packageVersion: string }[] = [];
  for (let i = dirName.indexOf('-'); i > 0; i = dirName.indexOf('-', i + 1)) {
    const packageVersion = dirName.slice(i + 1);
    if (packageVersion !== '') splits.push({ packageName: dirName.slice(0, i), packageVersion });
  }
  const literal = splits.find(({ packageVersion }) => {
    const escaped = packageVersion.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    return new RegExp(`^\\s*PACKAGE_VERSION=(["']?)${escaped}\\1\\s*(#.*)?$`, 'm').test(text);
  });
  const chosen = literal ?? splits.find(({ packageVersion }) => /^\d/.test(packageVersion)) ?? splits[0];
  if (chosen === undefined) throw new Error(`cannot split ${JSON.stringify(dirName)} into <pkg>-<ver>`);
  return chosen;
}

/** execFile's error message already carries the command and its stderr. */
function describeExecError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
