import { KmodError } from '../errors.ts';
import { parseKernelRelease, type FlavorRule } from './release.ts';

/** One (kernel, arch) a command works on. */
export interface KernelTarget {
  release: string;
  arch: string;
}

/**
 * Pairs `-k K[/A]` arguments with `-a A` ones as dkms does: several -a go 1:1 with -k, a single -a applies to
 * every kernel. Without either, the arch the release names (x86_64 in a Fedora release, amd64 in a Debian
 * one), else this machine's.
 */
export function parseKernelTargets(
  kernelArgs: readonly string[],
  archArgs: readonly string[],
  hostArch: string,
  rules: readonly FlavorRule[] = [],
): KernelTarget[] {
  if (archArgs.length > 1 && archArgs.length !== kernelArgs.length) {
    throw new KmodError(
      'MISSING_ARGS',
      `${archArgs.length} arches for ${kernelArgs.length} kernels: if more than one arch is given, there must be one for each -k (1:1)`,
    );
  }
  return kernelArgs.map((arg, i) => {
    const slash = arg.indexOf('/');
    const release = slash === -1 ? arg : arg.slice(0, slash);
    const fromArg = slash === -1 ? undefined : arg.slice(slash + 1);
    if (release === '' || fromArg === '') {
      throw new KmodError(
        'USAGE',
        `-k "${arg}": expected a kernel release, optionally with /arch (e.g. -k 6.1.0-56-amd64/x86_64)`,
      );
    }
    const arch =
      fromArg ??
      archArgs[archArgs.length === 1 ? 0 : i] ??
      parseKernelRelease(release, rules).arch ??
      hostArch;
    return { release, arch };
  });
}
