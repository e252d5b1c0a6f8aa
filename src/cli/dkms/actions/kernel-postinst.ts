import type { DkmsInvocation } from '../invocation.ts';
import { runDkmsAutoinstallOn } from './autoinstall.ts';

/**
 * dkms 3.1's kernel_postinst: autoinstall for the one kernel given (the preflight checks that there is
 * exactly one), in the words of dkms 3.0.10's `autoinstall -k K`.
 */
export function runDkmsKernelPostinst(inv: DkmsInvocation): Promise<number> {
  return runDkmsAutoinstallOn(inv, {
    release: inv.args.kernels[0] ?? '',
    arch: inv.args.arches[0] ?? inv.ctx.hostArch,
  });
}
