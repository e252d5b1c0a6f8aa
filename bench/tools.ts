/**
 * The two tools as the benchmark runs them on a throwaway root: dkms 3.0.10 as test/support's runDkms
 * does (LC_ALL=C, the root's trees and signing key), and kmodforge as a real process (bin/kmodforge.js,
 * so dist/ must be built) with `--root` and the same trees, as users run it.
 */
import path from 'node:path';
import { repoRoot } from '../test/support/debian-dkms.ts';
import { kmodforgeOptions, treeOptions, type TestRoot } from '../test/support/test-root.ts';
import { runTimed, type Run } from './harness.ts';

export type Tool = 'dkms' | 'kmodforge';

export const kmodforgeBin = path.join(repoRoot, 'bin', 'kmodforge.js');

export interface ToolRunOptions {
  cpu?: boolean;
}

export function dkms(root: TestRoot, args: readonly string[], options: ToolRunOptions = {}): Promise<Run> {
  return runTimed('dkms', [...args, ...treeOptions(root)], {
    ...options,
    env: {
      ...process.env,
      LC_ALL: 'C',
      // dkms signs with these whatever --dkmstree says; they default to the real /var/lib/dkms.
      mok_signing_key: root.signingKey,
      mok_certificate: root.signingCertificate,
    },
  });
}

export function kmodforge(
  root: TestRoot,
  args: readonly string[],
  options: ToolRunOptions = {},
): Promise<Run> {
  return runTimed(process.execPath, [kmodforgeBin, ...args, ...kmodforgeOptions(root)], {
    ...options,
    env: { ...process.env, LC_ALL: 'C' },
  });
}

/** Runs the same operation with either tool: `args` are those of the tool given. */
export function runTool(
  tool: Tool,
  root: TestRoot,
  args: readonly string[],
  options: ToolRunOptions = {},
): Promise<Run> {
  return tool === 'dkms' ? dkms(root, args, options) : kmodforge(root, args, options);
}

/** `-k K` for each kernel, as both tools take them. */
export function kernelArgs(kernels: readonly string[]): string[] {
  return kernels.flatMap((k) => ['-k', k]);
}

/** The non-empty lines a command printed. */
export function lines(run: Run): string[] {
  return run.stdout.split('\n').filter((l) => l !== '');
}
