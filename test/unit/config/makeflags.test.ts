import { describe, expect, it } from 'vitest';
import { parseMakeflagsJobs } from '../../../src/config/makeflags.ts';

describe('parseMakeflagsJobs', () => {
  it.each([
    [undefined, undefined],
    ['', undefined],
    ['-j4', 4],
    [' -j4 --jobserver-auth=3,4', 4],
    ['ks -j 3', 3],
    ['--jobs=6', 6],
    ['--jobs 2', 2],
    ['-j', undefined],
    ['-j0', undefined],
    ['-j2 -j5', 5],
    ['-k', undefined],
    ['-jx', undefined],
  ])('%j → %j', (makeflags, jobs) => {
    expect(parseMakeflagsJobs(makeflags)).toBe(jobs);
  });
});
