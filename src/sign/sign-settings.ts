import path from 'node:path';
import type { FrameworkConf } from '../config/framework-conf.ts';
import { expandKernelVariables } from '../config/framework-conf.ts';
import type { KernelInfo } from '../kernel/discover.ts';

/** Signing settings as configured, before per-kernel expansion. */
export interface SigningSettings {
  /** Private key path or pkcs11: URI. */
  key: string;
  certificate: string;
  /** The sign-file program, if configured; otherwise found per distro. */
  signFile: string | undefined;
  /** A signing failure fails the build instead of leaving the module unsigned. */
  require: boolean;
}

/** Where things come from, most specific first: kmodforge's [signing], framework.conf, dkms's defaults. */
export function planSigningSettings(options: {
  root: string;
  framework: FrameworkConf;
  config: {
    key?: string | undefined;
    certificate?: string | undefined;
    signFile?: string | undefined;
    require?: boolean | undefined;
  };
  requireFromCli: boolean;
}): SigningSettings {
  const fw = options.framework.values;
  // Configured paths name files of the system under the root; a pkcs11: URI names a token.
  const rooted = (p: string | undefined): string | undefined =>
    p === undefined || !path.isAbsolute(p) ? p : path.join(options.root, p);
  return {
    key: rooted(options.config.key ?? fw.mok_signing_key) ?? path.join(options.root, 'var/lib/dkms/mok.key'),
    certificate:
      rooted(options.config.certificate ?? fw.mok_certificate) ??
      path.join(options.root, 'var/lib/dkms/mok.pub'),
    signFile: rooted(options.config.signFile ?? fw.sign_file),
    require: options.requireFromCli || options.config.require === true,
  };
}

export type SigningPlan =
  | { kind: 'skip'; reason: string }
  | {
      kind: 'sign';
      hash: string;
      key: string;
      certificate: string;
      signFileCandidates: string[];
      require: boolean;
    };

/**
 * Whether and how to sign modules for one kernel: only when its .config has CONFIG_MODULE_SIG with a hash
 * (dkms 3.1+), with ${kernelver} expanded in the paths, and sign-file looked for where the distro puts it
 * (Debian: /usr/lib/linux-kbuild-<major.minor>/scripts/sign-file), then in the headers. Pure.
 */
export function planSigning(
  settings: SigningSettings,
  kernel: Pick<KernelInfo, 'release' | 'config' | 'headersDir'>,
  arch: string,
  root: string,
): SigningPlan {
  const config = kernel.config;
  if (config === undefined) return { kind: 'skip', reason: `kernel ${kernel.release} has no .config` };
  if (!config.signing.enabled)
    return {
      kind: 'skip',
      reason: `kernel ${kernel.release} does not check module signatures (no CONFIG_MODULE_SIG)`,
    };
  if (config.signing.hash === undefined)
    return { kind: 'skip', reason: `kernel ${kernel.release} has no CONFIG_MODULE_SIG_HASH` };
  const expand = (v: string): string => expandKernelVariables(v, kernel.release, arch);
  const kbuildVersion = kernel.release.replace(/\.[^.]*$/, '');
  const candidates =
    settings.signFile !== undefined
      ? [expand(settings.signFile)]
      : [
          path.join(root, `usr/lib/linux-kbuild-${kbuildVersion}/scripts/sign-file`),
          ...(kernel.headersDir === undefined ? [] : [path.join(kernel.headersDir, 'scripts/sign-file')]),
        ];
  return {
    kind: 'sign',
    hash: config.signing.hash,
    key: expand(settings.key),
    certificate: expand(settings.certificate),
    signFileCandidates: candidates,
    require: settings.require,
  };
}
