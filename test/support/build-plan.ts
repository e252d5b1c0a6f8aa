/** A build plan made by the real planner from fixed facts, for unit tests of what takes a plan. */
import { planBuild, type BuildPlan, type BuildSigning } from '../../src/build/build-plan.ts';
import { defaultCompressionOptions } from '../../src/build/postprocess.ts';
import type { ConfVariables } from '../../src/conf/eval-script.ts';
import type { ModuleConf } from '../../src/conf/module-conf.ts';
import { parseKernelConfig, planConfigFacts } from '../../src/kernel/kconfig.ts';
import { parseKernelRelease } from '../../src/kernel/release.ts';
import { resolvePaths } from '../../src/paths.ts';

export const release = '6.1.0-56-amd64';
export const kconfig = (extra = ''): string =>
  `CONFIG_CC_VERSION_TEXT="gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0"\nCONFIG_MODULE_SIG=y\nCONFIG_MODULE_SIG_HASH="sha256"\n${extra}`;

const conf: ModuleConf = {
  file: '/usr/src/m-1.0/dkms.conf',
  sourced: ['/usr/src/m-1.0/dkms.conf'],
  packageName: 'm',
  packageVersion: '1.0',
  kernel: release,
  arch: 'x86_64',
  modules: [
    {
      index: 0,
      builtName: 'm',
      builtLocation: '',
      destName: 'm',
      destLocation: '/updates/dkms',
      rawDestLocation: '/updates',
      strip: true,
    },
  ],
  make: { command: 'make -C /k M=/b', index: undefined },
  clean: undefined,
  patches: [],
  scripts: {
    preBuild: undefined,
    postBuild: undefined,
    postAdd: undefined,
    preInstall: undefined,
    postInstall: undefined,
    postRemove: undefined,
  },
  autoinstall: true,
  buildDepends: [],
  buildDependsRebuild: false,
  obsoleteBy: undefined,
  noWeakModules: false,
  userland: undefined,
  exclusion: undefined,
  deprecated: [],
  warnings: [],
  directives: {},
};

const vars: ConfVariables = {
  kernelver: release,
  arch: 'x86_64',
  kernel_source_dir: '/k',
  kernel_config: '/k/.config',
  module: 'm',
  module_version: '1.0',
  dkms_tree: '/var/lib/dkms',
  source_tree: '/usr/src',
  install_tree: '/lib/modules',
  tmp_location: '/tmp',
  parallel_jobs: '4',
  running_distribution: 'debian',
  current_kernel: release,
  current_os: 'Linux',
};

export const signing: Extract<BuildSigning, { kind: 'sign' }> = {
  kind: 'sign',
  hash: 'sha256',
  key: '/var/lib/dkms/mok.key',
  certificate: '/var/lib/dkms/mok.pub',
  signFile: '/usr/lib/linux-kbuild-6.1/scripts/sign-file',
  require: false,
};

export function makeBuildPlan(
  options: {
    jobs?: number;
    vars?: Partial<ConfVariables>;
    config?: string;
    signing?: BuildSigning;
    root?: string;
  } = {},
): BuildPlan {
  return planBuild({
    paths: resolvePaths({ root: options.root ?? '/' }),
    conf,
    kernel: {
      ...parseKernelRelease(release),
      modulesDir: `/lib/modules/${release}`,
      headersDir: '/k',
      sourceDir: '/k',
      config: planConfigFacts('/k/.config', parseKernelConfig(options.config ?? kconfig())),
    },
    arch: 'x86_64',
    access: { jobs: options.jobs ?? 4, server: undefined },
    extraSymbols: [],
    vars: { ...vars, ...options.vars },
    signing: options.signing ?? signing,
    compressionOptions: defaultCompressionOptions,
    confDigest: 'digest',
    ccAvailable: () => true,
  });
}
