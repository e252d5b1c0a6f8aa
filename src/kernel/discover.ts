import { lstat, readlink, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { isErrno } from '../errors.ts';
import type { Paths } from '../paths.ts';
import { compareKernelReleases } from '../version/kernel.ts';
import { parseKernelConfig, planConfigFacts, planConfigMachine, type KernelConfigFacts } from './kconfig.ts';
import { kernelReleaseProblem, parseKernelRelease, type FlavorRule, type KernelRelease } from './release.ts';
import { isDir, listDir, readOptional } from '../state/fs.ts';

export interface KernelInfo extends KernelRelease {
  /** <installTree>/<release>: where its modules live. */
  modulesDir: string;
  /** The kernel's build (headers) directory when it has one with include/ in it, symlinks resolved. */
  headersDir: string | undefined;
  /**
   * The path dkms.conf and make see as $kernel_source_dir: <installTree>/<K>/build as dkms has it when that
   * link leads to the headers on the live system, else headersDir (a link's absolute target would name the
   * host's headers, not the staged root's).
   */
  sourceDir: string | undefined;
  config: KernelConfigFacts | undefined;
}

/**
 * Resolves a symlink chain the way it resolves inside the system under root: an absolute target such as
 * /usr/src/linux-headers-6.1.0-56-amd64 means <root>/usr/src/…, not the host's.
 */
export async function resolveInRoot(root: string, file: string): Promise<string> {
  let current = file;
  for (let hops = 0; hops < 40; hops++) {
    let target: string;
    try {
      if (!(await lstat(current)).isSymbolicLink()) return current;
      target = await readlink(current);
    } catch (error) {
      if (isErrno(error, 'ENOENT', 'ENOTDIR')) return current;
      throw error;
    }
    current = path.isAbsolute(target) ? path.join(root, target) : path.resolve(path.dirname(current), target);
  }
  return current;
}

/** Headers are usable when the directory has include/ (what dkms checks before building). */
async function headersIn(dir: string): Promise<string | undefined> {
  return (await isDir(path.join(dir, 'include'))) ? dir : undefined;
}

/**
 * Reads the kernel's .config (or include/config/auto.conf, or /boot/config-<K>) into facts; a file given
 * instead (dkms's --config) comes first.
 */
export async function readKernelConfig(
  root: string,
  release: string,
  headersDir: string | undefined,
  configFile?: string,
): Promise<KernelConfigFacts | undefined> {
  const candidates = [
    ...(configFile === undefined ? [] : [configFile]),
    ...(headersDir === undefined
      ? []
      : [path.join(headersDir, '.config'), path.join(headersDir, 'include/config/auto.conf')]),
    path.join(root, 'boot', `config-${release}`),
  ];
  for (const file of candidates) {
    const text = await readOptional(file);
    if (text !== undefined) return planConfigFacts(file, parseKernelConfig(text));
  }
  return undefined;
}

/**
 * A kernel's release as parsed, the arch taken from its .config where the release names none (a custom
 * kernel's 6.1.192-1host108), so that it is known whether or not a flavor rule matches.
 */
function describeKernel(
  release: string,
  rules: readonly FlavorRule[],
  config: KernelConfigFacts | undefined,
): KernelRelease {
  const parsed = parseKernelRelease(release, rules);
  return {
    ...parsed,
    arch: parsed.arch ?? (config === undefined ? undefined : planConfigMachine(config.values)),
  };
}

/** <root>/lib/modules: where kernels keep their build links, whatever --installtree says (as in dkms 3.0.10). */
function systemModulesDir(paths: Paths): string {
  return path.join(paths.root, 'lib/modules');
}

/** The first of <root>/lib/modules/<K>/build and <installTree>/<K>/build that leads to headers. */
async function findBuildLink(
  paths: Paths,
  release: string,
): Promise<{ link: string; headers: string } | undefined> {
  for (const dir of new Set([systemModulesDir(paths), paths.installTree])) {
    const link = path.join(dir, release, 'build');
    const headers = await headersIn(await resolveInRoot(paths.root, link));
    if (headers !== undefined) return { link, headers };
  }
  return undefined;
}

async function planSourceDir(
  paths: Paths,
  release: string,
  headersDir: string | undefined,
): Promise<string | undefined> {
  if (headersDir === undefined) return undefined;
  if (paths.root !== '/') return headersDir;
  const found = await findBuildLink(paths, release);
  return found !== undefined && (await realpath(found.link)) === headersDir ? found.link : headersDir;
}

/** Whether path is a regular file, following links (bash's `-f`). */
async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch (error) {
    if (isErrno(error, 'ENOENT', 'ENOTDIR')) return false;
    throw error;
  }
}

