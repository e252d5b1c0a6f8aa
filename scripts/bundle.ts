/**
 * The CLI as it ships: src/cli/main.ts bundled by esbuild into dist/main.js and chunks beside it. Commands
 * are imported with import() (src/cli/command-table.ts), so each lands in its own chunk and a run loads
 * only the code of the command it runs; startup is most of the time of `--version` or a quick `status`.
 */
import { build, type Metafile } from 'esbuild';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
export const distDir = path.join(root, 'dist');
export const entryPoint = 'src/cli/main.ts';
/** esbuild's account of the bundle (inputs of each output, imports between outputs), written last. */
export const metafilePath = path.join(distDir, 'meta.json');
/**
 * Files the code reads beside itself with `new URL('./name', import.meta.url)` (source-spec.ts): once
 * bundled, that URL is the chunk's, and every chunk is in dist/. The single executable carries them as
 * assets instead (scripts/sea.ts).
 */
export const shippedFiles = ['src/package/rpm/kmod-build.sh', 'src/package/rpm/source.spec.in'];
/** Inputs of the bundle besides src/. */
const buildInputs = ['package.json', 'scripts/bundle.ts'];

/**
 * Builds the bundle. Each file is written whole and renamed into place, chunks before the entry that
 * imports them and the metafile last, so a CLI started meanwhile (another test run) sees a whole bundle.
 * `clean` first removes dist/, which leaves no chunk of an older build behind.
 */
export async function buildBundle({ clean }: { clean: boolean }): Promise<void> {
  const result = await build({
    absWorkingDir: root,
    entryPoints: [entryPoint],
    outdir: distDir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // commander is CommonJS: its require() of Node's modules needs a real require in an ES module.
    banner: {
      js: "import { createRequire as __kmfRequire } from 'node:module';\nconst require = __kmfRequire(import.meta.url);",
    },
    metafile: true,
    write: false,
    logLevel: 'warning',
  });
  if (clean) await rm(distDir, { recursive: true, force: true });
  await mkdir(distDir, { recursive: true });
  for (const resource of shippedFiles)
    await writeWhole(path.join(distDir, path.basename(resource)), await readFile(path.join(root, resource)));
  const entry = path.join(distDir, 'main.js');
  const ordered = [
    ...result.outputFiles.filter((f) => f.path !== entry),
    ...result.outputFiles.filter((f) => f.path === entry),
  ];
  for (const file of ordered) await writeWhole(file.path, file.contents);
  await writeWhole(metafilePath, JSON.stringify(result.metafile));
}

async function writeWhole(file: string, contents: Uint8Array | string): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, contents);
  await rename(temp, file);
}

/** Whether dist/ holds a bundle of the current sources: every output there, none older than an input. */
export async function isBundleFresh(): Promise<boolean> {
  let built: number;
  let metafile: Metafile;
  try {
    built = (await stat(metafilePath)).mtimeMs;
    metafile = JSON.parse(await readFile(metafilePath, 'utf8')) as Metafile;
    for (const output of Object.keys(metafile.outputs)) await stat(path.join(root, output));
  } catch {
    return false;
  }
  const inputs = [
    ...(await listFiles(path.join(root, 'src'))),
    ...buildInputs.map((f) => path.join(root, f)),
  ];
  for (const input of inputs) if ((await stat(input)).mtimeMs > built) return false;
  return true;
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}
