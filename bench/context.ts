/**
 * What every row group gets: the real kernels, a signing key pair made once (so that no build spends
 * time generating one), throwaway roots and scratch directories that are all removed at the end, the
 * rounds to run, and a progress log (on stderr, so that stdout is the table alone).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { installedKernels } from '../test/support/debian-dkms.ts';
import {
  makeSigningKeyPair,
  makeTestRoot,
  type SigningKeyPair,
  type TestRoot,
} from '../test/support/test-root.ts';

export interface BenchContext {
  /** Every installed kernel with headers, sorted. */
  kernels: string[];
  /** Whether a row was asked for (--only); a group may skip the set-up of rows nobody wants. */
  wants: (rowId: string) => boolean;
  /** Rounds for the group, from --rounds or its own default. */
  rounds: (groupDefault: number) => number;
  /** A fresh root with every kernel's headers linked (or those given) and the shared key pair. */
  newRoot: (label: string, kernels?: readonly string[]) => Promise<TestRoot>;
  /** A fresh scratch directory, outside every root. */
  scratch: (label: string) => Promise<string>;
  /** Removes a root now, to keep the disk use of long runs down. */
  dropRoot: (root: TestRoot) => Promise<void>;
  log: (line: string) => void;
}

export interface OwnedContext extends BenchContext {
  cleanup: () => Promise<void>;
}

export async function makeContext(options: {
  rounds?: number | undefined;
  wants: (rowId: string) => boolean;
}): Promise<OwnedContext> {
  const kernels = installedKernels();
  if (kernels.length === 0) throw new Error('no kernel with headers in /lib/modules: nothing to build for');
  const dirs: string[] = [];
  const roots = new Set<TestRoot>();
  const keyDir = await mkdtemp(path.join(os.tmpdir(), 'kmf-bench-keys-'));
  dirs.push(keyDir);
  const signing: SigningKeyPair = await makeSigningKeyPair(keyDir);
  const started = performance.now();
  return {
    kernels,
    wants: options.wants,
    rounds: (groupDefault) => options.rounds ?? groupDefault,
    newRoot: async (label, only) => {
      const root = await makeTestRoot({
        kernels: only ?? kernels,
        prefix: `kmf-bench-${label}-`,
        signing,
      });
      roots.add(root);
      return root;
    },
    scratch: async (label) => {
      const dir = await mkdtemp(path.join(os.tmpdir(), `kmf-bench-${label}-`));
      dirs.push(dir);
      return dir;
    },
    dropRoot: async (root) => {
      roots.delete(root);
      await removeDir(root.root);
    },
    log: (line) => {
      const at = ((performance.now() - started) / 1000).toFixed(0).padStart(5);
      process.stderr.write(`[${at} s] ${line}\n`);
    },
    cleanup: async () => {
      // allSettled: one directory that cannot go must not keep the others.
      await Promise.allSettled([...[...roots].map((root) => root.root), ...dirs].map(removeDir));
    },
  };
}

/**
 * rm -rf, retried: after an interrupt, a dying make may still write into the tree (ENOTEMPTY).
 */
function removeDir(dir: string): Promise<void> {
  return rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
}
