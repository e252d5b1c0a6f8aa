import { describe, expect, it } from 'vitest';
import type { AutoinstallEntry } from '../../../../src/commands/autoinstall.ts';
import {
  formatDkmsMissingDependencies,
  planDkmsAutoinstallReport,
} from '../../../../src/cli/dkms/text/autoinstall.ts';
import { planDkmsPrermRemovals } from '../../../../src/cli/dkms/text/autoinstall-kernel-hooks.ts';
import { parseDkmsMatchLine, planDkmsMatchLines } from '../../../../src/cli/dkms/text/match.ts';

function entry(module: string, result: AutoinstallEntry['result'], depends: string[] = []): AutoinstallEntry {
  return {
    module,
    version: '1.0',
    kernel: '6.1.0-1-amd64',
    arch: 'x86_64',
    result,
    error: undefined,
    missing: [],
    depends,
  };
}

describe('planDkmsAutoinstallReport', () => {
  it('orders installs as dkms passes run them: each after the dependencies this run installed', () => {
    const report = planDkmsAutoinstallReport(
      [
        entry('c-top', 'installed', ['b-mid']),
        entry('b-mid', 'installed', ['z-base']),
        entry('z-base', 'installed'),
        entry('a-free', 'installed', ['already']),
      ],
      new Set(['c-top', 'b-mid', 'z-base', 'a-free', 'already']),
    );
    expect(report.installs.map((e) => e.module)).toEqual(['a-free', 'z-base', 'b-mid', 'c-top']);
    expect(report).toMatchObject({ missing: [], failed: false });
  });

  it('counts a BUILD_EXCLUSIVE skip as a failure, as 3.0.10 does', () => {
    expect(planDkmsAutoinstallReport([entry('x', 'skipped')], new Set()).failed).toBe(true);
    expect(planDkmsAutoinstallReport([entry('x', 'failed')], new Set()).failed).toBe(true);
  });

  it('lists the modules left waiting with the dependencies still not installed, in module order', () => {
    const report = planDkmsAutoinstallReport(
      [entry('zed', 'missing-deps', ['gone', 'here']), entry('abc', 'missing-deps', ['gone'])],
      new Set(['here']),
    );
    expect(report.missing).toEqual([
      { module: 'abc', version: '1.0', depends: ['gone'] },
      { module: 'zed', version: '1.0', depends: ['gone'] },
    ]);
    expect(formatDkmsMissingDependencies({ module: 'zed', version: '1.0', depends: ['a', 'b'] })).toBe(
      'zed/1.0 autoinstall failed due to missing dependencies: a b\n',
    );
  });

  it('sorts module names bytewise, as bash globs them under LC_ALL=C', () => {
    const report = planDkmsAutoinstallReport(
      [entry('a_b', 'installed'), entry('a-b', 'installed'), entry('B', 'installed')],
      new Set(),
    );
    expect(report.installs.map((e) => e.module)).toEqual(['B', 'a-b', 'a_b']);
  });
});

describe('match text', () => {
  const lines = [
    'kmf-simple/1.0, 6.1.0-1-amd64, x86_64: installed',
    'kmf-other/2.0, 6.1.0-1-amd64, x86_64: built',
    'kmf-orig/1.0, 6.1.0-1-amd64, x86_64: installed (Original modules exist)',
  ];

  it('takes the installed lines; a module filter matches none, as `grep "^$module,"` does', () => {
    expect(planDkmsMatchLines(lines, undefined)).toEqual([lines[0], lines[2]]);
    expect(planDkmsMatchLines(lines, 'kmf-simple')).toEqual([]);
  });

  it("reads awk's first two fields less their commas", () => {
    expect(parseDkmsMatchLine(lines[0] ?? '')).toEqual({
      module: 'kmf-simple/1.0',
      version: '6.1.0-1-amd64',
    });
  });
});

describe('planDkmsPrermRemovals', () => {
  it('reads the lines as the hook does, keeping only those whose state is exactly "installed"', () => {
    expect(
      planDkmsPrermRemovals([
        'kmf-simple/1.0, 6.1.0-1-amd64, x86_64: installed',
        'kmf-built/1.0, 6.1.0-1-amd64, x86_64: built',
        'kmf-orig/1.0, 6.1.0-1-amd64, x86_64: installed (Original modules exist)',
        'kmf-added/1.0: added',
      ]),
    ).toEqual([{ module: 'kmf-simple', version: '1.0', arch: 'x86_64' }]);
  });
});
