import { describe, expect, it } from 'vitest';
import { mergeResultsMarkdown, resultsMarkdown } from '../../../bench/report.ts';
import type { RowResult } from '../../../bench/result.ts';

const machine = { cpu: 'CPU', cores: 2, kernel: 'Linux', node: 'v20', dkms: 'dkms-3.0.10', loadAtStart: 0.5 };
const info = (command: string) => ({
  command,
  date: new Date('2026-01-01T00:00:00Z'),
  machine,
  duration: 60,
});

function row(id: string, title: string, wall: number): RowResult {
  return {
    id,
    title,
    rounds: 3,
    baseline: { label: 'dkms 3.0.10', wall: 2 },
    kmodforge: { label: 'kmodforge', wall },
    goals: [],
    notes: [`note of ${id}`],
  };
}

describe('mergeResultsMarkdown', () => {
  const full = resultsMarkdown([row('a', 'row a', 1), row('b', 'row b', 1)], info('npm run bench'));

  it("replaces a row's summary line and section, and keeps the others and the header", () => {
    const merged = mergeResultsMarkdown(
      full,
      [row('a', 'row a', 0.5)],
      info('npm run bench -- --only a --merge'),
    );
    expect(merged).toContain('- command: `npm run bench`');
    expect(merged).toContain('| row a | dkms 3.0.10: 2.00 s | 500 ms | 4.00x faster |  |');
    expect(merged).toContain('| row b | dkms 3.0.10: 2.00 s | 1.00 s | 2.00x faster |  |');
    expect(merged.match(/## row a/g)).toHaveLength(1);
    expect(merged).toContain(
      'Row `a`, 3 rounds, measured 2026-01-01T00:00:00.000Z by `npm run bench -- --only a --merge` (load average 0.50 at the start).',
    );
    expect(merged.indexOf('## row a')).toBeLessThan(merged.indexOf('## row b'));
    expect(merged).toContain('- note of b\n');
  });

  it('adds a new row at the end of the summary and of the file', () => {
    const merged = mergeResultsMarkdown(full, [row('c', 'row c', 1)], info('merge c'));
    const lines = merged.split('\n');
    const summary = lines.filter((l) => /^\| row [a-z] /.test(l));
    expect(summary.map((l) => l.split(' | ')[0])).toEqual(['| row a', '| row b', '| row c']);
    expect(merged.trimEnd().endsWith('- note of c')).toBe(true);
  });
});
