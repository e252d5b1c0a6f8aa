import type { Context } from '../context.ts';
import { expandKernelVariables } from '../config/framework-conf.ts';
import { ensureMokKeyPair, planEnrollCommand } from '../sign/mok.ts';
import { exists } from '../state/fs.ts';
import type { CommandPlan } from './command-plan.ts';
import type { LockedContext } from './mutation.ts';

export interface GenerateMokResult {
  key: string;
  certificate: string;
  /** False when both files already existed. */
  generated: boolean;
  enroll: string;
}

/** The key pair's paths for a kernel: `${kernelver}` and `${arch}` in the settings are expanded. */
function planKeyPair(ctx: Context, kernel: string, arch: string): { key: string; certificate: string } {
  return {
    key: expandKernelVariables(ctx.signing.key, kernel, arch),
    certificate: expandKernelVariables(ctx.signing.certificate, kernel, arch),
  };
}

/** The key pair's paths for a kernel, and whether generate-mok would make it (a file is missing). */
export async function readMokKeyPair(
  ctx: Context,
  kernel: string,
  arch: string,
): Promise<{ key: string; certificate: string; missing: boolean }> {
  const { key, certificate } = planKeyPair(ctx, kernel, arch);
  const missing = !key.startsWith('pkcs11:') && !((await exists(key)) && (await exists(certificate)));
  return { key, certificate, missing };
}

/** dkms generate_mok: makes the signing key pair if it does not exist yet, and says how to enroll it. */
export async function generateMok(
  ctx: LockedContext,
  kernel: string,
  arch: string,
): Promise<GenerateMokResult> {
  const { key, certificate } = planKeyPair(ctx, kernel, arch);
  const generated = await ensureMokKeyPair(key, certificate);
  return { key, certificate, generated, enroll: planEnrollCommand(certificate) };
}

/**
 * What generate-mok would do, with nothing written: generate the pair when both files are missing, keep it
 * when both exist (or the key is a PKCS#11 token's); half a pair is refused, as ensureMokKeyPair does.
 */
export async function readGenerateMokPlan(ctx: Context, kernel: string, arch: string): Promise<CommandPlan> {
  const { key, certificate } = planKeyPair(ctx, kernel, arch);
  const plan = (step: string): CommandPlan => ({
    command: 'generate-mok',
    steps: [step],
    ops: [],
    depmod: [],
  });
  if (key.startsWith('pkcs11:')) return plan(`the key ${key} is on a PKCS#11 token: nothing to generate`);
  const [haveKey, haveCert] = await Promise.all([exists(key), exists(certificate)]);
  if (!haveKey && !haveCert) return plan(`generate the key pair ${key} ${certificate}`);
  if (haveKey && haveCert) return plan(`the key pair exists: ${key} ${certificate}`);
  const [missing, present] = haveKey ? [certificate, key] : [key, certificate];
  return plan(`fail: ${missing} is missing but ${present} exists; not replacing half of a signing key pair`);
}
