import { createHash } from 'node:crypto';
import { chmod, lstat, readFile, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { baseEnv, runOrThrow } from '../../exec/run.ts';
import { writeThroughStaging } from '../../state/atomic.ts';
import { readTree } from '../../state/walk-tree.ts';
import { makeDirs } from '../../state/fs.ts';

export interface DebContents {
  control: string;
  /** Maintainer scripts by name (postinst, prerm, …). */
  scripts: Readonly<Record<string, string>>;
  copyright: string;
  changelog: string;
}

/** Sum of file sizes in KiB (rounded up per file), as dpkg-gencontrol's Installed-Size. */
export async function readInstalledSize(root: string): Promise<number> {
  let total = 0;
  for (const entry of await readTree(root))
    total += entry.kind === 'file' ? Math.ceil((await lstat(entry.path)).size / 1024) : 1;
  return total;
}

/**
 * Builds a .deb from a staged root: writes DEBIAN/ (control, scripts, md5sums), the doc files, sets every
 * time stamp to SOURCE_DATE_EPOCH and runs dpkg-deb with root ownership, so the same inputs give the same
 * bytes.
 */
export async function runDpkgDeb(options: {
  root: string;
  docName: string;
  contents: DebContents;
  out: string;
  sourceDateEpoch: number;
}): Promise<string> {
  const { root, contents } = options;
  const doc = path.join(root, 'usr/share/doc', options.docName);
  await makeDirs(doc);
  await writeFile(path.join(doc, 'copyright'), contents.copyright);
  await writeFile(
    path.join(doc, 'changelog.Debian.gz'),
    gzipSync(Buffer.from(contents.changelog), { level: 9 }),
  );
  const debian = path.join(root, 'DEBIAN');
  await makeDirs(debian);
  // md5sums names files by their bytes, as dpkg does.
  const sums: Buffer[] = [];
  for (const { path: file, relative, kind } of await readTree(root)) {
    if (kind !== 'file' || relative.toString('latin1').startsWith('DEBIAN/')) continue;
    const md5 = createHash('md5')
      .update(await readFile(file))
      .digest('hex');
    sums.push(Buffer.from(`${md5}  `), relative, Buffer.from('\n'));
  }
  await writeFile(path.join(debian, 'md5sums'), Buffer.concat(sums));
  await writeFile(path.join(debian, 'control'), contents.control);
  for (const [name, text] of Object.entries(contents.scripts)) {
    await writeFile(path.join(debian, name), text);
    await chmod(path.join(debian, name), 0o755);
  }
  for (const file of [...(await readTree(root)).map((e) => e.path), Buffer.from(root)]) {
    const stats = await lstat(file);
    if (!stats.isSymbolicLink()) {
      await chmod(file, stats.isDirectory() || (stats.mode & 0o111) !== 0 ? 0o755 : 0o644);
      await utimes(file, options.sourceDateEpoch, options.sourceDateEpoch);
    }
  }
  await writeThroughStaging(options.out, async (temp) => {
    await runOrThrow('dpkg-deb', ['--root-owner-group', '-Zxz', '--build', root, temp], {
      env: baseEnv({ SOURCE_DATE_EPOCH: String(options.sourceDateEpoch) }),
      timeoutMs: 30 * 60 * 1000,
    });
  });
  return options.out;
}
