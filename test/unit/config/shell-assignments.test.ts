import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseDistro } from '../../../src/conf/distro.ts';
import {
  parseShellAssignments,
  planShellValues,
  type ShellAssignment,
} from '../../../src/config/shell-assignments.ts';

type Expected = string | { unterminated: '"' | "'" } | undefined;

/** [line, what A is read as (undefined: not an assignment), whether bash sourcing the line sets A alike]. */
const vectors: [string, Expected, boolean][] = [
  ['A=plain', 'plain', true],
  ['A=', '', true],
  ['A=""', '', true],
  ["A=''", '', true],
  ['A=\'single $x "q" \\n\'', 'single $x "q" \\n', true],
  ['A="dbl \\"q\\" \\\\ \\$x \\`c\\` \\n"', 'dbl "q" \\ $x `c` \\n', true],
  ['A="a"\'b\'c', 'abc', true],
  ['A=\\x\\\\y', 'x\\y', true],
  ['A="/srv/dkms"', '/srv/dkms', true],
  ["A='/srv/src' # comment", '/srv/src', true],
  ['A=x # comment', 'x', true],
  ['A=a#b', 'a#b', true],
  ['A=#x', '#x', true],
  ['A=a;b', 'a', true],
  ['A="--check=crc32 -6"', '--check=crc32 -6', true],
  ['export A="/usr/bin/sign \\"it\\""', '/usr/bin/sign "it"', true],
  ['  A=v  ', 'v', true],
  ['export  A=v', 'v', true],
  // A file saved with CRLF: bash would keep the \r in the value.
  ['A=v\r', 'v', false],
  // Not expanded: framework.conf's $kernelver is expanded per kernel later.
  ['A=/etc/keys/${kernelver}.key', '/etc/keys/${kernelver}.key', false],
  ['A="$HOME"', '$HOME', false],
  // One word: bash would run "c" with A set for it only; the word is still what the line says.
  ['A=a\\ b c', 'a b', false],
  ['A="/x', { unterminated: '"' }, false],
  ["A='/x", { unterminated: "'" }, false],
  ['A="/x\'', { unterminated: '"' }, false],
  ['# A=commented', undefined, false],
  ['A = v', undefined, false],
  ['echo A=v', undefined, false],
  ['rm -rf / # never run', undefined, false],
  ['do_status() { A=v; }', undefined, false],
  ['1A=v', undefined, false],
  ['A[0]=v', undefined, false],
];

function expectedAssignments(expected: Expected): ShellAssignment[] {
  if (expected === undefined) return [];
  if (typeof expected === 'string') return [{ name: 'A', line: 1, value: expected }];
  return [{ name: 'A', line: 1, ...expected }];
}

/** What bash leaves in A after running each line in a clean environment, from a single bash. */
function bashValues(lines: readonly string[]): string[] {
  const script = 'for line; do (eval "$line"; printf "%s\\0" "${A-unset}") 2>/dev/null; done';
  const output = execFileSync('bash', ['-c', script, 'bash', ...lines], { encoding: 'utf8', env: {} });
  return output.split('\0').slice(0, -1);
}

describe('parseShellAssignments', () => {
  it.each(vectors)('%j is %j', (line, expected) => {
    expect(parseShellAssignments(line)).toEqual(expectedAssignments(expected));
  });

  it('agrees with bash on the vectors that bash would assign alike', () => {
    const same = vectors.filter(([, , inBash]) => inBash);
    expect(bashValues(same.map(([line]) => line))).toEqual(same.map(([, expected]) => expected));
  });

  it('numbers lines from 1 and keeps every assignment in order', () => {
    expect(parseShellAssignments('# header\nA=1\n\nB="2\nA=3\n')).toEqual([
      { name: 'A', line: 2, value: '1' },
      { name: 'B', line: 4, unterminated: '"' },
      { name: 'A', line: 5, value: '3' },
    ]);
  });
});

describe('planShellValues', () => {
  it('lets the last assignment win and leaves out values that cannot be read', () => {
    const values = planShellValues(parseShellAssignments('A=1\nB="2\nA=3\nC=\n'));
    expect([...values]).toEqual([
      ['A', '3'],
      ['C', ''],
    ]);
  });
});

describe('os-release and sysconfig through parseShellAssignments', () => {
  it('reads ID and the first ID_LIKE, quoted or not', () => {
    const ubuntu = 'NAME="Ubuntu"\nID=ubuntu\nID_LIKE=debian\nPRETTY_NAME="Ubuntu 24.04.1 LTS"\n';
    expect(parseDistro(ubuntu, undefined)).toEqual({ id: 'ubuntu', addonModulesDir: undefined });
    const rocky = 'NAME="Rocky Linux"\r\nID="rocky"\r\nID_LIKE="rhel centos fedora"\r\n';
    expect(parseDistro(rocky, undefined).id).toBe('rhel');
    expect(parseDistro("ID='opensuse-tumbleweed'\nID_LIKE='opensuse suse'\n", undefined).id).toBe('opensuse');
    expect(parseDistro(undefined, undefined).id).toBe('unknown');
  });

  it('reads ADDON_MODULES_DIR; an empty one is none', () => {
    expect(parseDistro('ID=sles\n', 'export ADDON_MODULES_DIR="weak-updates" # SUSE\n')).toEqual({
      id: 'sles',
      addonModulesDir: 'weak-updates',
    });
    expect(parseDistro('ID=sles\n', 'ADDON_MODULES_DIR=""\n').addonModulesDir).toBeUndefined();
  });
});
