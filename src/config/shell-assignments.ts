/** One `NAME=value` line of a shell file read as data. */
export type ShellAssignment =
  | { name: string; line: number; value: string }
  /** A quote opened in the value and not closed on its line: the value cannot be known. */
  | { name: string; line: number; unterminated: '"' | "'" };

/**
 * The `NAME=value` and `export NAME=value` lines of a shell file (dkms's framework.conf, os-release,
 * /etc/sysconfig files), each value read as bash reads one word: unquoted, '…' taken as is, "…" with
 * backslash escapes of " \ $ and `, quoted parts joined, ending at white space or ; (so a comment after the
 * value is left out, and a # inside it is kept, as in bash). Nothing is executed or expanded (`$x` stays
 * as written); every other line is skipped. Pure.
 */
export function parseShellAssignments(text: string): ShellAssignment[] {
  const assignments: ShellAssignment[] = [];
  text.split('\n').forEach((raw, i) => {
    const m = /^\s*(?:export\s+)?([A-Za-z_]\w*)=(.*)$/.exec(raw.replace(/\r$/, ''));
    if (m === null) return;
    const name = m[1] ?? '';
    const word = parseWord(m[2] ?? '');
    assignments.push(
      typeof word === 'string'
        ? { name, line: i + 1, value: word }
        : { name, line: i + 1, unterminated: word.unterminated },
    );
  });
  return assignments;
}

/** The values by name (the last assignment wins, as when sourced), without those that cannot be read. */
export function planShellValues(assignments: readonly ShellAssignment[]): Map<string, string> {
  const values = new Map<string, string>();
  for (const a of assignments) if ('value' in a) values.set(a.name, a.value);
  return values;
}

/** One bash word at the start of text. */
function parseWord(text: string): string | { unterminated: '"' | "'" } {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i] ?? '';
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end === -1) return { unterminated: "'" };
      out += text.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < text.length && '"\\$`'.includes(text[i + 1] ?? '')) i++;
        out += text[i] ?? '';
        i++;
      }
      if (i >= text.length) return { unterminated: '"' };
      i++;
    } else if (/\s/.test(c) || c === ';') {
      break;
    } else {
      if (c === '\\' && i + 1 < text.length) i++;
      out += text[i] ?? '';
      i++;
    }
  }
  return out;
}
