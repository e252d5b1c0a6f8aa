import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { readOptional } from '../conf/distro.ts';
import { KmodError } from '../errors.ts';

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
 * Reads `name=value` assignments of the supported settings, with bash's quoting rules for one word;
 * nothing is executed, and every other line (commands, functions, other variables) is ignored, as dkms's
 * safe_source keeps only whitelisted names. `$kernelver` references stay for expansion per kernel.
 */
export function parseFrameworkConf(
  text: string,
  file: string,
): Partial<Record<FrameworkSettingName, string>> {
  const values: Partial<Record<FrameworkSettingName, string>> = {};
  text.split('\n').forEach((raw, i) => {
    const m = /^\s*(?:export\s+)?([A-Za-z_]\w*)=(.*)$/.exec(raw.replace(/\r$/, ''));
    if (m === null || !isSetting(m[1] ?? '')) return;
    values[m[1] as FrameworkSettingName] = parseShellWord(m[2] ?? '', `${file}:${i + 1}`);
  });
  return values;
}

/** One bash word: quoted parts joined, unquoted part up to white space or a comment. */
export function parseShellWord(text: string, where: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i] ?? '';
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end === -1) throw new KmodError('CONFIG_INVALID', `${where}: unterminated ' quote`);
      out += text.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < text.length && '"\\$`'.includes(text[i + 1] ?? '')) i++;
        out += text[i] ?? '';
        i++;
      }
      if (i >= text.length) throw new KmodError('CONFIG_INVALID', `${where}: unterminated " quote`);
      i++;
    } else if (/\s/.test(c) || c === '#' || c === ';') {
      break;
    } else {
      if (c === '\\' && i + 1 < text.length) i++;
      out += text[i] ?? '';
      i++;
    }
  }
  return out;
}

/** /etc/dkms/framework.conf, then framework.conf.d/*.conf in name order; later files win. */
export async function readFrameworkConf(etcDkms: string): Promise<FrameworkConf> {
  const files = [path.join(etcDkms, 'framework.conf')];
  try {
    const dropIns = (await readdir(path.join(etcDkms, 'framework.conf.d')))
      .filter((f) => f.endsWith('.conf'))
      .sort();
    files.push(...dropIns.map((f) => path.join(etcDkms, 'framework.conf.d', f)));
  } catch {
    // framework.conf.d is optional.
  }
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
