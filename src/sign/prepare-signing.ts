import { access, constants } from 'node:fs/promises';
import type { BuildSigning } from '../build/build-plan.ts';
import type { Context } from '../context.ts';
import { KmodError } from '../errors.ts';
import type { KernelInfo } from '../kernel/discover.ts';
import { ensureMokKeyPair } from './mok.ts';
import { planSigning } from './sign-settings.ts';

const keyPairs = new Map<string, Promise<boolean>>();

/**
 * Generates a key pair at most once per process, however many builds ask for it at the same time; true
 * only for the one call that generated it, so the notice is printed once per command, not per kernel.
 */
async function ensureOnce(key: string, certificate: string): Promise<boolean> {
  const id = `${key}\0${certificate}`;
  const pending = keyPairs.get(id);
  if (pending !== undefined) {
    await pending;
    return false;
  }
  const generating = ensureMokKeyPair(key, certificate);
  keyPairs.set(id, generating);
  generating.catch(() => keyPairs.delete(id));
  return generating;
}

async function firstExecutable(candidates: readonly string[]): Promise<string | undefined> {
  for (const file of candidates) {
    try {
      await access(file, constants.X_OK);
      return file;
    } catch {
      // Missing or not executable there; the next place may have it.
    }
  }
  return undefined;
}

/**
 * Decides how builds for a kernel sign their modules, generating the MOK pair when it is missing. A
 * missing sign-file or key becomes "unavailable" (a warning per build, or an error with require).
 */
export async function prepareSigning(ctx: Context, kernel: KernelInfo, arch: string): Promise<BuildSigning> {
  const plan = planSigning(ctx.signing, kernel, arch, ctx.paths.root);
  if (plan.kind === 'skip') return plan;
  const signFile = await firstExecutable(plan.signFileCandidates);
  if (signFile === undefined) {
    return {
      kind: 'unavailable',
      reason: `no sign-file program at ${plan.signFileCandidates.join(' or ')}`,
      require: plan.require,
    };
  }
  try {
    if (await ensureOnce(plan.key, plan.certificate)) {
      ctx.emit({
        type: 'info',
        message: `Generated the module signing key ${plan.key} and certificate ${plan.certificate}; enroll it with: mokutil --import ${plan.certificate}`,
      });
    }
  } catch (error) {
    if (!(error instanceof KmodError)) throw error;
    return { kind: 'unavailable', reason: error.message, require: plan.require };
  }
  return {
    kind: 'sign',
    hash: plan.hash,
    key: plan.key,
    certificate: plan.certificate,
    signFile,
    require: plan.require,
  };
}
