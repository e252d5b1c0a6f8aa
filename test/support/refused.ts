import { expect } from 'vitest';
import type { CliRun } from './cli.ts';
import { snapshotTree, type TestRoot } from './test-root.ts';

/** Runs the CLI in `t` and checks the exit code and that the dkms, source and install trees did not change. */
export async function expectRefused(t: TestRoot, code: number, ...args: string[]): Promise<CliRun> {
  const trees = (): Promise<string[][]> =>
    Promise.all([t.dkmsTree, t.sourceTree, t.installTree].map((d) => snapshotTree(d)));
  const before = await trees();
  const result = await t.cli(...args);
  // Soft: a failure reports the exit code, the message and any change together.
  expect.soft([args.join(' '), result.code]).toEqual([args.join(' '), code]);
  expect.soft(result.stderr).not.toContain('internal error');
  expect.soft(await trees()).toEqual(before);
  return result;
}
