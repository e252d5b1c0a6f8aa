import { generateMok, readMokKeyPair } from '../../../commands/generate-mok.ts';
import { withMutation } from '../../../commands/mutation.ts';
import { KmodError } from '../../../errors.ts';
import { isOnPath } from '../../../exec/which.ts';
import { exists } from '../../../state/fs.ts';
import type { DkmsInvocation } from '../invocation.ts';
import {
  formatMokPaths,
  mokCertificateNotGenerated,
  mokGenerating,
  mokKeyNotGenerated,
  mokNoOpenssl,
} from '../text/mok.ts';

/**
 * dkms 3.1's generate_mok (prepare_mok): names the key pair, and generates it with kmodforge's generate-mok
 * when a file is missing. Like dkms it always exits 0, saying in its words when the pair could not be made;
 * unlike dkms, half of an existing pair is never overwritten (kmodforge refuses, and that is said as dkms
 * says a pair it could not generate).
 */
export async function runDkmsGenerateMok(inv: DkmsInvocation): Promise<number> {
  const { args, ctx, io } = inv;
  const kernel = args.kernels[0] ?? ctx.runningKernel;
  const arch = args.arches[0] ?? ctx.hostArch;
  const { key, certificate, missing } = await readMokKeyPair(ctx, kernel, arch);
  io.out(formatMokPaths(key, certificate));
  if (!missing) return 0;
  io.out(mokGenerating);
  if (!isOnPath('openssl')) {
    io.out(mokNoOpenssl);
    return 0;
  }
  try {
    await withMutation(ctx, (locked) => generateMok(locked, kernel, arch));
  } catch (error) {
    if (!(error instanceof KmodError) || error.code !== 'SIGN_FAILED') throw error;
  }
  if (!(await exists(key))) io.out(mokKeyNotGenerated(key));
  else if (!(await exists(certificate))) io.out(mokCertificateNotGenerated(certificate));
  return 0;
}
