import path from 'node:path';
import type { Context } from '../context.ts';
import { KmodError } from '../errors.ts';
import { expandKernelVariables } from '../config/framework-conf.ts';
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
