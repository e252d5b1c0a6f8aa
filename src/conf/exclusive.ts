import type { BuildExclusion } from './module-conf.ts';

export interface ExclusionInput {
  kernel: string;
  arch: string;
  kernelRegex: string | undefined;
  /** Status of bash's `[[ $kernelver =~ $BUILD_EXCLUSIVE_KERNEL ]]`: 0 matched. */
  kernelMatched: number | undefined;
  archRegex: string | undefined;
  archMatched: number | undefined;
  kernelMin: string | undefined;
  kernelMax: string | undefined;
  config: string | undefined;
  obsoleteBy: string | undefined;
  kernelConfig: ReadonlyMap<string, string> | undefined;
}

/**
 * Decides whether BUILD_EXCLUSIVE_* (or OBSOLETE_BY) keep a module from this kernel, and names the first
 * directive that does. OBSOLETE_BY acts as BUILD_EXCLUSIVE_KERNEL_MAX when that is unset (dkms 3.1.8). The regexes were matched by bash itself, so they mean what they mean to dkms.
 */
export function planExclusion(input: ExclusionInput): BuildExclusion | undefined {
  if (input.kernelRegex !== undefined && input.kernelMatched !== 0) {
    return {
      directive: 'BUILD_EXCLUSIVE_KERNEL',
      value: input.kernelRegex,
      reason: `kernel ${input.kernel} does not match BUILD_EXCLUSIVE_KERNEL="${input.kernelRegex}"`,
    };
  }
  if (input.kernelMin !== undefined && compareKernelBound(input.kernel, input.kernelMin) < 0) {
    return {
      directive: 'BUILD_EXCLUSIVE_KERNEL_MIN',
      value: input.kernelMin,
      reason: `kernel ${input.kernel} is older than BUILD_EXCLUSIVE_KERNEL_MIN="${input.kernelMin}"`,
    };
  }
  if (input.kernelMax !== undefined && compareKernelBound(input.kernel, input.kernelMax) > 0) {
    return {
      directive: 'BUILD_EXCLUSIVE_KERNEL_MAX',
      value: input.kernelMax,
      reason: `kernel ${input.kernel} is newer than BUILD_EXCLUSIVE_KERNEL_MAX="${input.kernelMax}"`,
    };
  }
  if (input.archRegex !== undefined && input.archMatched !== 0) {
    return {
      directive: 'BUILD_EXCLUSIVE_ARCH',
      value: input.archRegex,
      reason: `arch ${input.arch} does not match BUILD_EXCLUSIVE_ARCH="${input.archRegex}"`,
    };
  }
  if (input.config !== undefined && input.kernelConfig !== undefined) {
    for (const item of input.config.split(/\s+/).filter((c) => c !== '')) {
      const negated = item.startsWith('!');
      const name = negated ? item.slice(1) : item;
      const value = input.kernelConfig.get(name);
      const enabled = value === 'y' || value === 'm';
      if (enabled === negated) {
        return {
          directive: 'BUILD_EXCLUSIVE_CONFIG',
          value: input.config,
          reason: `kernel ${input.kernel} has ${name} ${enabled ? 'enabled' : 'disabled'}, BUILD_EXCLUSIVE_CONFIG="${input.config}" needs it ${negated ? 'disabled' : 'enabled'}`,
        };
      }
    }
  }
  if (
    input.obsoleteBy !== undefined &&
    input.kernelMax === undefined &&
    compareKernelBound(input.kernel, input.obsoleteBy) > 0
  ) {
    return {
      directive: 'OBSOLETE_BY',
      value: input.obsoleteBy,
      reason: `kernel ${input.kernel} is newer than OBSOLETE_BY="${input.obsoleteBy}", which makes this module obsolete`,
    };
  }
  return undefined;
}

/**
 * Compares a kernel release with a bound such as "6.1", "5.15.0" or "6.1.0-20": the numeric version parts,
 * missing ones counting as 0 (so MAX "6.1" admits 6.1.0-56), and the ABI number only when the bound has one.
 */
export function compareKernelBound(kernel: string, bound: string): number {
  const k = splitBound(kernel);
  const b = splitBound(bound);
  const length = Math.max(k.version.length, b.version.length);
  for (let i = 0; i < length; i++) {
    const diff = (k.version[i] ?? 0) - (b.version[i] ?? 0);
    if (diff !== 0) return Math.sign(diff);
  }
  if (b.abi === undefined || k.abi === undefined) return 0;
  return Math.sign(k.abi - b.abi);
}

function splitBound(value: string): { version: number[]; abi: number | undefined } {
  const m = /^(\d+(?:\.\d+)*)(?:-(\d+))?/.exec(value);
  if (m === null) return { version: [], abi: undefined };
  return { version: (m[1] ?? '').split('.').map(Number), abi: m[2] === undefined ? undefined : Number(m[2]) };
}
