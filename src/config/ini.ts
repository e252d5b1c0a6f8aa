import { KmodError } from '../errors.ts';

export interface IniEntry {
  key: string;
  value: string;
  line: number;
}

export interface IniSection {
  /** "" for entries before the first [section]. */
  name: string;
  line: number;
  entries: IniEntry[];
}

/**
 * Parses `[section]` headers and `key = value` lines; `#` and `;` start comments, keys may repeat. A line
 * that is neither is an error naming the file and line.
 */
export function parseIni(text: string, file: string): IniSection[] {
  const sections: IniSection[] = [{ name: '', line: 0, entries: [] }];
  text.split('\n').forEach((rawLine, i) => {
    const line = rawLine.replace(/\r$/, '').trim();
    const number = i + 1;
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    const header = /^\[\s*([^\]]+?)\s*\]$/.exec(line);
    if (header !== null) {
      sections.push({ name: header[1] ?? '', line: number, entries: [] });
      return;
    }
    const entry = /^([A-Za-z_][\w.-]*)\s*=\s*(.*)$/.exec(line);
    if (entry === null) {
      throw new KmodError(
        'CONFIG_INVALID',
        `${file}:${number}: expected "[section]" or "key = value", got "${line}"`,
      );
    }
    sections[sections.length - 1]?.entries.push({
      key: entry[1] ?? '',
      value: unquote(entry[2] ?? ''),
      line: number,
    });
  });
  return sections.filter((s) => s.name !== '' || s.entries.length > 0);
}

function unquote(value: string): string {
  if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.endsWith(value[0]))
    return value.slice(1, -1);
  return value;
}
