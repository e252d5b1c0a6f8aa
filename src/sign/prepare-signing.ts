import { access, constants } from 'node:fs/promises';
import type { BuildSigning } from '../build/build-plan.ts';
import type { Context } from '../context.ts';
import { KmodError } from '../errors.ts';
import type { KernelInfo } from '../kernel/discover.ts';
import { ensureMokKeyPair } from './mok.ts';
import { planSigning } from './sign-settings.ts';
import { exists } from '../state/fs.ts';

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

/** Generates the pair if it is missing, saying so once; the reason signing cannot work if that fails. */
async function generateKeyPair(ctx: Context, key: string, certificate: string): Promise<string | undefined> {
  try {
    if (await ensureOnce(key, certificate)) {
      ctx.emit({
        type: 'info',
        message: `Generated the module signing key ${key} and certificate ${certificate}; enroll it with: mokutil --import ${certificate}`,
      });
    }
    return undefined;
  } catch (error) {
    if (!(error instanceof KmodError)) throw error;
    return error.message;
  }
}

const announced = new Set<string>();

/** Says once that a build would generate the pair; a dry run writes nothing. */
async function announceKeyPair(ctx: Context, key: string, certificate: string): Promise<void> {
  if (announced.has(key)) return;
  announced.add(key);
  if (!key.startsWith('pkcs11:') && !(await exists(key)) && !(await exists(certificate)))
    ctx.emit({
      type: 'info',
      message: `Would generate the module signing key ${key} and certificate ${certificate}`,
    });
  return undefined;
}

/**
 * Decides how builds for a kernel sign their modules, generating the MOK pair when it is missing. A
 * missing sign-file or key becomes "unavailable" (a warning per build, or an error with require).
 */
export async function prepareSigning(
  ctx: Context,
  kernel: KernelInfo,
  arch: string,
  options: { dryRun?: boolean } = {},
): Promise<BuildSigning> {
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
  // A dry run writes nothing: the pair a build would generate is only announced.
  if (options.dryRun === true) await announceKeyPair(ctx, plan.key, plan.certificate);
  else {
    const unavailable = await generateKeyPair(ctx, plan.key, plan.certificate);
    if (unavailable !== undefined) return { kind: 'unavailable', reason: unavailable, require: plan.require };
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
