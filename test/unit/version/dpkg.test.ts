import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { KmodError } from '../../../src/errors.ts';
import { compareDebianVersions, parseDebianVersion } from '../../../src/version/dpkg.ts';
import { itWithTool } from '../../support/tools.ts';

// In the style of dpkg's t/dpkg_version.t and lib/dpkg/t/t-version.c.
const vectors: [string, string, number][] = [
  ['1.0', '1.0', 0],
  ['1.0', '2.0', -1],
  ['2.30', '2.4', 1],
  ['1.9', '1.10', -1],
  ['0.0.1', '0.0.01', 0],
  ['00', '0', 0],
  ['1.18446744073709551616', '1.18446744073709551615', 1],
  // Epochs.
  ['0:1.0', '1.0', 0],
  ['1:1.0', '2.0', 1],
  ['1:0.9', '0:9.9', 1],
  ['2:0', '1:999', 1],
  ['1:1.0-1', '1:1.0-1', 0],
  ['10:1', '9:1', 1],
  // Revisions: a missing one compares like "0".
  ['1.0-1', '1.0-2', -1],
  ['1.0', '1.0-0', 0],
  ['1.0', '1.0-1', -1],
  ['1.0-9', '1.0-10', -1],
  ['6.1.0-28', '6.1.0-9', 1],
  ['1.0-1ubuntu1', '1.0-1', 1],
  ['1.0-1ubuntu1', '1.0-1.1', -1],
  ['7.4.052-1ubuntu3', '7.4.052-1ubuntu3.1', -1],
  ['1.0-1~bpo11+1', '1.0-1', -1],
  ['1.0-1+deb12u1', '1.0-1', 1],
  // Upstream may contain hyphens (the revision starts after the last one) and, with an epoch, colons.
  ['1.0-beta-1', '1.0-beta-2', -1],
  ['1.0-beta-1', '1.0-1', 1],
  ['1:1.0:2-1', '1:1.0:1-1', 1],
  // Tilde sorts before everything, even the end: ~~ < ~~a < ~ < (end) < a.
  ['1.0~~', '1.0~~a', -1],
  ['1.0~~a', '1.0~', -1],
  ['1.0~', '1.0', -1],
  ['1.0', '1.0a', -1],
  ['1.0~rc1', '1.0', -1],
  ['1.0~rc1', '1.0~rc2', -1],
  ['1.0~rc1-1', '1.0-1', -1],
  ['1.0-1~', '1.0-1', -1],
  // Letters sort before non-letters, in ASCII order among themselves.
  ['1.0a', '1.0+', -1],
  ['1.0a', '1.0.', -1],
  ['1.0A', '1.0a', -1],
  ['1.0+', '1.0.', -1],
  ['1.0+dfsg-1', '1.0-1', 1],
  ['1.0+dfsg1', '1.0+dfsg', 1],
  ['1.0.1', '1.0+1', 1],
  // A kernel release is not a package version: '-amd64' becomes the revision, '2.6.32-5' the upstream.
  ['2.6.32-5-amd64', '2.6.32-48squeeze20', 1],
];

const invalid: [string, string][] = [
  ['', 'version string is empty'],
  ['  ', 'version string is empty'],
  ['1.0 1', 'version string has embedded spaces'],
  [':1.0', 'epoch in version is empty'],
  ['a:1.0', 'epoch in version is empty'],
  ['1a:1.0', 'epoch in version is not number'],
  ['1.0-1:2', 'epoch in version is not number'],
  ['-1:1.0', 'epoch in version is negative'],
  ['2147483648:1.0', 'epoch in version is too big'],
  ['1:', 'nothing after colon in version number'],
  ['1.0-', 'revision number is empty'],
  ['1:-1', 'version number is empty'],
  ['-1', 'version number is empty'],
  ['a1.0', 'version number does not start with digit'],
  ['1:a1.0', 'version number does not start with digit'],
  ['1.0_1', 'invalid character in version number'],
  ['1.0é', 'invalid character in version number'],
  ['1.0-1_1', 'invalid character in revision number'],
  ['1.0-1:1', 'epoch in version is not number'],
];

/** dpkg's verdict (-1, 0 or 1) for every pair, from a single shell. */
function dpkgCompare(pairs: readonly (readonly [string, string])[]): number[] {
  const script = `while [ $# -gt 0 ]; do
    if dpkg --compare-versions "$1" lt "$2"; then echo -1
    elif dpkg --compare-versions "$1" eq "$2"; then echo 0
    elif dpkg --compare-versions "$1" gt "$2"; then echo 1
    else echo error; fi
    shift 2
  done`;
  const output = execFileSync('sh', ['-c', script, 'sh', ...pairs.flat()], { encoding: 'utf8' });
  return output.trim().split('\n').map(Number);
}

describe('compareDebianVersions', () => {
  it.each(vectors)('%j vs %j is %i', (a, b, expected) => {
    expect(Math.sign(compareDebianVersions(a, b))).toBe(expected);
    expect(Math.sign(compareDebianVersions(b, a))).toBe(expected === 0 ? 0 : -expected);
  });

  itWithTool('dpkg', 'agrees with dpkg --compare-versions on every vector', () => {
    expect(dpkgCompare(vectors.map(([a, b]) => [a, b]))).toEqual(vectors.map(([, , expected]) => expected));
  });

  it('rejects invalid versions', () => {
    expect(() => compareDebianVersions('1.0', 'a1.0')).toThrow(KmodError);
  });
});

describe('parseDebianVersion', () => {
  it.each([
    ['1.0', { epoch: 0, upstream: '1.0', revision: '' }],
    ['1:2.3-4', { epoch: 1, upstream: '2.3', revision: '4' }],
    ['1:2.3-beta-4ubuntu1', { epoch: 1, upstream: '2.3-beta', revision: '4ubuntu1' }],
    ['1:2:3', { epoch: 1, upstream: '2:3', revision: '' }],
    ['  1.0-1\t', { epoch: 0, upstream: '1.0', revision: '1' }],
    ['2147483647:1', { epoch: 2147483647, upstream: '1', revision: '' }],
    // strtol() accepts a sign, so dpkg does too.
    ['+1:1.0', { epoch: 1, upstream: '1.0', revision: '' }],
    ['-0:1.0', { epoch: 0, upstream: '1.0', revision: '' }],
  ])('parses %j', (version, parsed) => {
    expect(parseDebianVersion(version)).toEqual(parsed);
  });

  it.each(invalid)('rejects %j: %s', (version, reason) => {
    let error: unknown;
    try {
      parseDebianVersion(version);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(KmodError);
    expect(error).toMatchObject({ code: 'USAGE', message: `invalid Debian version '${version}': ${reason}` });
  });
});
