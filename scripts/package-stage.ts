/**
 * What the .deb and .rpm builders share: the version, a date, and the staged tree, which is what
 * `make install` lays out (the one list of files), into a temporary directory.
 */
import { execa } from 'execa';
import { lstat, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export const root = path.resolve(import.meta.dirname, '..');
export const packagesDir = path.join(root, 'dist-packages');

export async function readPackageVersion(): Promise<string> {
  const manifest = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as { version: string };
  return manifest.version;
}

/** SOURCE_DATE_EPOCH, else the last commit's time, else now: the changelogs' date. */
export async function readSourceDate(): Promise<number> {
  const fromEnv = process.env['SOURCE_DATE_EPOCH'];
  if (fromEnv !== undefined && /^\d+$/.test(fromEnv)) return Number(fromEnv);
  const git = await execa('git', ['log', '-1', '--format=%ct'], { cwd: root, reject: false });
  return git.exitCode === 0 && /^\d+$/.test(git.stdout) ? Number(git.stdout) : Math.floor(Date.now() / 1000);
}

/**
 * Runs `make install` into a new temporary directory with these make variables, then `use` on it, and
 * removes it. make builds the single executable first when it is older than the sources.
 */
export async function withStagedInstall<T>(
  variables: Record<string, string>,
  use: (staging: string) => Promise<T>,
): Promise<T> {
  const staging = await mkdtemp(path.join(os.tmpdir(), 'kmodforge-stage-'));
  try {
    const args = Object.entries({ ...variables, DESTDIR: staging }).map(
      ([name, value]) => `${name}=${value}`,
    );
    await execa('make', ['--no-print-directory', 'install', ...args], { cwd: root, stdio: 'inherit' });
    return await use(staging);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** Every path under `dir`, relative to it, with its kind and whether it is an executable file; sorted. */
export async function listTree(
  dir: string,
): Promise<{ path: string; isDir: boolean; executable: boolean }[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  const tree = [];
  for (const e of entries) {
    const full = path.join(e.parentPath, e.name);
    const executable = e.isFile() && ((await lstat(full)).mode & 0o111) !== 0;
    tree.push({ path: path.relative(dir, full), isDir: e.isDirectory(), executable });
  }
  return tree.sort((a, b) => a.path.localeCompare(b.path));
}
