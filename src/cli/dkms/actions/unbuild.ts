import type { DkmsInvocation } from '../invocation.ts';
import { runDkmsRemoval } from './remove.ts';

/** dkms unbuild: see runDkmsRemoval. */
export function runDkmsUnbuild(inv: DkmsInvocation): Promise<number> {
  return runDkmsRemoval(inv, 'unbuild');
}
