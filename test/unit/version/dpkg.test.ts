import { describe, expect, it } from 'vitest';
import { KmodError } from '../../../src/errors.ts';
import { parseDebianVersion } from '../../../src/version/dpkg.ts';

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
