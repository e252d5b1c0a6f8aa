import path from 'node:path';
import type { ConfVariables } from '../conf/eval-script.ts';
import type { ModuleConf } from '../conf/module-conf.ts';
import { KmodError } from '../errors.ts';
import type { KernelInfo } from '../kernel/discover.ts';
import type { Paths } from '../paths.ts';
import { tree, type BuildKey } from '../state/tree.ts';
import { planStatusFacts, type StatusFacts } from '../state/status-facts.ts';
import type { ModuleCompression } from '../kernel/kconfig.ts';
import type { JobAccess, JobServer } from './job-slots.ts';
import { planKernelCc, planMakeCommand } from './make-command.ts';
import type { CompressionOptions } from './postprocess.ts';

/** How this build signs its modules: with what, or why not. */
export type BuildSigning =
  | { kind: 'sign'; hash: string; key: string; certificate: string; signFile: string; require: boolean }
  | { kind: 'skip'; reason: string }
  /** The kernel wants signed modules but signing cannot work (no sign-file, no key): warn, or fail if required. */
  | { kind: 'unavailable'; reason: string; require: boolean };

export interface BuiltModule {
  index: number;
  /** Where make leaves it, in the build directory. */
  builtFile: string;
  /** Its name in K/A/module/ and when installed, without suffix. */
  destName: string;
  strip: boolean;
}

/** Everything a build of one (module, version, kernel, arch) will do, decided before anything runs. */
export interface BuildPlan {
  module: string;
  version: string;
  kernel: KernelInfo;
  arch: string;
  conf: ModuleConf;
  /** The registered source (<dkmsTree>/M/V/source). */
  sourceDir: string;
  /** This build's private area; nothing else writes here. */
  workDir: string;
  /** What $dkms_tree means to dkms.conf and make in this build, so <tree>/M/V/build is this build's own. */
  privateTree: string;
  buildDir: string;
  logFile: string;
  /** <dkmsTree>/M/V/K/A, replaced as a whole when the build succeeds. */
  resultDir: string;
  patches: { name: string; file: string }[];
  makeCommand: string;
  /** The compiler the kernel was built with, exported as CC like dkms does. */
  cc: string | undefined;
  /** Module.symvers of installed BUILD_DEPENDS modules, for KBUILD_EXTRA_SYMBOLS. */
  extraSymbols: string[];
  modules: BuiltModule[];
  /** The jobserver the make step joins, shared by every build of the command. */
  jobServer: JobServer | undefined;
  /** dkms's variables, set (not exported, as in dkms) where make and the build scripts run. */
  vars: ConfVariables;
  /** After strip: sign, then compress, as the kernel expects (strip → sign → compress). */
  signing: BuildSigning;
  compression: ModuleCompression;
  /** What status reads from the build's record instead of sourcing dkms.conf again. */
  statusFacts: StatusFacts;
  compressionOptions: CompressionOptions;
}

export interface BuildPlanInput {
  paths: Paths;
  conf: ModuleConf;
  kernel: KernelInfo;
  arch: string;
  access: JobAccess;
  extraSymbols: string[];
  vars: ConfVariables;
  signing: BuildSigning;
  compressionOptions: CompressionOptions;
  /** The digest of the dkms.conf reading's inputs (state/status-facts.ts readConfDigest). */
  confDigest: string;
  /** Whether the kernel's compiler (CONFIG_CC_VERSION_TEXT) is on PATH. */
  ccAvailable: (cc: string) => boolean;
}

/** The private tree of a build; dkms.conf must be read with $dkms_tree pointing here. */
export function planPrivateTree(paths: Paths, build: BuildKey): string {
  return path.join(tree.work(paths, build), 'tree');
}

/** Plans a build. Pure; throws PATCH_INVALID for a patch path that leaves patches/. */
export function planBuild(input: BuildPlanInput): BuildPlan {
  const { paths, conf, kernel, arch } = input;
  const module = conf.packageName;
  const version = conf.packageVersion;
  const workDir = tree.work(paths, { module, version, kernel: kernel.release, arch });
  const privateTree = planPrivateTree(paths, { module, version, kernel: kernel.release, arch });
  const buildDir = path.join(privateTree, module, version, 'build');
  const patches = conf.patches.map((name) => {
    if (name.startsWith('/') || name.split('/').includes('..')) {
      throw new KmodError(
        'PATCH_INVALID',
        `${conf.file}: PATCH "${name}" must name a file inside the patches/ directory, without ".." or a leading "/"`,
      );
    }
    return { name, file: path.join(buildDir, 'patches', name) };
  });
  const cc = planKernelCc(kernel.config);
  const usableCc = cc !== undefined && input.ccAvailable(cc) ? cc : undefined;
  return {
    module,
    version,
    kernel,
    arch,
    conf,
    sourceDir: tree.sourceLink(paths, module, version),
    workDir,
    privateTree,
    buildDir,
    logFile: path.join(workDir, 'make.log'),
    resultDir: tree.built(paths, { module, version, kernel: kernel.release, arch }),
    patches,
    makeCommand: planMakeCommand(conf.make.command, {
      jobs: input.access.jobs,
      // A budget always comes with a jobserver when the build runs; a dry run shows the same command.
      jobserver: input.access.jobs > 0,
      kernel: kernel.release,
      config: kernel.config,
      defaultCc: conf.make.index === undefined ? usableCc : undefined,
    }),
    cc: usableCc,
    extraSymbols: input.extraSymbols,
    modules: conf.modules.map((m) => ({
      index: m.index,
      builtFile: path.join(buildDir, m.builtLocation, `${m.builtName}.ko`),
      destName: m.destName,
      strip: m.strip,
    })),
    jobServer: input.access.server,
    vars: input.vars,
    signing: input.signing,
    compression: kernel.config?.compression ?? 'none',
    compressionOptions: input.compressionOptions,
    statusFacts: planStatusFacts(input.confDigest, conf),
  };
}