/**
 * The seed's kernel-source layout, <root>/usr/src/linux-<release>/ (Red Hat's kernel-source, a kernel
 * built in place): the release of each configured tree there. A pristine unpacked source (no .config) is
 * not a kernel yet, nor is a tree whose include/config/kernel.release names another release; Debian's
 * linux-headers-*, linux-kbuild-* and linux-source-* do not begin with a digit. kmod-build.sh
 * (kmf_source_tree) reads the layout alike.
 */
async function readSourceTrees(root: string): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const srcDir = path.join(root, 'usr/src');
  for (const entry of await listDir(srcDir)) {
    const release = entry.slice('linux-'.length);
    if (!entry.startsWith('linux-') || !/^\d/.test(release)) continue;
    const dir = await resolveInRoot(root, path.join(srcDir, entry));
    if ((await headersIn(dir)) === undefined || !(await isFile(path.join(dir, '.config')))) continue;
    const releaseFile = path.join(dir, 'include/config/kernel.release');
    const named = (await isFile(releaseFile)) ? (await readOptional(releaseFile))?.trim() : undefined;
    if (named === undefined || named === release) found.set(release, dir);
  }
  return found;
}

/**
 * Finds the kernels of the system under root: every <installTree>/<release>, plus headers-only trees in
 * /usr/src/kernels/<release> (Fedora/RHEL), /usr/src/linux-obj/<arch>/<flavor> (SUSE) and
 * /usr/src/linux-<release> (the seed's kernel-source). Sorted as sort -V.
 */
export async function discoverKernels(
  paths: Paths,
  rules: readonly FlavorRule[] = [],
): Promise<KernelInfo[]> {
  const headers = new Map<string, string | undefined>();
  for (const dir of new Set([systemModulesDir(paths), paths.installTree])) {
    for (const release of await listDir(dir)) {
      if (headers.get(release) !== undefined || !(await isDir(path.join(dir, release)))) continue;
      headers.set(release, (await findBuildLink(paths, release))?.headers);
    }
  }
  const kernelsDir = path.join(paths.root, 'usr/src/kernels');
  for (const release of await listDir(kernelsDir)) {
    if (headers.get(release) === undefined)
      headers.set(release, await headersIn(await resolveInRoot(paths.root, path.join(kernelsDir, release))));
  }
  const objDir = path.join(paths.root, 'usr/src/linux-obj');
  for (const arch of await listDir(objDir)) {
    for (const flavor of await listDir(path.join(objDir, arch))) {
      const dir = await resolveInRoot(paths.root, path.join(objDir, arch, flavor));
      const release = (await readOptional(path.join(dir, 'include/config/kernel.release')))?.trim();
      if (release !== undefined && release !== '' && headers.get(release) === undefined)
        headers.set(release, await headersIn(dir));
    }
  }
  for (const [release, dir] of await readSourceTrees(paths.root))
    if (headers.get(release) === undefined) headers.set(release, dir);
  // A directory whose name cannot be a release (a stray `-rf`, `foo bar`) is not a kernel: skip it, so one
  // such entry cannot make every command that lists kernels fail.
  const releases = [...headers.keys()]
    .filter((release) => kernelReleaseProblem(release) === undefined)
    .sort(compareKernelReleases);
  return Promise.all(
    releases.map(async (release) => {
      const headersDir = headers.get(release);
      const config = await readKernelConfig(paths.root, release, headersDir);
      return {
        ...describeKernel(release, rules, config),
        modulesDir: path.join(paths.installTree, release),
        headersDir,
        sourceDir: await planSourceDir(paths, release, headersDir),
        config,
      };
    }),
  );
}

/**
 * Describes one kernel by release, whether or not it is installed: headers from --kernelsourcedir, else
 * <installTree>/<K>/build, else the distro layouts discovery knows.
 */
export async function readKernel(
  paths: Paths,
  release: string,
  rules: readonly FlavorRule[] = [],
  /** A .config to read instead of the kernel's own (dkms's --config). */
  configFile?: string,
): Promise<KernelInfo> {
  let headersDir: string | undefined;
  let sourceDir: string | undefined;
  if (paths.kernelSourceDir !== undefined) {
    headersDir = await headersIn(paths.kernelSourceDir);
    sourceDir = paths.kernelSourceDir;
  } else {
    headersDir = (await findBuildLink(paths, release))?.headers;
    headersDir ??= (await discoverKernels(paths, rules)).find((k) => k.release === release)?.headersDir;
    sourceDir = await planSourceDir(paths, release, headersDir);
  }
  const config = await readKernelConfig(paths.root, release, headersDir, configFile);
  return {
    ...describeKernel(release, rules, config),
    modulesDir: path.join(paths.installTree, release),
    headersDir,
    sourceDir,
    config,
  };
}
