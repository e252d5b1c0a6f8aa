import path from 'node:path';
import type { Context } from '../context.ts';
import { KmodError } from '../errors.ts';
import { expandKernelVariables } from '../config/framework-conf.ts';
import { withJobSlots } from '../build/job-slots.ts';
import { runTasks } from '../build/schedule.ts';
import type { KernelTarget } from '../kernel/target.ts';
import { exists, listDir } from '../state/fs.ts';
import { tree } from '../state/tree.ts';
import type { Accel } from '../verify/qemu-command.ts';
import { runVerifyBoot, type VerifyBootResult } from '../verify/run-verify.ts';

export interface VerifyOptions {
  module: string;
  version: string;
  kernel: string;
  arch: string;
  /**
   * Where the built modules are: by default the build in the dkms tree (M/V/K/A/module); a build or an
   * install that verifies before it installs passes the directory of its new build.
   */
  moduleDir?: string | undefined;
  /** Kernel modules to load before ours, as modprobe names them. */
  modprobe?: readonly string[] | undefined;
  kernelImage?: string | undefined;
  kernelPackage?: string | undefined;
  sigEnforce?: boolean | undefined;
  timeoutSeconds?: number | undefined;
  accel?: Accel | undefined;
}

export interface VerifyResult extends VerifyBootResult {
  module: string;
  version: string;
  arch: string;
}

export const defaultVerifyTimeoutSeconds = 120;

const moduleFile = /\.ko(\.(gz|xz|zst))?$/;

/** QEMU emulates an x86_64 machine here: the arch of the build must be one it runs. */
function checkArch(arch: string): void {
  if (arch !== 'x86_64' && arch !== 'amd64')
    throw new KmodError('USAGE', `verify boots x86_64 kernels only, not ${arch}`);
}

/** The certificate builds sign with for this kernel, if there is one: the guest of --sig-enforce trusts it. */
async function readSigningCertificate(
  ctx: Context,
  kernel: string,
  arch: string,
): Promise<string | undefined> {
  const certificate = expandKernelVariables(ctx.signing.certificate, kernel, arch);
  return (await exists(certificate)) ? certificate : undefined;
}

/**
 * Boots the kernel under QEMU and loads a module's built files in it (with what they need of the kernel's
 * own modules): one result per module, loaded or failed in the kernel's words. Reads the build, writes
 * only the verify cache; takes no lock.
 */
export async function verifyModule(ctx: Context, options: VerifyOptions): Promise<VerifyResult> {
  checkArch(options.arch);
  const { module, version, kernel, arch } = options;
  const dir = options.moduleDir ?? tree.builtModules(ctx.paths, { module, version, kernel, arch });
  const files = (await listDir(dir))
    .filter((n) => moduleFile.test(n))
    .sort()
    .map((n) => path.join(dir, n));
  if (files.length === 0)
    throw new KmodError(
      'BUILT_MODULE_MISSING',
      `${module}/${version} has no built module for ${kernel} (${arch}) in ${dir}`,
      {
        hint: `build it first: kmodforge build ${module}/${version} -k ${kernel}`,
      },
    );
  const result = await runVerifyBoot(ctx, {
    kernel,
    moduleFiles: files,
    modprobe: options.modprobe ?? [],
    kernelImage: options.kernelImage,
    kernelPackage: options.kernelPackage,
    sigEnforce: options.sigEnforce ?? false,
    trustedCertificate: await readSigningCertificate(ctx, kernel, options.arch),
    timeoutMs: (options.timeoutSeconds ?? defaultVerifyTimeoutSeconds) * 1000,
    accel: options.accel ?? 'tcg',
  });
  return { ...result, module, version, arch };
}

/** What build --verify and install --verify ask of verify: the kernel's own image or package, by default. */
export interface VerifySettings {
  timeoutSeconds?: number | undefined;
}

/** The verify of a build before it is used: its result, and the error that keeps it from being installed. */
export interface BuildVerify {
  /** Undefined when verify could not boot the kernel at all (then `error` says why). */
  result: VerifyResult | undefined;
  /** LOAD_FAILED for a module that did not load; the error of a verify that could not run; else undefined. */
  error: KmodError | undefined;
}

/** The error of a verify whose modules did not all load, in the kernel's words. Pure. */
export function describeLoadFailure(result: VerifyResult, hint: string): KmodError {
  const failed = result.modules.filter((m) => m.status !== 'loaded');
  const reasons = failed.map((m) => `${m.name}: ${m.reason ?? m.status}`);
  const why =
    reasons.length > 0 ? reasons.join('; ') : (result.endDetail ?? `the guest ended: ${result.end}`);
  return new KmodError(
    'LOAD_FAILED',
    `${result.module}/${result.version} does not load in ${result.kernel} (${result.arch}): ${why}`,
    { hint },
  );
}

/**
 * Verifies a module's build for each kernel given, in parallel within the job budget (each boot is one
 * emulated CPU): one BuildVerify per target, in order. A verify that cannot run (no QEMU, no kernel image)
 * is a failure of that kernel too: what was asked for could not be shown.
 */
export async function verifyBuilds(
  ctx: Context,
  request: { module: string; version: string; targets: readonly KernelTarget[]; hint: string },
  settings: VerifySettings,
): Promise<BuildVerify[]> {
  const { module, version, hint } = request;
  const tasks = request.targets.map((target) => ({
    id: `${target.release}/${target.arch}`,
    after: [],
    run: async (): Promise<BuildVerify> => {
      const where = `${module}/${version} for ${target.release} (${target.arch})`;
      ctx.emit({ type: 'info', message: `Verifying ${where} under QEMU` });
      try {
        const result = await verifyModule(ctx, {
          module,
          version,
          kernel: target.release,
          arch: target.arch,
          timeoutSeconds: settings.timeoutSeconds,
        });
        return { result, error: result.ok ? undefined : describeLoadFailure(result, hint) };
      } catch (error) {
        if (!(error instanceof KmodError)) throw error;
        return { result: undefined, error };
      }
    },
  }));
  const outcomes = await withJobSlots(ctx.jobs, (slots) => runTasks(tasks, slots));
  return outcomes.map((o) => {
    if (o.ok) return o.value;
    throw 'error' in o ? o.error : new Error(`verify ${o.id} never ran`);
  });
}
