/**
 * The inputs the rows share: module sources made from test/fixtures/modules/kmf-simple under other
 * names, kernel releases fabricated by copying builds, and what a tree holds after a build.
 */
import { cp, lstat, mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { repoRoot } from '../test/support/debian-dkms.ts';
import { arch, fixtureDir, type TestRoot } from '../test/support/test-root.ts';

/** The ten-file module of the build rows. */
export const bench10 = {
  dir: path.join(repoRoot, 'bench', 'fixtures', 'kmf-bench10'),
  name: 'kmf-bench10',
  version: '1.0',
};

/**
 * Writes `<parent>/kmf-simple<i>`: kmf-simple with its package AND its .ko renamed, so that several
 * copies can be installed for one kernel side by side (with one .ko name, each install would replace the
 * last one's file and leave it "built", not installed). Returns the source directory and module name.
 */
export async function makeSimpleCopy(parent: string, i: number): Promise<{ dir: string; name: string }> {
  const name = `kmf-simple${i}`;
  const ko = `kmf_simple${i}`;
  const dir = path.join(parent, name);
  await mkdir(parent, { recursive: true });
  await cp(fixtureDir('kmf-simple'), dir, { recursive: true });
  await rename(path.join(dir, 'kmf_simple.c'), path.join(dir, `${ko}.c`));
  await edit(path.join(dir, 'Makefile'), (t) => t.replace('obj-m := kmf_simple.o', `obj-m := ${ko}.o`));
  await edit(path.join(dir, 'dkms.conf'), (t) =>
    t
      .replace(/PACKAGE_NAME="?kmf-simple"?/, `PACKAGE_NAME="${name}"`)
      .replace(/BUILT_MODULE_NAME\[0\]="?kmf_simple"?/, `BUILT_MODULE_NAME[0]="${ko}"`),
  );
  return { dir, name };
}

async function edit(file: string, change: (text: string) => string): Promise<void> {
  const before = await readFile(file, 'utf8');
  const after = change(before);
  if (after === before) throw new Error(`the fixture changed: nothing to edit in ${file}`);
  await writeFile(file, after);
}

/**
 * `count` kernel releases that are not installed, named like `template` (6.1.0-56-amd64 gives
 * 6.1.0-55-amd64, 6.1.0-54-amd64, ...), so that both tools parse them as ordinary Debian releases.
 */
export function fabricatedKernels(template: string, count: number, taken: readonly string[]): string[] {
  const debian = /^(\d+\.\d+\.\d+-)(\d+)(-.+)$/.exec(template);
  const names: string[] = [];
  for (let n = 1; names.length < count; n++) {
    const abi = Number(debian?.[2]) - n;
    const name =
      debian === null || !(abi >= 0) ? `${template}+bench${n}` : `${debian[1] ?? ''}${abi}${debian[3] ?? ''}`;
    if (!taken.includes(name)) names.push(name);
  }
  return names;
}

/**
 * Copies a module's build for `from` under each of `to` in a root's dkms tree
 * (`<m>/<v>/<from>/<arch>` → `<m>/<v>/<to>/<arch>`), as dkms's own tests fabricate builds: status needs
 * no headers, only the tree.
 */
export async function copyBuild(
  root: TestRoot,
  module: string,
  version: string,
  from: string,
  to: readonly string[],
): Promise<void> {
  const source = path.join(root.dkmsTree, module, version, from, arch);
  for (const kernel of to)
    await cp(source, path.join(root.dkmsTree, module, version, kernel, arch), {
      recursive: true,
      verbatimSymlinks: true,
    });
}

/** The kernels a module has a built .ko for in a root (`<m>/<v>/<K>/<arch>/module/*.ko*`). */
export async function builtKernels(
  root: TestRoot,
  module: string,
  version: string,
  kernels: readonly string[],
): Promise<string[]> {
  const built: string[] = [];
  for (const kernel of kernels) {
    const dir = path.join(root.dkmsTree, module, version, kernel, arch, 'module');
    const files = await readdir(dir).catch(() => []);
    if (files.some((f) => f.includes('.ko'))) built.push(kernel);
  }
  return built;
}

/** The kernels a module is installed for in a root: dkms's marker, `<m>/kernel-<K>-<arch>`, which kmodforge keeps too. */
export async function installedFor(
  root: TestRoot,
  module: string,
  kernels: readonly string[],
): Promise<string[]> {
  const found: string[] = [];
  for (const kernel of kernels) {
    const marker = path.join(root.dkmsTree, module, `kernel-${kernel}-${arch}`);
    if (
      await lstat(marker).then(
        () => true,
        () => false,
      )
    )
      found.push(kernel);
  }
  return found;
}

/** A kernel release without the shared part, for narrow tables: 6.1.0-56-rt-amd64 → rt-amd64. */
export function shortKernel(kernel: string): string {
  return /^\d+\.\d+\.\d+-\d+-(.+)$/.exec(kernel)?.[1] ?? kernel;
}
