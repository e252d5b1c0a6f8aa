import type { Context } from '../context.ts';
import { expandKernelVariables } from '../config/framework-conf.ts';
import { ensureMokKeyPair, planEnrollCommand } from '../sign/mok.ts';

export interface GenerateMokResult {
  key: string;
  certificate: string;
  /** False when both files already existed. */
  generated: boolean;
  enroll: string;
}

/** dkms generate_mok: makes the signing key pair if it does not exist yet, and says how to enroll it. */
export async function generateMok(ctx: Context, kernel: string, arch: string): Promise<GenerateMokResult> {
  const key = expandKernelVariables(ctx.signing.key, kernel, arch);
  const certificate = expandKernelVariables(ctx.signing.certificate, kernel, arch);
  const generated = await ensureMokKeyPair(key, certificate);
  return { key, certificate, generated, enroll: planEnrollCommand(certificate) };
}
