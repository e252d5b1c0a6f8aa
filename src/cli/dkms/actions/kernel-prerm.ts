import { rmdir } from 'node:fs/promises';
import path from 'node:path';
import { asKmodError } from '../../render.ts';
import type { DkmsInvocation } from '../invocation.ts';
import { formatDkmsError } from '../text/messages.ts';
import { formatDkmsPrermRemoving, planDkmsPrermRemovals } from '../text/autoinstall-kernel-hooks.ts';
import { runDkmsRemoval } from './remove.ts';
import { readDkmsStatusLines } from './status.ts';

/**
 * dkms 3.1's kernel_prerm, as dkms 3.0.10's /etc/kernel/prerm.d/dkms hook does it for the kernel: `dkms
 * remove` of each module version installed there (kmodforge's remove: one transaction each, and so one
 * depmod each), a line on stderr before each, then the empty updates directories go. Like the hook it never
 * fails: a remove that fails says so and the next one runs. This copies dkms's hook for scripts that run
 * `dkms kernel_prerm`; kmodforge's own installed hooks run `kmodforge kernel_prerm` instead, which unbuilds
 * every module built for the kernel with one depmod at the end (src/commands/kernel-hooks.ts).
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
