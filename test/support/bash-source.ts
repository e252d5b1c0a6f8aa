import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { directiveNames } from '../../src/conf/directives.ts';
import type { ConfVariables } from '../../src/conf/eval-script.ts';

const run = promisify(execFile);

const quote = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;

/**
 * What plain bash gets by sourcing a dkms.conf with the given variables: every directive with its indices.
 * Deliberately independent of src/conf's program, so it can check it.
 */
export async function sourceWithBash(
  confPath: string,
  vars: ConfVariables,
): Promise<Record<string, Record<number, string>>> {
  const script = [
    'shopt -s extglob',
    ...Object.entries(vars).map(([k, v]) => `${k}=${quote(v)}`),
    `. ${quote(confPath)} >/dev/null 2>&1`,
    `for n in ${directiveNames.join(' ')}; do`,
    '  eval "idx=(\\"\\${!$n[@]}\\")"',
    '  for i in "${idx[@]}"; do eval "v=\\"\\${$n[$i]}\\""; printf "%s\\0%s\\0%s\\0" "$n" "$i" "$v"; done',
    'done',
  ].join('\n');
  const { stdout } = await run('bash', ['--noprofile', '--norc', '-c', script], {
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' },
    maxBuffer: 64 << 20,
  });
  const tokens = stdout.split('\0');
  const result: Record<string, Record<number, string>> = {};
  for (let i = 0; i + 2 < tokens.length; i += 3) {
    const name = tokens[i] ?? '';
    (result[name] ??= {})[Number(tokens[i + 1])] = tokens[i + 2] ?? '';
  }
  return result;
}
