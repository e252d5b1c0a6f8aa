import { rmdir } from 'node:fs/promises';
import path from 'node:path';
import { asKmodError } from '../../render.ts';
import type { DkmsInvocation } from '../invocation.ts';
import { formatDkmsError } from '../parse-dkms-argv.ts';
import { formatDkmsPrermRemoving, planDkmsPrermRemovals } from '../text/autoinstall-kernel-hooks.ts';
import { readDkmsStatusLines } from './match.ts';
import { runDkmsRemoval } from './remove.ts';

/**
 * dkms 3.1's kernel_prerm, as dkms 3.0.10's /etc/kernel/prerm.d/dkms hook does it for the kernel: `dkms
 * remove` of each module version installed there (kmodforge's remove: one transaction each), a line on
 * stderr before each, then the empty updates directories go. Like the hook it never fails: a remove that
 * fails says so and the next one runs.
 */
export async function runDkmsKernelPrerm(inv: DkmsInvocation): Promise<number> {
  const { args, ctx, io } = inv;
  const kernel = args.kernels[0] ?? '';
  for (const removal of planDkmsPrermRemovals(await readDkmsStatusLines(inv, kernel, undefined))) {
    io.err(formatDkmsPrermRemoving(removal, kernel));
    const removeArgs = {
      ...args,
      module: removal.module,
      moduleVersion: removal.version,
      kernels: [kernel],
      arches: [removal.arch],
    };
    try {
      await runDkmsRemoval({ ...inv, args: removeArgs }, 'remove');
    } catch (error) {
      const kmodError = asKmodError(error);
      if (kmodError === undefined) throw error;
      io.err(formatDkmsError(kmodError.message.split('\n')));
    }
  }
  for (const dir of ['updates/dkms', 'updates'])
    await rmdir(path.join(ctx.paths.installTree, kernel, dir)).catch(() => undefined);
  return 0;
}
