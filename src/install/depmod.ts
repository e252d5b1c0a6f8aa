import path from 'node:path';
import type { KmodEvent } from '../context.ts';
import { KmodError } from '../errors.ts';
import { describeEnd, lastLines, runCommand } from '../exec/run.ts';
import type { Paths } from '../paths.ts';
import { exists } from '../state/fs.ts';

/**
 * The depmod command for a kernel, or why there is none: dkms skips depmod for a kernel without
 * modules.dep (its image is not installed), and depmod can only reach an install tree that ends in
 * lib/modules (its -b takes the directory above).
 */
export async function planDepmod(
  paths: Paths,
  kernel: string,
): Promise<{ argv: string[] } | { skip: string }> {
  if (!(await exists(path.join(paths.installTree, kernel, 'modules.dep')))) {
    return {
      skip: `${path.join(paths.installTree, kernel)} has no modules.dep (kernel image not installed)`,
    };
  }
  if (!paths.installTree.endsWith('/lib/modules'))
    return { skip: `depmod cannot work on ${paths.installTree}: it is not a lib/modules directory` };
  const base = path.dirname(path.dirname(paths.installTree));
  const argv = ['-a'];
  if (base !== '/') argv.push('-b', base);
  const systemMap = path.join(paths.root, 'boot', `System.map-${kernel}`);
  if (await exists(systemMap)) argv.push('-F', systemMap);
  argv.push(kernel);
  return { argv };
}

const depmodTimeoutMs = 10 * 60 * 1000;

/**
 * Runs depmod for one kernel (once per kernel per command); throws DEPMOD_FAILED (exit 6), with the
 * caller's hint (say, that its transaction was rolled back).
 */
export async function runDepmod(
  paths: Paths,
  kernel: string,
  emit: (e: KmodEvent) => void,
  hint?: string,
): Promise<void> {
  const plan = await planDepmod(paths, kernel);
  if ('skip' in plan) {
    emit({ type: 'info', message: `Skipping depmod for ${kernel}: ${plan.skip}` });
    return;
  }
  const result = await runCommand('depmod', plan.argv, { timeoutMs: depmodTimeoutMs });
  if (result.exitCode !== 0 || result.timedOut) {
    throw new KmodError(
      'DEPMOD_FAILED',
      `depmod ${plan.argv.join(' ')} failed (${describeEnd(result, depmodTimeoutMs)}):\n${lastLines(result.all, 10)}`,
      { hint },
    );
  }
}
