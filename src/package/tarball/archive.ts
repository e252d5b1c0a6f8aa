import * as tar from 'tar';
import { KmodError } from '../../errors.ts';
import { baseEnv, runCommand, runOrThrow } from '../../exec/run.ts';
import { withTempDir } from '../../state/temp-dir.ts';
import { lstat, realpath } from 'node:fs/promises';
import path from 'node:path';
import { readTree } from '../../state/walk-tree.ts';
import { planCopiedParts, type TarballLoadPlan, type TarEntry } from './layout.ts';

// GNU tar writes and extracts archives, since it takes file names as the bytes they are (node-tar reads
// them as UTF-8 and mangles the others); node-tar lists them, since it gives each entry's type and link
// as data for the safety checks, which a name's bytes do not change.

/**
 * GNU tar's options for an archive whose bytes depend only on the files: sorted names, root as owner, one
 * time stamp, and gzip without a name or time of its own.
 */
export function reproducibleTarOptions(epoch: number): string[] {
  return [
    '--sort=name',
    `--mtime=@${epoch}`,
    '--owner=0',
    '--group=0',
    '--numeric-owner',
    '--format=gnu',
    '--use-compress-program=gzip -n -9',
  ];
}

/** Writes a gzipped tarball of everything under `dir`, as `tar -C dir -czf file .`, reproducibly. */
export async function writeTarball(dir: string, file: string, epoch: number): Promise<void> {
  await runOrThrow(
    'tar',
    ['--create', `--file=${file}`, `--directory=${dir}`, ...reproducibleTarOptions(epoch), '.'],
    { env: baseEnv() },
  );
}

/**
 * Lists every entry of a tarball, reading it to its end: a truncated or corrupt archive is refused here,
 * before anything is extracted.
 */
export async function readTarEntries(file: string): Promise<TarEntry[]> {
  const entries: TarEntry[] = [];
  await tar
    .t({
      file,
      strict: true,
      onReadEntry: (entry) => {
        entries.push({ path: entry.path, type: entry.type, linkpath: entry.linkpath });
        entry.resume();
      },
    })
    .catch((error: unknown) => {
      throw new KmodError(
        'ARCHIVE_INVALID',
        `${file}: not a readable tarball: ${error instanceof Error ? error.message : String(error)}`,
        { hint: 'nothing was written' },
      );
    });
  return entries;
}

/**
 * Extracts a tarball whose entries were checked (see planTarballLoad) into `dir`, keeping modes, not owners,
 * then checks what is really on disk: the entries the plan was made from are node-tar's reading of the
 * archive, the files are GNU tar's, and the two can differ (a pax header one of them skips). Every part
 * that will be copied must be a real directory holding only files, directories and links whose real
 * targets stay inside it (a chain of links can leave a part although each link alone stays in it), and
 * the dkms.conf read must be a plain file. Refuses with exit 9 otherwise.
 */
export async function extractCheckedTarball(file: string, dir: string, plan: TarballLoadPlan): Promise<void> {
  await runOrThrow('tar', ['--extract', `--file=${file}`, `--directory=${dir}`, '--no-same-owner'], {
    env: baseEnv(),
  });
  const problems: string[] = [];
  for (const part of planCopiedParts(plan)) problems.push(...(await readPartProblems(dir, part)));
  const conf = path.join(dir, plan.confDir, 'dkms.conf');
  const confStats = await lstat(conf).catch(() => undefined);
  if (confStats?.isFile() !== true)
    problems.push(`${path.join(plan.confDir, 'dkms.conf')} is not a plain file`);
  if (problems.length > 0) throw unsafeTarballError(file, problems);
}

/** Exit 9 for a tarball that is not safe to load, with every problem found, before anything is written. */
export function unsafeTarballError(file: string, problems: readonly string[]): KmodError {
  return new KmodError(
    'ARCHIVE_INVALID',
    `${file}: not a DKMS tarball kmodforge can load safely:\n${problems.map((p) => `  ${p}`).join('\n')}`,
    { hint: 'nothing was written' },
  );
}

/** What is wrong with one extracted part of a tarball, if anything. */
async function readPartProblems(dir: string, part: string): Promise<string[]> {
  const root = path.join(dir, part);
  const stats = await lstat(root).catch(() => undefined);
  if (stats?.isDirectory() !== true) return [`${part === '' ? '.' : part} is not a directory once extracted`];
  const realRoot = await realpath(root);
  const problems: string[] = [];
  for (const entry of await readTree(root)) {
    const name = path.join(part, entry.relative.toString());
    if (entry.kind === 'other') problems.push(`${name} is not a file, directory or link`);
    if (entry.kind !== 'link') continue;
    const target = await realpath(entry.path).catch(() => undefined);
    if (target === undefined) problems.push(`${name} is a link that leads nowhere`);
    else if (target !== realRoot && !target.startsWith(`${realRoot}/`))
      problems.push(`${name} is a link that leads out of ${part === '' ? 'the archive' : part}`);
  }
  return problems;
}

/**
 * What GNU tar says when it extracts an archive (into a temporary directory, removed afterwards): the
 * `dkms` front end prints it for an archive it cannot read, as dkms lets its `tar -xaf` speak.
 */
export async function readTarComplaints(file: string): Promise<string> {
  return withTempDir('kmodforge-tar-', async (dir) => {
    const result = await runCommand('tar', ['-xaf', file, '-C', dir], { env: baseEnv() });
    return result.stderr;
  });
}
