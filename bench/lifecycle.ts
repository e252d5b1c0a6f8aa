/**
 * kmodforge against dkms 3.0.10, measured in the same run on this machine, for what users wait on:
 * building one module for every installed kernel (dkms: one kernel after the other; kmodforge: in
 * parallel under one job budget), and `status` on a tree of many built modules.
 *
 *   npm run build && npx tsx bench/lifecycle.ts [--modules N] [--rounds N]
 *
 * Prints each side's median wall time and the ratio dkms/kmodforge (above 1: kmodforge is faster).
 * kmodforge runs as a real process (bin/kmodforge.js, so dist/ must be built), as users run it.
 */
import { execFile as execFileCallback } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { installedKernels, repoRoot } from '../test/support/debian-dkms.ts';
import {
  kmodforgeOptions,
  makeSigningKeyPair,
  makeTestRoot,
  runDkms,
  type TestRoot,
} from '../test/support/test-root.ts';

const execFile = promisify(execFileCallback);
const { values } = parseArgs({
  options: { modules: { type: 'string', default: '20' }, rounds: { type: 'string', default: '3' } },
});
const moduleCount = Number(values.modules);
const rounds = Number(values.rounds);
const fixture = path.join(repoRoot, 'test/fixtures/modules/kmf-simple');
const kernels = installedKernels();

async function kmodforge(root: TestRoot, args: readonly string[]): Promise<number> {
  const started = performance.now();
  await execFile(
    process.execPath,
    [path.join(repoRoot, 'bin/kmodforge.js'), ...args, ...kmodforgeOptions(root)],
    { maxBuffer: 1 << 26 },
  );
  return (performance.now() - started) / 1000;
}

async function dkms(root: TestRoot, args: readonly string[]): Promise<number> {
  const result = await runDkms(root, args);
  if (result.code !== 0)
    throw new Error(`dkms ${args.join(' ')} failed (${result.code}):\n${result.stdout}${result.stderr}`);
  return result.seconds;
}

const median = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

function report(name: string, dkmsTimes: number[], kmfTimes: number[]): void {
  const d = median(dkmsTimes);
  const k = median(kmfTimes);
  console.log(
    `${name.padEnd(44)} dkms ${d.toFixed(2).padStart(7)} s   kmodforge ${k.toFixed(2).padStart(7)} s   ratio ${(d / k).toFixed(2)}x`,
  );
}

const keyDir = await mkdtemp(path.join(os.tmpdir(), 'kmf-bench-keys-'));
const signing = await makeSigningKeyPair(keyDir);
const roots: TestRoot[] = [];
const newRoot = async (): Promise<TestRoot> => {
  const root = await makeTestRoot({ kernels, prefix: 'kmf-bench-', signing });
  roots.push(root);
  return root;
};

try {
  console.log(
    `${os.availableParallelism()} CPUs, ${kernels.length} kernels (${kernels.join(', ')}), median of ${rounds} rounds`,
  );

  const buildD: number[] = [];
  const buildK: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const a = await newRoot();
    await dkms(a, ['add', fixture]);
    buildD.push(
      await dkms(a, ['build', '-m', 'kmf-simple', '-v', '1.0', ...kernels.flatMap((k) => ['-k', k])]),
    );
    const b = await newRoot();
    buildK.push(await kmodforge(b, ['build', fixture, '--all-kernels']));
  }
  report(`build kmf-simple for ${kernels.length} kernels`, buildD, buildK);

  // A tree of many built modules: one real build, copied under other names (as dkms's own tests do).
  const tree = await newRoot();
  await kmodforge(tree, ['build', fixture, '--all-kernels']);
  for (let i = 1; i < moduleCount; i++) {
    const name = `kmf-simple${i}`;
    const source = path.join(tree.sourceTree, `${name}-1.0`);
    await cp(path.join(tree.sourceTree, 'kmf-simple-1.0'), source, { recursive: true });
    const conf = (await readFile(path.join(source, 'dkms.conf'), 'utf8')).replace(
      /PACKAGE_NAME="?kmf-simple"?/,
      `PACKAGE_NAME="${name}"`,
    );
    await writeFile(path.join(source, 'dkms.conf'), conf);
    await cp(path.join(tree.dkmsTree, 'kmf-simple'), path.join(tree.dkmsTree, name), {
      recursive: true,
      verbatimSymlinks: true,
    });
    await rm(path.join(tree.dkmsTree, name, '1.0', 'source'));
    await execFile('ln', ['-s', source, path.join(tree.dkmsTree, name, '1.0', 'source')]);
  }
  const statusD: number[] = [];
  const statusK: number[] = [];
  for (let i = 0; i < rounds; i++) {
    statusD.push(await dkms(tree, ['status']));
    statusK.push(await kmodforge(tree, ['status']));
  }
  report(`status, ${moduleCount} modules x ${kernels.length} kernels (copied builds)`, statusD, statusK);

  // The same number of modules, each built by kmodforge itself: status reads their build records.
  const built = await newRoot();
  for (let i = 0; i < moduleCount; i++) {
    const source = path.join(built.root, 'src', `kmf-simple${i}`);
    await cp(fixture, source, { recursive: true });
    const conf = (await readFile(path.join(source, 'dkms.conf'), 'utf8')).replace(
      /PACKAGE_NAME="?kmf-simple"?/,
      `PACKAGE_NAME="kmf-simple${i}"`,
    );
    await writeFile(path.join(source, 'dkms.conf'), conf);
    await kmodforge(built, ['build', source, '--all-kernels']);
  }
  const recordedD: number[] = [];
  const recordedK: number[] = [];
  for (let i = 0; i < rounds; i++) {
    recordedD.push(await dkms(built, ['status']));
    recordedK.push(await kmodforge(built, ['status']));
  }
  report(
    `status, ${moduleCount} modules x ${kernels.length} kernels (built by kmodforge)`,
    recordedD,
    recordedK,
  );
} finally {
  await Promise.all(roots.map((root) => root.cleanup()));
  await rm(keyDir, { recursive: true, force: true });
}
