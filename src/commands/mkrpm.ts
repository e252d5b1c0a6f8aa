import path from 'node:path';
import type { DirectiveOverride } from '../conf/eval-script.ts';

import { type Context } from '../context.ts';
import { KmodError } from '../errors.ts';
import { stageModules } from '../install/stage.ts';
import { parseKernelRelease, type FlavorRule } from '../kernel/release.ts';
import type { KernelTarget } from '../kernel/target.ts';
import {
  planRpmIdentity,
  planRpmMeta,
  type PackageInput,
  type RpmIdentity,
  type RpmStyle,
} from '../package/naming.ts';
import {
  formatChangelogDate,
  planLicense,
  readModuleLicense,
  readSourceDateEpoch,
} from '../package/package-info.ts';
import { planBinarySpec } from '../package/rpm/binary-spec.ts';
import { checkRpmRelease } from '../package/rpm/source-spec.ts';
import { runRpmbuild, runRpmSign } from '../package/rpm/rpmbuild.ts';
import { readRegisteredConf, requireAdded } from '../state/registered.ts';
import { stageUserland, type StagedFile } from '../package/userland.ts';
import { copyTree } from '../state/copy-tree.ts';
import { tree } from '../state/tree.ts';
import { compareRpmVersions } from '../version/rpm.ts';
import { ensureBuilt, type BuildOutcome } from './build.ts';
import { withTempDir } from '../state/temp-dir.ts';
import { makeDirs } from '../state/fs.ts';

import type { LockedContext } from './mutation.ts';

export interface PackageOptions {
  module: string;
  version: string;
  targets: readonly KernelTarget[];
  release: string;
  outDir: string | undefined;
  directives: readonly DirectiveOverride[];
  /** SOURCE_DATE_EPOCH from the environment, if set (parseSourceDateEpoch). */
  sourceDateEpoch: number | undefined;
}

export interface PackagedFile {
  kernel: string | undefined;
  arch: string;
  name: string;
  file: string;
}

export interface PackageResult {
  builds: BuildOutcome[];
  packages: PackagedFile[];
}

/** Who packages are from unless [package] maintainer says; .invalid is reserved for exactly this. */
export const defaultPackager = 'kmodforge <packages@kmodforge.invalid>';

/** Where packages go by default: <dkmsTree>/M/V/<kind>/, as dkms's old mkrpm/mkdeb put them. */
export function planOutDir(
  ctx: Context,
  options: Pick<PackageOptions, 'module' | 'version' | 'outDir'>,
  kind: 'rpm' | 'deb',
): string {
  return options.outDir === undefined
    ? path.join(tree.version(ctx.paths, options.module, options.version), kind)
    : path.resolve(options.outDir);
}

/** The inputs every package of one kernel shares, with the modules it was staged with. */
export interface StagedKernel {
  target: KernelTarget;
  input: PackageInput;
  stageDir: string;
  systemPaths: string[];
  license: string;
}

/** Builds what is missing and stages each successfully built kernel's modules in a temporary root. */
export async function stageForPackages(
  ctx: LockedContext,
  options: PackageOptions,
  work: string,
): Promise<{ builds: BuildOutcome[]; staged: StagedKernel[]; userland: UserlandStage | undefined }> {
  await requireAdded(ctx, options.module, options.version);
  const builds = await ensureBuilt(ctx, { ...options, force: false });
  const staged: StagedKernel[] = [];
  let userland: UserlandStage | undefined;
  for (const [i, target] of options.targets.entries()) {
    const build = builds[i];
    if (build === undefined || build.status === 'failed' || build.status === 'excluded') continue;
    const stageDir = path.join(work, `${target.release}-${target.arch}`);
    if (userland === undefined) {
      const { conf } = await readRegisteredConf(ctx, options.module, options.version, target, {
        directives: options.directives,
      });
      if (conf.userland !== undefined) {
        const root = path.join(work, 'userland-root');
        userland = {
          root,
          files: await stageUserland(ctx, { ...options, userland: conf.userland }, work, root),
        };
      }
    }
    const modules = await stageModules(ctx, { ...options, target }, stageDir);
    staged.push({
      target,
      stageDir,
      systemPaths: modules.map((m) => m.systemPath),
      license: planLicense(await Promise.all(modules.map((m) => readModuleLicense(m.file)))),
      input: planPackageInput(
        options,
        target,
        ctx.config.flavorRules,
        modules.map((m) => m.name),
      ),
    });
  }
  return { builds, staged, userland };
}

/** The inputs of one kernel's packages: the module, the release, the kernel parsed into its flavor. Pure. */
export function planPackageInput(
  options: Pick<PackageOptions, 'module' | 'version' | 'release'>,
  target: KernelTarget,
  flavorRules: readonly FlavorRule[],
  modules: readonly string[],
): PackageInput {
  return {
    name: options.module,
    version: options.version,
    release: options.release,
    kernel: parseKernelRelease(target.release, flavorRules),
    arch: target.arch,
    modules,
  };
}

/** Userland files built once and staged under `root`, for every package of the command. */
export interface UserlandStage {
  root: string;
  files: StagedFile[];
}

