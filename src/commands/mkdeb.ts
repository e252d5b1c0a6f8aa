import { realpath } from 'node:fs/promises';
import path from 'node:path';
import type { Context } from '../context.ts';
import { planDebIdentity, debSafe } from '../package/naming.ts';
import { machineToDebianArch } from '../kernel/release.ts';
import { planChangelog, planCopyright, planDebControl, planDepmodScripts } from '../package/deb/control.ts';
import { planDkmsPackageScripts } from '../package/deb/dkms-source-package.ts';
import { readInstalledSize, runDpkgDeb } from '../package/deb/dpkg-deb.ts';
import { readSourceDateEpoch } from '../package/package-info.ts';
import { parseDebianVersion } from '../version/dpkg.ts';
import { requireAdded } from '../state/registered.ts';
import { copyTree } from '../state/copy-tree.ts';
import { tree } from '../state/tree.ts';
import {
  defaultPackager,
  planOutDir,
  planPackageInput,
  stageForPackages,
  type PackageOptions,
  type PackageResult,
} from './mkrpm.ts';
import { describeUserland, readPackageBuilds, type PackageRequest } from './read-package-plan.ts';
import type { CommandPlan } from './command-plan.ts';
import { withTempDir } from '../state/temp-dir.ts';
import { makeDirs } from '../state/fs.ts';
import type { LockedContext } from './mutation.ts';

/**
 * `<name>-common`, the package of the userland every modules package depends on (dpkg does not let two
 * packages own one file), for the arch of the first kernel packaged. Pure.
 */
export function planCommonDeb(
  options: Pick<PackageOptions, 'module' | 'version' | 'release'>,
  machineArch: string,
): { name: string; version: string; arch: string; fileName: string } {
  const name = debSafe(`${options.module}-common`);
  const version = `${options.version}-${options.release}`;
  const arch = machineToDebianArch(machineArch);
  return { name, version, arch, fileName: `${name}_${version}_${arch}.deb` };
}

/** `<name>-dkms`, the source package of mkdeb --source (Architecture: all). Pure. */
export function planDkmsDeb(options: Pick<PackageOptions, 'module' | 'version' | 'release'>): {
  name: string;
  version: string;
  fileName: string;
} {
  const name = debSafe(`${options.module}-dkms`);
  const version = `${options.version}-${options.release}`;
  return { name, version, fileName: `${name}_${version}_all.deb` };
}

/**
 * mkdeb: one `<name>-modules-<kernel>` .deb per kernel, depending on that kernel's linux-image package,
 * with depmod for that kernel in postinst/postrm; made from the files `install --destdir` stages.
 */
export async function makeDebs(ctx: LockedContext, options: PackageOptions): Promise<PackageResult> {
  parseDebianVersion(`${options.version}-${options.release}`);
  return withTempDir('kmodforge-mkdeb-', async (work) => {
    const { builds, staged, userland } = await stageForPackages(ctx, options, work);
    const outDir = planOutDir(ctx, options, 'deb');
    const epoch = await readSourceDateEpoch(
      options.sourceDateEpoch,
      tree.sourceLink(ctx.paths, options.module, options.version),
    );
    const maintainer = ctx.config.maintainer ?? defaultPackager;
    const packages = [];
    const first = staged[0];
    const common =
      userland === undefined || first === undefined ? undefined : planCommonDeb(options, first.target.arch);
    if (userland !== undefined && first !== undefined && common !== undefined) {
      const file = await runDpkgDeb({
        root: userland.root,
        docName: common.name,
        out: path.join(outDir, common.fileName),
        sourceDateEpoch: epoch,
        contents: {
          control: planDebControl({
            identity: {
              package: common.name,
              version: common.version,
              arch: common.arch,
              depends: [],
              fileName: '',
            },
            source: debSafe(options.module),
            maintainer,
            section: 'utils',
            installedSize: await readInstalledSize(userland.root),
            summary: `Programs and files of ${options.module}, for its kernel modules`,
            description: `The userland of ${options.module} ${options.version} (${userland.files.map((f) => f.path).join(', ')}), built by kmodforge from the module's source.`,
          }),
          scripts: {},
          copyright: planCopyright(options.module, first.license),
          changelog: planChangelog(debSafe(options.module), common.version, maintainer, epoch),
        },
      });
      packages.push({ kernel: undefined, arch: first.target.arch, name: common.name, file });
    }
    for (const kernel of staged) {
      const base = planDebIdentity(kernel.input);
      const identity =
        common === undefined
          ? base
          : { ...base, depends: [...base.depends, `${common.name} (= ${common.version})`] };
      const flavor = kernel.input.kernel.flavor === '' ? '' : `, ${kernel.input.kernel.flavor} flavor`;
      const scripts = planDepmodScripts(kernel.target.release);
      const file = await runDpkgDeb({
        root: kernel.stageDir,
        docName: identity.package,
        out: path.join(outDir, identity.fileName),
        sourceDateEpoch: epoch,
        contents: {
          control: planDebControl({
            identity,
            source: debSafe(options.module),
            maintainer,
            section: 'kernel',
            installedSize: await readInstalledSize(kernel.stageDir),
            summary: `Kernel modules of ${options.module} for Linux ${kernel.target.release}`,
            description: `The ${kernel.input.modules.map((m) => `${m}.ko`).join(', ')} kernel module${kernel.input.modules.length === 1 ? '' : 's'} of ${options.module} ${options.version}, built, signed and compressed by kmodforge for Linux ${kernel.target.release} (${kernel.target.arch}${flavor}).`,
            provides: kernel.input.modules.map((m) => `${debSafe(m)}-modules`),
          }),
          scripts,
          copyright: planCopyright(options.module, kernel.license),
          changelog: planChangelog(debSafe(options.module), identity.version, maintainer, epoch),
        },
      });
      packages.push({
        kernel: kernel.target.release,
        arch: kernel.target.arch,
        name: identity.package,
        file,
      });
    }
    return { builds, packages };
  });
}

