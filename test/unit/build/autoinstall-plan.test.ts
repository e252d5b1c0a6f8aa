import { describe, expect, it } from 'vitest';
import { findDependencyCycles, planAutoinstall } from '../../../src/commands/autoinstall.ts';

const c = (module: string, ...depends: string[]): { module: string; version: string; depends: string[] } => ({
  module,
  version: '1',
  depends,
});

describe('planAutoinstall', () => {
  it('runs modules whose dependencies are installed or will be', () => {
    const plan = planAutoinstall([c('app', 'lib'), c('lib', 'base')], new Set(['base']));
    expect(plan.runnable.map((x) => x.module)).toEqual(['app', 'lib']);
    expect(plan.missing.size).toBe(0);
  });

  it('reports dependencies that are neither installed nor installable, and what depends on them', () => {
    const plan = planAutoinstall([c('app', 'lib'), c('lib', 'nowhere'), c('free')], new Set());
    expect(plan.runnable.map((x) => x.module)).toEqual(['free']);
    expect([...plan.missing]).toEqual([
      ['lib', ['nowhere']],
      ['app', ['lib']],
    ]);
  });

  it('names dependency cycles', () => {
    expect(findDependencyCycles([c('a', 'b'), c('b', 'c'), c('c', 'a'), c('d', 'a')])).toEqual([
      ['a', 'b', 'c', 'a'],
    ]);
    const plan = planAutoinstall([c('a', 'b'), c('b', 'a'), c('d', 'a')], new Set());
    expect(plan.runnable).toEqual([]);
    expect(plan.missing.get('a')).toEqual(['cycle a -> b -> a']);
    expect(plan.missing.get('d')).toEqual(['a']);
  });
});
