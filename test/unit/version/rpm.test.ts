import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { compareEVR, compareRpmVersions, rpmvercmp, type EVR } from '../../../src/version/rpm.ts';
import { itWithTool } from '../../support/tools.ts';

// From rpm's tests/rpmvercmp.at.
const vectors: [string, string, number][] = [
  ['1.0', '1.0', 0],
  ['1.0', '2.0', -1],
  ['2.0', '1.0', 1],
  ['2.0.1', '2.0.1', 0],
  ['2.0', '2.0.1', -1],
  ['2.0.1', '2.0', 1],
  ['2.0.1a', '2.0.1a', 0],
  ['2.0.1a', '2.0.1', 1],
  ['2.0.1', '2.0.1a', -1],
  ['5.5p1', '5.5p1', 0],
  ['5.5p1', '5.5p2', -1],
  ['5.5p2', '5.5p1', 1],
  ['5.5p10', '5.5p10', 0],
  ['5.5p1', '5.5p10', -1],
  ['5.5p10', '5.5p1', 1],
  ['10xyz', '10.1xyz', -1],
  ['10.1xyz', '10xyz', 1],
  ['xyz10', 'xyz10', 0],
  ['xyz10', 'xyz10.1', -1],
  ['xyz10.1', 'xyz10', 1],
  ['xyz.4', 'xyz.4', 0],
  ['xyz.4', '8', -1],
  ['8', 'xyz.4', 1],
  ['xyz.4', '2', -1],
  ['2', 'xyz.4', 1],
  ['5.5p2', '5.6p1', -1],
  ['5.6p1', '5.5p2', 1],
  ['5.6p1', '6.5p1', -1],
  ['6.5p1', '5.6p1', 1],
  ['6.0.rc1', '6.0', 1],
  ['6.0', '6.0.rc1', -1],
  ['10b2', '10a1', 1],
  ['10a2', '10b2', -1],
  ['1.0aa', '1.0aa', 0],
  ['1.0a', '1.0aa', -1],
  ['1.0aa', '1.0a', 1],
  ['10.0001', '10.0001', 0],
  ['10.0001', '10.1', 0],
  ['10.1', '10.0001', 0],
  ['10.0001', '10.0039', -1],
  ['10.0039', '10.0001', 1],
  ['4.999.9', '5.0', -1],
  ['5.0', '4.999.9', 1],
  ['20101121', '20101121', 0],
  ['20101121', '20101122', -1],
  ['20101122', '20101121', 1],
  ['2_0', '2_0', 0],
  ['2.0', '2_0', 0],
  ['2_0', '2.0', 0],
  // RhBug:178798: separators are all alike.
  ['a', 'a', 0],
  ['a+', 'a+', 0],
  ['a+', 'a_', 0],
  ['a_', 'a+', 0],
  ['+a', '+a', 0],
  ['+a', '_a', 0],
  ['_a', '+a', 0],
  ['+_', '+_', 0],
  ['_+', '+_', 0],
  ['_+', '_', 0],
  ['+', '_', 0],
  ['_', '+', 0],
  // Tilde sorts before everything, even the end of the version.
  ['1.0~rc1', '1.0~rc1', 0],
  ['1.0~rc1', '1.0', -1],
  ['1.0', '1.0~rc1', 1],
  ['1.0~rc1', '1.0~rc2', -1],
  ['1.0~rc2', '1.0~rc1', 1],
  ['1.0~rc1~git123', '1.0~rc1~git123', 0],
  ['1.0~rc1~git123', '1.0~rc1', -1],
  ['1.0~rc1', '1.0~rc1~git123', 1],
  // Caret sorts after the end of the version but before anything else.
  ['1.0^', '1.0^', 0],
  ['1.0^', '1.0', 1],
  ['1.0', '1.0^', -1],
  ['1.0^git1', '1.0^git1', 0],
  ['1.0^git1', '1.0', 1],
  ['1.0', '1.0^git1', -1],
  ['1.0^git1', '1.0^git2', -1],
  ['1.0^git2', '1.0^git1', 1],
  ['1.0^git1', '1.01', -1],
  ['1.01', '1.0^git1', 1],
  ['1.0^20160101', '1.0^20160101', 0],
  ['1.0^20160101', '1.0.1', -1],
  ['1.0.1', '1.0^20160101', 1],
  ['1.0^20160101^git1', '1.0^20160101^git1', 0],
  ['1.0^20160102', '1.0^20160101^git1', 1],
  ['1.0^20160101^git1', '1.0^20160102', -1],
  ['1.0~rc1^git1', '1.0~rc1^git1', 0],
  ['1.0~rc1^git1', '1.0~rc1', 1],
  ['1.0~rc1', '1.0~rc1^git1', -1],
  ['1.0^git1~pre', '1.0^git1~pre', 0],
  ['1.0^git1', '1.0^git1~pre', 1],
  ['1.0^git1~pre', '1.0^git1', -1],
  // RhBug:811992, kept by rpm as documented oddities: whichever string supplies the letter loses.
  ['1b.fc17', '1b.fc17', 0],
  ['1b.fc17', '1.fc17', -1],
  ['1.fc17', '1b.fc17', 1],
  ['1g.fc17', '1g.fc17', 0],
  ['1g.fc17', '1.fc17', 1],
  ['1.fc17', '1g.fc17', -1],
  // Non-ASCII characters are separators.
  ['1.1.α', '1.1.α', 0],
  ['1.1.α', '1.1.β', 0],
  ['1.1.αα', '1.1.α', 0],
  // Kernel releases.
  ['427.13.1.el9_4', '503.11.1.el9_5', -1],
  ['1160.el7', '1160.119.1.el7', -1],
  ['0.rc7.58.fc42', '64.fc42', -1],
];

