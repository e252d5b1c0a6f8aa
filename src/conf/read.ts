import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { KmodError, isErrno } from '../errors.ts';
import type { KernelInfo } from '../kernel/discover.ts';
import type { Paths } from '../paths.ts';
import { planDestOverride, type Distro } from './distro.ts';
import type { ConfFile, ConfVariables, DirectiveOverride } from './eval-script.ts';
import { evaluateConf } from './evaluate.ts';
import type { ModuleConf } from './module-conf.ts';
import { resolveModuleConf } from './resolve.ts';
import { existsSync } from 'node:fs';

export interface ReadConfOptions {
  /** The dkms.conf to read. */
  confPath: string;
  paths: Paths;
  kernel: Pick<KernelInfo, 'release' | 'headersDir' | 'sourceDir' | 'config'>;
  arch: string;
  distro: Distro;
  /** Name and version when the module is registered; otherwise they come from the file itself. */
  module?: { name: string; version: string } | undefined;
  directives?: readonly DirectiveOverride[] | undefined;
  /** What $dkms_tree means to the file; builds point it at their own tree (build/build-plan.ts planPrivateTree). */
  dkmsTreeVar?: string | undefined;
  parallelJobs?: number | undefined;
  /** `uname -r` of the machine, dkms's $current_kernel. */
  runningKernel?: string | undefined;
  timeoutMs?: number | undefined;
}

export async function readConfText(confPath: string): Promise<string> {
  try {
    return await readFile(confPath, 'utf8');
  } catch (error) {
    if (isErrno(error, 'ENOENT', 'ENOTDIR', 'EISDIR')) {
      throw new KmodError('CONF_NOT_FOUND', `could not locate dkms.conf: ${confPath} does not exist`, {
        hint: 'a module source directory needs a dkms.conf at its top',
      });
    }
    if (isErrno(error, 'EACCES'))
      throw new KmodError('CONF_NOT_FOUND', `cannot read ${confPath}: permission denied`);
    throw error;
  }
}

/** The /etc/dkms override files dkms 3.0.10 sources after dkms.conf, most general first. */
export function planOverrideFiles(
  etcDkms: string,
  module: string,
  version: string,
  kernel: string,
  arch: string,
): string[] {
  return [
    `${module}.conf`,
    `${module}-${version}.conf`,
    `${module}-${version}-${kernel}.conf`,
    `${module}-${version}-${kernel}-${arch}.conf`,
  ].map((f) => path.join(etcDkms, f));
}

/** The variables dkms has set when it sources dkms.conf, and again when it runs make and the build scripts. */
export function planConfVariables(
  options: Pick<
    ReadConfOptions,
    'paths' | 'kernel' | 'arch' | 'distro' | 'dkmsTreeVar' | 'parallelJobs' | 'runningKernel'
  >,
  module: string,
  version: string,
): ConfVariables {
  const { paths, kernel } = options;
  const kernelSourceDir =
    paths.kernelSourceDir ?? kernel.sourceDir ?? path.join(paths.installTree, kernel.release, 'build');
  return {
    kernelver: kernel.release,
    arch: options.arch,
    kernel_source_dir: kernelSourceDir,
    kernel_config: kernel.config?.file ?? path.join(kernelSourceDir, '.config'),
    module,
    module_version: version,
    dkms_tree: options.dkmsTreeVar ?? paths.dkmsTree,
    source_tree: paths.sourceTree,
    install_tree: paths.installTree,
    tmp_location: '/tmp',
    parallel_jobs: String(options.parallelJobs ?? 1),
    running_distribution: options.distro.id,
    current_kernel: options.runningKernel ?? kernel.release,
    current_os: 'Linux',
  };
}

/**
 * Reads a dkms.conf for one (kernel, arch) as dkms does: sourced by bash with dkms's variables set, then
 * /etc/dkms overrides and --directive values, then resolved and validated into a ModuleConf.
 */
export async function readModuleConf(options: ReadConfOptions): Promise<ModuleConf> {
  const { paths, kernel } = options;
  const text = await readConfText(options.confPath);
  const main: ConfFile = { path: options.confPath, crlf: text.includes('\r') };
  const vars = (name: string, version: string): ConfVariables => planConfVariables(options, name, version);
  let module = options.module;
  if (module === undefined) {
    // dkms learns name and version by sourcing the file once with both empty (add_source_tree).
    const first = await evaluateConf([main], vars('', ''), { timeoutMs: options.timeoutMs });
    module = {
      name: first.directives.get('PACKAGE_NAME')?.get(0) ?? '',
      version: first.directives.get('PACKAGE_VERSION')?.get(0) ?? '',
    };
  }
  const overrides =
    module.name === ''
      ? []
      : planOverrideFiles(paths.etcDkms, module.name, module.version, kernel.release, options.arch)
          .filter((f) => existsSync(f))
          .map((f): ConfFile => ({ path: f, crlf: false }));
  const evaluated = await evaluateConf([main, ...overrides], vars(module.name, module.version), {
    overrides: options.directives,
    timeoutMs: options.timeoutMs,
  });
  const resolvedVars = vars(module.name, module.version);
  const conf = resolveModuleConf(evaluated, {
    file: options.confPath,
    text,
    kernel: kernel.release,
    arch: options.arch,
    kernelSourceDir: resolvedVars.kernel_source_dir,
    buildDir: path.join(resolvedVars.dkms_tree, module.name, module.version, 'build'),
    kernelConfig: kernel.config?.values,
    destOverride: planDestOverride(options.distro),
  });
  const stderr = evaluated.stderr.trim();
  if (stderr !== '') conf.warnings.unshift(...stderr.split('\n').map((l) => `${options.confPath}: ${l}`));
  return conf;
}