function describe(input: PackageInput): { summary: string; description: string } {
  const flavor = input.kernel.flavor === '' ? '' : `, ${input.kernel.flavor} flavor`;
  return {
    summary: `Kernel modules of ${input.name} ${input.version} for Linux ${input.kernel.release}`,
    description: `The ${input.modules.map((m) => `${m}.ko`).join(', ')} kernel module${input.modules.length === 1 ? '' : 's'} of ${input.name} ${input.version},\nbuilt, signed and compressed by kmodforge for Linux ${input.kernel.release} (${input.arch}${flavor}).`,
  };
}

/**
 * The kernels the kmod style's meta packages follow: the newest of each flavor and arch, in the order of
 * their first kernel. Pure.
 */
export function planNewestPerFlavor<T extends { target: KernelTarget; input: PackageInput }>(
  kernels: readonly T[],
): T[] {
  const newest = new Map<string, T>();
  for (const kernel of kernels) {
    const key = `${kernel.input.kernel.flavor}/${kernel.target.arch}`;
    const current = newest.get(key);
    // rpm's order of kernel-uname-r, as dnf sees it; sort -V puts 5.14.0-362.el9 after 362.8.1.el9_3.
    if (current === undefined || compareRpmVersions(kernel.target.release, current.target.release) > 0)
      newest.set(key, kernel);
  }
  return [...newest.values()];
}

/** Checks mkrpm's --release and --gpg-key before anything is built or planned. */
export function checkRpmOptions(options: { release: string; gpgKey: string | undefined }): void {
  // Both become words of a spec file and an rpm macro: a newline or a leading "-" must not reach them.
  checkRpmRelease(options.release);
  if (options.gpgKey !== undefined && !/^[^\s-][^\n\r\t%]*$/.test(options.gpgKey))
    throw new KmodError('USAGE', `--gpg-key "${options.gpgKey}": expected a key ID, fingerprint or user ID`);
}

/**
 * mkrpm: one binary RPM per kernel in the chosen naming style, made from the same staged files that
 * `install --destdir` produces, plus (kmod style) a meta package per flavor that requires the newest
 * kernel's package. Optionally signed with a GPG key.
 */
export async function makeRpms(
  ctx: LockedContext,
  options: PackageOptions & { style: RpmStyle; gpgKey: string | undefined; gnupgHome: string | undefined },
): Promise<PackageResult> {
  checkRpmOptions(options);
  return withTempDir('kmodforge-mkrpm-', async (work) => {
    const { builds, staged, userland } = await stageForPackages(ctx, options, work);
    const outDir = planOutDir(ctx, options, 'rpm');
    // rpm lets packages share identical files, so each kernel's package carries the userland too.
    if (userland !== undefined) for (const kernel of staged) await copyTree(userland.root, kernel.stageDir);
    const epoch = await readSourceDateEpoch(
      options.sourceDateEpoch,
      tree.sourceLink(ctx.paths, options.module, options.version),
    );
    const packages: PackagedFile[] = [];
    const build = async (identity: RpmIdentity, kernel: StagedKernel, withFiles: boolean): Promise<void> => {
      const text = describe(kernel.input);
      const spec = planBinarySpec({
        identity,
        summary: withFiles
          ? text.summary
          : `Kernel modules of ${kernel.input.name} for the newest ${kernel.input.kernel.flavor || 'default'} kernel`,
        description: withFiles
          ? text.description
          : `Requires ${kernel.input.name}'s modules for the newest kernel of this flavor, so that updates follow the kernel.`,
        license: kernel.license,
        packager: ctx.config.maintainer ?? defaultPackager,
        kernel: withFiles ? kernel.target.release : undefined,
        files: withFiles
          ? [...kernel.systemPaths.map((p) => ({ path: p, mode: 0o644 })), ...(userland?.files ?? [])]
          : [],
        changelogDate: formatChangelogDate(epoch),
      });
      const stageDir = withFiles ? kernel.stageDir : path.join(work, 'empty');
      const file = await runRpmbuild({ spec, stageDir, outDir, arch: identity.arch, sourceDateEpoch: epoch });
      packages.push({
        kernel: withFiles ? kernel.target.release : undefined,
        arch: kernel.target.arch,
        name: identity.name,
        file,
      });
    };
    for (const kernel of staged) await build(planRpmIdentity(options.style, kernel.input), kernel, true);
    if (options.style === 'kmod') {
      await makeDirs(path.join(work, 'empty'));
      for (const kernel of planNewestPerFlavor(staged)) await build(planRpmMeta(kernel.input), kernel, false);
    }
    if (options.gpgKey !== undefined)
      await runRpmSign(
        packages.map((p) => p.file),
        options.gpgKey,
        options.gnupgHome,
      );
    return { builds, packages };
  });
}

export function requirePackages(result: PackageResult): void {
  if (
    result.packages.length === 0 &&
    result.builds.every((b) => b.status === 'failed' || b.status === 'excluded')
  ) {
    const failed = result.builds.find((b) => b.error !== undefined);
    if (failed?.error !== undefined) throw failed.error;
    throw new KmodError('BUILD_FAILED', 'nothing was built, so nothing was packaged');
  }
}
