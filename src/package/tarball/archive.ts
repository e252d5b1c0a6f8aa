import * as tar from 'tar';
import { KmodError } from '../../errors.ts';
import { baseEnv, runOrThrow } from '../../exec/run.ts';
import type { TarEntry } from './layout.ts';

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

/** Extracts a tarball whose entries were checked (see planTarballLoad) into `dir`, keeping modes, not owners. */
export async function extractTarball(file: string, dir: string): Promise<void> {
  await runOrThrow('tar', ['--extract', `--file=${file}`, `--directory=${dir}`, '--no-same-owner'], {
    env: baseEnv(),
  });
}
