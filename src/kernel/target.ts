import { KmodError } from '../errors.ts';
import { kernelReleaseProblem, parseKernelRelease, type FlavorRule } from './release.ts';

/** One (kernel, arch) a command works on. */
export interface KernelTarget {
  release: string;
  arch: string;
}

/**
 * Why a string cannot be an arch, or undefined when it can. Like a release, an arch names a directory in
 * the dkms tree (M/V/K/A) and is passed to make, so it is a plain name: `uname -m` and dpkg arches are
 * letters, digits, `_`, `-` and `.` (x86_64, i686, armv7l, ppc64le, amd64). Pure.
 */
export function archProblem(arch: string): string | undefined {
  if (arch === '') return 'it is empty';
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(arch))
    return 'expected letters, digits, "_", "-" and "." beginning with a letter or digit, as `uname -m` prints';
  if (arch.length > 64) return 'it is longer than 64 characters';
  return undefined;
}

/** Throws the usage error for a kernel or arch that cannot be one, naming where it came from. */
export function checkKernelTarget(target: KernelTarget, from: string): KernelTarget {
  const release = kernelReleaseProblem(target.release);
  if (release !== undefined)
    throw new KmodError(
      'USAGE',
      `${from}: invalid kernel release ${JSON.stringify(target.release)}: ${release}`,
      {
        hint: 'A kernel release is what `uname -r` prints, e.g. 6.1.0-56-amd64.',
      },
    );
  const arch = archProblem(target.arch);
  if (arch !== undefined)
    throw new KmodError('USAGE', `${from}: invalid arch ${JSON.stringify(target.arch)}: ${arch}`);
  return target;
}

/**
 * Pairs `-k K[/A]` arguments with `-a A` ones as dkms does: several -a go 1:1 with -k, a single -a applies to
 * every kernel. Without either, the arch the release names (x86_64 in a Fedora release, amd64 in a Debian
 * one), else this machine's. Every kernel and arch is checked to be a name.
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
  for (const arch of archArgs) checkArchArg(arch);
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
    // The release is checked before it is parsed for the arch it names.
    checkKernelTarget({ release, arch: fromArg ?? hostArch }, `-k "${arg}"`);
    const arch =
      fromArg ??
      archArgs[archArgs.length === 1 ? 0 : i] ??
      parseKernelRelease(release, rules).arch ??
      hostArch;
    return checkKernelTarget({ release, arch }, `-k "${arg}"`);
  });
}

/** Checks one `-a` value. */
export function checkArchArg(arch: string): string {
  const problem = archProblem(arch);
  if (problem !== undefined) throw new KmodError('USAGE', `-a "${arch}": invalid arch: ${problem}`);
  return arch;
}
