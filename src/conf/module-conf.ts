import type { DirectiveName } from './directives.ts';

/** One module a package builds: where make leaves it and where it is installed. */
export interface ModuleRecord {
  index: number;
  builtName: string;
  /** Relative to the build directory, "" or ending in "/". */
  builtLocation: string;
  destName: string;
  /** After the distro override: where the module goes under /lib/modules/<kernel>. */
  destLocation: string;
  /** DEST_MODULE_LOCATION as written; uninstall also looks there. */
  rawDestLocation: string;
  strip: boolean;
}

export type ExclusiveDirective =
  | 'BUILD_EXCLUSIVE_KERNEL'
  | 'BUILD_EXCLUSIVE_KERNEL_MIN'
  | 'BUILD_EXCLUSIVE_KERNEL_MAX'
  | 'BUILD_EXCLUSIVE_ARCH'
  | 'BUILD_EXCLUSIVE_CONFIG'
  | 'OBSOLETE_BY';

/** Why a module must not be built for a kernel. */
export interface BuildExclusion {
  directive: ExclusiveDirective;
  value: string;
  reason: string;
}

export interface ModuleScripts {
  preBuild: string | undefined;
  postBuild: string | undefined;
  postAdd: string | undefined;
  preInstall: string | undefined;
  postInstall: string | undefined;
  postRemove: string | undefined;
}

export interface UserlandFile {
  /** Relative to the source (after USERLAND_BUILD ran in a copy of it). */
  source: string;
  /** Absolute path on the target system. */
  dest: string;
  mode: number;
}

export interface Userland {
  /** A command run by bash in a copy of the source, once per package command. */
  build: string | undefined;
  files: UserlandFile[];
}

/** A dkms.conf resolved for one (kernel, arch): what dkms would do for that pair. */
export interface ModuleConf {
  file: string;
  /** Every file sourced, dkms.conf first, then /etc/dkms overrides. */
  sourced: string[];
  packageName: string;
  packageVersion: string;
  kernel: string;
  arch: string;
  modules: ModuleRecord[];
  make: {
    command: string;
    /** The MAKE[] index chosen, or undefined for dkms's default make command. */
    index: number | undefined;
  };
  /** Deprecated; dkms 3.0.10 still ran it, newer dkms does not. */
  clean: string | undefined;
  /** PATCH[] entries whose PATCH_MATCH matched this kernel, in order. */
  patches: string[];
  scripts: ModuleScripts;
  autoinstall: boolean;
  buildDepends: string[];
  buildDependsRebuild: boolean;
  obsoleteBy: string | undefined;
  noWeakModules: boolean;
  /** USERLAND_BUILD and USERLAND_FILE[]: programs and files built from the same source, for packages. */
  userland: Userland | undefined;
  exclusion: BuildExclusion | undefined;
  deprecated: DirectiveName[];
  warnings: string[];
  /** Every directive as bash left it: name → values by index. */
  directives: Partial<Record<DirectiveName, Record<number, string>>>;
}
