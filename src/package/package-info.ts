import { stat } from 'node:fs/promises';
import path from 'node:path';
import { runCommand } from '../exec/run.ts';

/** SPDX for the kernel's MODULE_LICENSE strings (include/linux/license.h), so rpm and deb say it right. */
const spdx: Record<string, string> = {
  GPL: 'GPL-2.0-or-later',
  'GPL v2': 'GPL-2.0-only',
  'GPL and additional rights': 'GPL-2.0-or-later',
  'Dual BSD/GPL': 'BSD-3-Clause OR GPL-2.0-only',
  'Dual MIT/GPL': 'MIT OR GPL-2.0-only',
  'Dual MPL/GPL': 'MPL-1.1 OR GPL-2.0-only',
};

export function planLicense(moduleLicense: string): string {
  return spdx[moduleLicense] ?? (moduleLicense === '' ? 'Unknown' : moduleLicense);
}

/** MODULE_LICENSE of a module file, through modinfo. */
export async function readModuleLicense(file: string): Promise<string> {
  const result = await runCommand('modinfo', ['-F', 'license', file], { timeoutMs: 60_000 });
  return result.exitCode === 0 ? (result.stdout.trim().split('\n')[0] ?? '') : '';
}

/**
 * The time stamp packages carry: SOURCE_DATE_EPOCH when set (reproducible-builds.org), else the module's
 * dkms.conf modification time, so that the same inputs give the same packages either way.
 */
export async function readSourceDateEpoch(fromEnv: string | undefined, sourceDir: string): Promise<number> {
  if (fromEnv !== undefined && /^\d+$/.test(fromEnv)) return Number(fromEnv);
  return Math.floor((await stat(path.join(sourceDir, 'dkms.conf'))).mtimeMs / 1000);
}

/** Wraps text at word boundaries to lines of at most `width` characters (rpmlint and lintian want < 80). */
export function wrapText(text: string, width = 79): string {
  return text
    .split('\n')
    .map((paragraph) => {
      const lines: string[] = [];
      let line = '';
      for (const word of paragraph.split(/\s+/).filter((w) => w !== '')) {
        if (line !== '' && line.length + 1 + word.length > width) {
          lines.push(line);
          line = word;
        } else line = line === '' ? word : `${line} ${word}`;
      }
      lines.push(line);
      return lines.join('\n');
    })
    .join('\n');
}