/**
 * mkdeb --source: a `<name>-dkms` package (Architecture: all) with the module source and dkms.conf in
 * /usr/src/<name>-<version>, which builds and installs the module on the machine it is installed on.
 */
export async function makeDkmsDeb(
  ctx: Context,
  options: Pick<PackageOptions, 'module' | 'version' | 'release' | 'outDir' | 'sourceDateEpoch'>,
): Promise<PackageResult> {
  await requireAdded(ctx, options.module, options.version);
  const { name: pkg, version, fileName } = planDkmsDeb(options);
  parseDebianVersion(version);
  return withTempDir('kmodforge-mkdeb-', async (work) => {
    const source = await realpath(tree.sourceLink(ctx.paths, options.module, options.version));
    const root = path.join(work, 'root');
    const dest = path.join(root, 'usr/src', `${options.module}-${options.version}`);
    await makeDirs(path.dirname(dest));
    await copyTree(source, dest);
    const epoch = await readSourceDateEpoch(options.sourceDateEpoch, source);
    const maintainer = ctx.config.maintainer ?? defaultPackager;
    const file = await runDpkgDeb({
      root,
      docName: pkg,
      out: path.join(planOutDir(ctx, options, 'deb'), fileName),
      sourceDateEpoch: epoch,
      contents: {
        control: planDebControl({
          identity: {
            package: pkg,
            version,
            arch: 'all',
            depends: ['dkms | kmodforge', 'make', 'gcc | c-compiler'],
            fileName: '',
          },
          source: debSafe(options.module),
          maintainer,
          section: 'kernel',
          installedSize: await readInstalledSize(root),
          summary: `Source of the ${options.module} kernel modules, built on install`,
          description: `The source of ${options.module} ${options.version} with its dkms.conf, in /usr/src/${options.module}-${options.version}. When the package is installed, kmodforge (or dkms) builds and installs the modules for every kernel that has headers; kernel hooks rebuild them for new kernels.`,
        }),
        scripts: planDkmsPackageScripts(options.module, options.version),
        copyright: planCopyright(options.module, 'GPL-2.0-or-later'),
        changelog: planChangelog(debSafe(options.module), version, maintainer, epoch),
      },
    });
    return { builds: [], packages: [{ kernel: undefined, arch: 'all', name: pkg, file }] };
  });
}

/**
 * What mkdeb would do, with nothing built or written: the builds still needed, the userland build, then
 * every .deb it would write (<name>-common first when the module has a userland, then each kernel's).
 */
export async function readMkdebPlan(
  ctx: Context,
  request: PackageRequest & Pick<PackageOptions, 'release' | 'outDir'>,
): Promise<CommandPlan> {
  const builds = await readPackageBuilds(ctx, request);
  const options = { ...request, module: builds.module, version: builds.version };
  parseDebianVersion(`${options.version}-${options.release}`);
  const outDir = planOutDir(ctx, options, 'deb');
  const [first] = builds.packaged;
  // The file names depend on the kernel and the release, not on the modules.
  const files = [
    ...(builds.userland === undefined || first === undefined
      ? []
      : [planCommonDeb(options, first.arch).fileName]),
    ...builds.packaged.map(
      (target) => planDebIdentity(planPackageInput(options, target, ctx.config.flavorRules, [])).fileName,
    ),
  ];
  return {
    command: `mkdeb ${options.module}/${options.version}`,
    steps: [
      ...builds.steps,
      ...describeUserland(options.module, options.version, builds.userland),
      ...files.map((file) => `write ${path.join(outDir, file)}`),
    ],
    ops: [],
    depmod: [],
  };
}

/** What mkdeb --source would do, with nothing written: the add it needs, then the <name>-dkms package. */
export async function readDkmsDebPlan(
  ctx: Context,
  request: Omit<PackageRequest, 'targets'> & Pick<PackageOptions, 'release' | 'outDir'>,
): Promise<CommandPlan> {
  const builds = await readPackageBuilds(ctx, { ...request, targets: [] });
  const options = { ...request, module: builds.module, version: builds.version };
  const deb = planDkmsDeb(options);
  parseDebianVersion(deb.version);
  return {
    command: `mkdeb --source ${options.module}/${options.version}`,
    steps: [...builds.steps, `write ${path.join(planOutDir(ctx, options, 'deb'), deb.fileName)}`],
    ops: [],
    depmod: [],
  };
}
