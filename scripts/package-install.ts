/**
 * `make install`: lays out the files scripts/package-layout.ts plans. Usage, as the Makefile runs it:
 *   tsx scripts/package-install.ts EXECUTABLE FILESDIR DOCS_SCRIPT [DESTDIR=… PREFIX=… …]
 * DOCS_SCRIPT (scripts/docs.ts) writes the man pages and completions from the command table.
 */
import { execa } from 'execa';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  parseInstallArgs,
  planInstall,
  planSubstitutions,
  substitute,
  type InstallDirs,
  type InstallOp,
  type SourceFile,
} from './package-layout.ts';

const root = path.resolve(import.meta.dirname, '..');
export const copyrightFile = path.join(root, 'packaging/debian/copyright');

export async function readSourceFiles(dir: string): Promise<SourceFile[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  const files: SourceFile[] = [];
  for (const entry of entries) {
    if (entry.isDirectory()) continue;
    const full = path.join(entry.parentPath, entry.name);
    if (!entry.isFile()) throw new Error(`${full}: only regular files can be installed`);
    files.push({ path: path.relative(dir, full), executable: ((await stat(full)).mode & 0o111) !== 0 });
  }
  return files;
}

export async function applyInstall(ops: readonly InstallOp[], dirs: InstallDirs): Promise<void> {
  const substitutions = planSubstitutions(dirs);
  for (const op of ops) {
    if (op.kind === 'dir') {
      await mkdir(op.target, { recursive: true });
      continue;
    }
    await mkdir(path.dirname(op.target), { recursive: true });
    await rm(op.target, { force: true });
    if (op.kind === 'link') {
      await symlink(op.linkTo, op.target);
      continue;
    }
    let contents = await readFile(op.source);
    if (op.substitute) contents = Buffer.from(substitute(contents.toString('utf8'), substitutions));
    // Level 9 and no name or time in the header, as Debian's packages have their man pages.
    if (op.gzip) contents = gzipSync(contents, { level: 9 });
    await writeFile(op.target, contents, { mode: op.mode });
    // writeFile's mode is filtered through the umask; the installed mode is the planned one.
    await chmod(op.target, op.mode);
  }
}

export async function install(
  executable: string,
  filesDir: string,
  docsScript: string,
  dirs: InstallDirs,
): Promise<void> {
  const docsDir = await mkdtemp(path.join(os.tmpdir(), 'kmodforge-docs-'));
  try {
    await execa(process.execPath, ['--import', 'tsx', docsScript, docsDir], { cwd: root, stdio: 'inherit' });
    const sources = {
      executable,
      filesDir,
      files: await readSourceFiles(filesDir),
      docsDir,
      copyright: copyrightFile,
    };
    await applyInstall(planInstall(dirs, sources), dirs);
  } finally {
    await rm(docsDir, { recursive: true, force: true });
  }
}

if (import.meta.filename === process.argv[1]) {
  const [executable, filesDir, docsScript, ...args] = process.argv.slice(2);
  if (executable === undefined || filesDir === undefined || docsScript === undefined)
    throw new Error('usage: package-install.ts EXECUTABLE FILESDIR DOCS_SCRIPT [NAME=value…]');
  const dirs = parseInstallArgs(args);
  // make runs this from the top of the tree, where a relative DESTDIR is meant.
  if (dirs.DESTDIR !== '') dirs.DESTDIR = path.resolve(dirs.DESTDIR);
  await install(path.resolve(executable), path.resolve(filesDir), path.resolve(docsScript), dirs);
}
