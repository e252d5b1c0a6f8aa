import { createHash } from 'node:crypto';
import { chmod, lstat, mkdir, readFile, readdir, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { baseEnv, runOrThrow } from '../../exec/run.ts';
import { writeThroughStaging } from '../../state/atomic.ts';

export interface DebContents {
  control: string;
  /** Maintainer scripts by name (postinst, prerm, …). */
  scripts: Readonly<Record<string, string>>;
  copyright: string;
  changelog: string;
}

async function walk(dir: string, base = dir): Promise<string[]> {
  const files: string[] = [];
  for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) =>
    a.name < b.name ? -1 : 1,
  )) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(full, ...(await walk(full, base)));
    else files.push(full);
  }
  return files;
}

/** Sum of file sizes in KiB (rounded up per file), as dpkg-gencontrol's Installed-Size. */
export async function readInstalledSize(root: string): Promise<number> {
  let total = 0;
  for (const file of await walk(root)) {
    const s = await lstat(file);
    total += s.isFile() ? Math.ceil(s.size / 1024) : 1;
  }
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
  await mkdir(doc, { recursive: true });
  await writeFile(path.join(doc, 'copyright'), contents.copyright);
  await writeFile(
    path.join(doc, 'changelog.Debian.gz'),
    gzipSync(Buffer.from(contents.changelog), { level: 9 }),
  );
  const debian = path.join(root, 'DEBIAN');
  await mkdir(debian, { recursive: true });
  const sums: string[] = [];
  for (const file of await walk(root)) {
    if (file.startsWith(`${debian}/`) || file === debian || !(await lstat(file)).isFile()) continue;
    sums.push(
      `${createHash('md5')
        .update(await readFile(file))
        .digest('hex')}  ${path.relative(root, file)}`,
    );
  }
  await writeFile(path.join(debian, 'md5sums'), `${sums.join('\n')}\n`);
  await writeFile(path.join(debian, 'control'), contents.control);
  for (const [name, text] of Object.entries(contents.scripts)) {
    await writeFile(path.join(debian, name), text);
    await chmod(path.join(debian, name), 0o755);
  }
  for (const file of [...(await walk(root)), root]) {
    const s = await lstat(file);
    if (!s.isSymbolicLink()) {
      await chmod(file, s.isDirectory() || (s.mode & 0o111) !== 0 ? 0o755 : 0o644);
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