const evrVectors: [EVR, EVR, number][] = [
  [{ epoch: 1, version: '1.0', release: '1' }, { version: '2.0', release: '1' }, 1],
  [{ epoch: 0, version: '1.0', release: '1' }, { version: '1.0', release: '1' }, 0],
  [{ epoch: '01', version: '1.0', release: '1' }, { epoch: 1, version: '1.0', release: '1' }, 0],
  [{ epoch: 2, version: '1.0' }, { epoch: 10, version: '1.0' }, -1],
  [{ version: '1.0', release: '1.el9' }, { version: '1.0', release: '2.el9' }, -1],
  [{ version: '1.0', release: '10' }, { version: '1.0', release: '9' }, 1],
  [{ version: '1.1', release: '1' }, { version: '1.0', release: '99' }, 1],
  [{ version: '1.0~rc1', release: '5' }, { version: '1.0', release: '1' }, -1],
  [{ version: '1.0^git1', release: '1' }, { version: '1.0', release: '2' }, 1],
  [{ version: '5.14.0', release: '427.13.1.el9_4' }, { version: '5.14.0', release: '503.11.1.el9_5' }, -1],
  // A missing release is older than any release, even an empty one.
  [{ version: '1.0' }, { version: '1.0', release: '1' }, -1],
  [{ version: '1.0' }, { version: '1.0', release: '~' }, -1],
  [{ version: '1.0', release: '' }, { version: '1.0' }, 1],
  [{ version: '1.0' }, { version: '1.0' }, 0],
  [{ version: '1.1' }, { version: '1.0', release: '1' }, 1],
  [{ epoch: 1, version: '1.0', release: '1' }, { epoch: 1, version: '1.0', release: '1' }, 0],
];

function formatEVR({ epoch, version, release }: EVR): string {
  return `${epoch === undefined ? '' : `${String(epoch)}:`}${version}${release === undefined ? '' : `-${release}`}`;
}

/** rpm.vercmp for every pair, in a single rpm run. */
function rpmLuaVercmp(pairs: readonly (readonly [string, string])[]): number[] {
  const table = pairs.map(([a, b]) => `{${JSON.stringify(a)},${JSON.stringify(b)}}`).join(',');
  const lua = `%{lua: for _, p in ipairs({${table}}) do print(rpm.vercmp(p[1], p[2]) .. "\\n") end}`;
  const output = execFileSync('rpm', ['--eval', lua], { encoding: 'utf8' });
  return output.trim().split('\n').map(Number);
}

describe('rpmvercmp', () => {
  it.each(vectors)('%j vs %j is %i', (a, b, expected) => {
    expect(rpmvercmp(a, b)).toBe(expected);
  });

  itWithTool('rpm', 'agrees with rpm itself on every vector', () => {
    expect(rpmLuaVercmp(vectors.map(([a, b]) => [a, b]))).toEqual(vectors.map(([a, b]) => rpmvercmp(a, b)));
  });
});

describe('compareEVR', () => {
  it.each(evrVectors)('%j vs %j is %i', (a, b, expected) => {
    expect(compareEVR(a, b)).toBe(expected);
    expect(compareEVR(b, a)).toBe(expected === 0 ? 0 : -expected);
  });

  itWithTool('rpm', 'agrees with rpm itself on every vector', () => {
    const pairs = evrVectors.map(([a, b]) => [formatEVR(a), formatEVR(b)] as const);
    expect(rpmLuaVercmp(pairs)).toEqual(evrVectors.map(([a, b]) => compareEVR(a, b)));
  });
});

// [older, newer] kernel releases (kernel-uname-r versions) as rpm orders them.
const kernelReleases: [string, string][] = [
  ['5.14.0-427.13.1.el9_4.x86_64', '5.14.0-503.11.1.el9_5.x86_64'],
  // A RHEL z-stream update: sort -V calls the older one newer ("el" against "8").
  ['5.14.0-362.el9.x86_64', '5.14.0-362.8.1.el9_3.x86_64'],
  ['3.10.0-1160.el7.x86_64', '3.10.0-1160.119.1.el7.x86_64'],
  ['6.12.0-0.rc7.58.fc42.x86_64', '6.12.0-64.fc42.x86_64'],
  ['6.11.4-301.fc41.x86_64', '6.11.10-300.fc41.x86_64'],
  ['6.4.0-150600.21-default', '6.4.0-150600.23.25-default'],
  // Two "-": version 6.1.0-9 and release amd64, split at the last one, as rpm does.
  ['6.1.0-9-amd64', '6.1.0-56-amd64'],
  ['6.9.1', '6.9.1-1'],
  ['1:1.0-1', '2:0.1-1'],
  ['1.0-1', '1:0.1-1'],
];

describe('compareRpmVersions', () => {
  it.each(kernelReleases)('%j < %j', (older, newer) => {
    expect(compareRpmVersions(older, newer)).toBe(-1);
    expect(compareRpmVersions(newer, older)).toBe(1);
    expect(compareRpmVersions(newer, newer)).toBe(0);
  });

  itWithTool('rpm', 'agrees with rpm itself on every vector', () => {
    const pairs = kernelReleases.flatMap(([a, b]) => [[a, b] as const, [b, a] as const, [a, a] as const]);
    expect(rpmLuaVercmp(pairs)).toEqual(pairs.map(([a, b]) => compareRpmVersions(a, b)));
  });
});
