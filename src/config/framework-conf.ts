import path from 'node:path';
import { KmodError } from '../errors.ts';
import { listDir, readOptional } from '../state/fs.ts';
import { parseShellAssignments } from './shell-assignments.ts';

/** The framework.conf settings kmodforge honours (dkms.in's whitelists, plus the compression options). */
export const frameworkSettingNames = [
  'source_tree',
  'dkms_tree',
  'install_tree',
  'tmp_location',
  'verbose',
  'symlink_modules',
  'autoinstall_all_kernels',
  'modprobe_on_install',
  'parallel_jobs',
  'compress_gzip_opts',
  'compress_xz_opts',
  'compress_zstd_opts',
  'sign_file',
  'mok_signing_key',
  'mok_certificate',
] as const;

export type FrameworkSettingName = (typeof frameworkSettingNames)[number];

export interface FrameworkConf {
  files: string[];
  values: Partial<Record<FrameworkSettingName, string>>;
}

const isSetting = (name: string): name is FrameworkSettingName =>
  (frameworkSettingNames as readonly string[]).includes(name);

/**
 * Reads the assignments of the supported settings; nothing is executed, and every other line (commands,
 * functions, other variables) is ignored, as dkms's safe_source keeps only whitelisted names.
 * `$kernelver` references stay for expansion per kernel.
 */
export function parseFrameworkConf(
  text: string,
  file: string,
): Partial<Record<FrameworkSettingName, string>> {
  const values: Partial<Record<FrameworkSettingName, string>> = {};
  for (const assignment of parseShellAssignments(text)) {
    if (!isSetting(assignment.name)) continue;
    if ('unterminated' in assignment)
      throw new KmodError(
        'CONFIG_INVALID',
        `${file}:${assignment.line}: unterminated ${assignment.unterminated} quote`,
      );
    values[assignment.name] = assignment.value;
  }
  return values;
}

/** /etc/dkms/framework.conf, then framework.conf.d/*.conf in name order; later files win. */
export async function readFrameworkConf(etcDkms: string): Promise<FrameworkConf> {
  const files = [path.join(etcDkms, 'framework.conf')];
  const dropIns = (await listDir(path.join(etcDkms, 'framework.conf.d')))
    .filter((f) => f.endsWith('.conf'))
    .sort();
  files.push(...dropIns.map((f) => path.join(etcDkms, 'framework.conf.d', f)));
  const result: FrameworkConf = { files: [], values: {} };
  for (const file of files) {
    const text = await readOptional(file);
    if (text === undefined) continue;
    result.files.push(file);
    Object.assign(result.values, parseFrameworkConf(text, file));
  }
  return result;
}

/** Expands $kernelver / ${kernelver} (and $arch) in a signing setting, as dkms does per kernel (PR #265). */
export function expandKernelVariables(value: string, kernel: string, arch: string): string {
  return value.replace(/\$\{kernelver\}|\$kernelver\b/g, kernel).replace(/\$\{arch\}|\$arch\b/g, arch);
}
