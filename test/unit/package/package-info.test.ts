import { describe, expect, it } from 'vitest';
import { KmodError } from '../../../src/errors.ts';
import { parseSourceDateEpoch } from '../../../src/package/package-info.ts';

describe('parseSourceDateEpoch', () => {
  it.each([
    [undefined, undefined],
    ['', undefined],
    ['0', 0],
    ['1700000000', 1700000000],
    ['0001700000000', 1700000000],
  ])('reads %j as %j', (value, expected) => {
    expect(parseSourceDateEpoch(value)).toBe(expected);
  });

  it.each(['-1', '1.5', '1e9', ' 1700000000', '1700000000\n', 'now', '0x10', '@1700000000'])(
    'refuses %j',
    (value) => {
      let error: unknown;
      try {
        parseSourceDateEpoch(value);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(KmodError);
      expect(error).toMatchObject({
        code: 'USAGE',
        message: `SOURCE_DATE_EPOCH "${value}": expected whole seconds since 1970`,
      });
    },
  );
});
