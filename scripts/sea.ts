/**
 * The single executable that packages install as `kmodforge` (and `dkms`, a link to it): the Node that runs
 * this script (process.execPath) with the CLI injected as a Node single-executable application. A kernel
 * hook that runs at boot or from dpkg then needs no Node on PATH (Debian 12's is too old).
 *
 * Node 20's SEA runs one CommonJS script that may require only Node's own modules, so the CLI is bundled
 * again, as one CommonJS file from src/cli/sea-main.ts; files the code reads beside itself
 * (source-spec.ts's) go in as SEA assets. Usage: `tsx scripts/sea.ts [output]` (default dist-sea/kmodforge).
 */
import { build } from 'esbuild';
import { execa } from 'execa';
import { chmod, copyFile, mkdir, mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { shippedFiles } from './bundle.ts';

const root = path.resolve(import.meta.dirname, '..');
export const seaDir = path.join(root, 'dist-sea');
export const seaExecutable = path.join(seaDir, 'kmodforge');
/** Node's: the SEA blob's resource name, and the string whose last byte says a blob is injected. */
const blobResource = 'NODE_SEA_BLOB';
const seaFuse = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

export async function buildSea(output: string): Promise<void> {
  // A directory of its own beside the output: two builds at once (npm run deb and rpm) keep their blobs
  // apart, and the executable is renamed into place on one file system.
  await mkdir(path.dirname(output), { recursive: true });
  const work = await mkdtemp(path.join(path.dirname(output), '.kmodforge-sea-'));
  try {
    await buildSeaIn(work, output);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  const { size } = await stat(output);
  console.log(`${path.relative(root, output)}: Node ${process.version}, ${(size / 2 ** 20).toFixed(1)} MiB`);
}

async function buildSeaIn(work: string, output: string): Promise<void> {
  const script = path.join(work, 'kmodforge.cjs');
  await build({
    absWorkingDir: root,
    entryPoints: ['src/cli/sea-main.ts'],
    outfile: script,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    // import.meta does not exist in CommonJS. In a SEA __filename is the executable, so a URL resolved
    // against it is a valid one; what source-spec.ts reads that way comes from the SEA's assets instead.
    define: { 'import.meta.url': '__kmfImportMetaUrl' },
    banner: { js: "const __kmfImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
    logLevel: 'warning',
  });

  const blob = path.join(work, 'kmodforge.blob');
  const config = path.join(work, 'sea-config.json');
  await writeFile(
    config,
    JSON.stringify({
      main: script,
      output: blob,
      disableExperimentalSEAWarning: true,
      // V8's compiled code for the script, made now: start-up skips compiling the bundle's top level.
      useCodeCache: true,
      assets: Object.fromEntries(shippedFiles.map((file) => [path.basename(file), path.join(root, file)])),
    }),
  );
  await execa(process.execPath, ['--experimental-sea-config', config], { cwd: work });

  // Node's own symbols and debug information are most of its size; no one debugs this copy, and an
  // unstripped binary is an error to lintian and rpmlint. Stripped before the blob goes in, which strip
  // would not keep.
  const executable = path.join(work, 'kmodforge');
  await copyFile(process.execPath, executable);
  await chmod(executable, 0o755);
  await execa('strip', ['--strip-all', '--remove-section=.comment', executable]);
  await execa(process.execPath, [
    path.join(root, 'node_modules/postject/dist/cli.js'),
    executable,
    blobResource,
    blob,
    '--sentinel-fuse',
    seaFuse,
  ]);
  await rename(executable, output);
}

if (import.meta.filename === process.argv[1]) await buildSea(path.resolve(process.argv[2] ?? seaExecutable));
