import type { KernelConfigFacts } from '../kernel/kconfig.ts';

/**
 * The make command dkms runs: a leading "make" becomes "make -j<jobs> KERNELRELEASE=<kernel>" (dkms.in
 * `${make_command/#make/…}`, so quoting 'make' in dkms.conf opts out), and clang-built kernels get LLVM=1 so
 * the module is compiled and linked by the same toolchain as the kernel. Under a jobserver (see
 * withJobSlots) make gets no -j: make 4.3 leaves the jobserver of its MAKEFLAGS for a -j of its own command
 * line.
 */
export function planMakeCommand(
  command: string,
  options: {
    jobs: number;
    jobserver: boolean;
    kernel: string;
    config: KernelConfigFacts | undefined;
    defaultCc: string | undefined;
  },
): string {
  const jobs = options.jobserver ? '' : options.jobs > 0 ? `-j${options.jobs} ` : '-j ';
  let result = command.startsWith('make')
    ? `make ${jobs}KERNELRELEASE=${options.kernel}${command.slice(4)}`
    : command;
  if (options.config?.compiler.clang === true) result += ' LLVM=1';
  else if (options.defaultCc !== undefined) result += ` CC=${options.defaultCc}`;
  return result;
}

/**
 * The compiler named by CONFIG_CC_VERSION_TEXT ("gcc-12 (Debian 12.2.0-14) 12.2.0" → "gcc-12"), which dkms
 * exports as CC; undefined for clang kernels (LLVM=1 covers them) or when the text names no command.
 */
export function planKernelCc(config: KernelConfigFacts | undefined): string | undefined {
  const text = config?.compiler.versionText;
  if (text === undefined || config?.compiler.clang === true) return undefined;
  const first = text.split(' ')[0] ?? '';
  return /^[\w.+-]+$/.test(first) ? first : undefined;
}
