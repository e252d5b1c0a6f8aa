import type { DkmsInvocation } from '../invocation.ts';
import { runDkmsRemoval } from './remove.ts';

/** dkms uninstall: see runDkmsRemoval. */
export function runDkmsUninstall(inv: DkmsInvocation): Promise<number> {
  return runDkmsRemoval(inv, 'uninstall');
}
