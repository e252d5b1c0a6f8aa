import { stat } from 'node:fs/promises';
import path from 'node:path';
import { KmodError } from '../errors.ts';
import { runCommand } from '../exec/run.ts';

/**
 * SPDX for the kernel's MODULE_LICENSE idents (include/linux/license.h: "GPL" is version 2 or later),
 * so that rpm and deb say it right; other idents are kept as written.
 */
const spdx: Readonly<Record<string, string>> = {
  GPL: 'GPL-2.0-or-later',
  'GPL v2': 'GPL-2.0-only',
  'GPL and additional rights': 'GPL-2.0-or-later',
  'Dual BSD/GPL': 'BSD-3-Clause OR GPL-2.0-only',
  'Dual MIT/GPL': 'MIT OR GPL-2.0-only',
  'Dual MPL/GPL': 'MPL-1.1 OR GPL-2.0-only',
};

/** The license of a package from its modules' MODULE_LICENSE idents; several are joined with AND. */
export function planLicense(moduleLicenses: readonly string[]): string {
  const found = [...new Set(moduleLicenses.filter((l) => l !== '').map((l) => spdx[l] ?? l))].sort();
  if (found.length === 0) return 'LicenseRef-not-declared';
  if (found.length === 1) return found[0] ?? '';
  return found.map((l) => (l.includes(' OR ') ? `(${l})` : l)).join(' AND ');
}

const weekdays = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "Thu Jan 01 1970": rpm's %changelog date, in UTC. */
export function formatChangelogDate(epochSeconds: number): string {
  const d = new Date(epochSeconds * 1000);
  const day = String(d.getUTCDate()).padStart(2, '0');
  return `${weekdays[d.getUTCDay()] ?? ''} ${months[d.getUTCMonth()] ?? ''} ${day} ${d.getUTCFullYear()}`;
}

/** MODULE_LICENSE of a module file, through modinfo. */
export async function readModuleLicense(file: string): Promise<string> {
  const result = await runCommand('modinfo', ['-F', 'license', file], { timeoutMs: 60_000 });
  return result.exitCode === 0 ? (result.stdout.trim().split('\n')[0] ?? '') : '';
}

/**
 * SOURCE_DATE_EPOCH as reproducible-builds.org defines it: whole seconds since 1970; unset or empty is
 * none. Anything else is refused rather than ignored, since a package would silently get another date.
 */
export function parseSourceDateEpoch(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^\d+$/.test(value))
    throw new KmodError('USAGE', `SOURCE_DATE_EPOCH "${value}": expected whole seconds since 1970`);
  return Number(value);
}

/**
 * The time stamp packages carry: SOURCE_DATE_EPOCH when set, else the module's dkms.conf modification
 * time, so that the same inputs give the same packages either way.
 */
export async function readSourceDateEpoch(
  sourceDateEpoch: number | undefined,
  sourceDir: string,
): Promise<number> {
  if (sourceDateEpoch !== undefined) return sourceDateEpoch;
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
