/**
 * The QEMU command line of a verify boot. Pure.
 *
 * - TCG unless KVM is asked for: where /dev/kvm exists without hardware virtualization (a nested VM),
 *   KVM hangs instead of failing.
 * - `-nodefaults` drops the NIC's option ROM and the VGA; `-cpu max` gives a TCG guest SSE4.2 and AES,
 *   which modules such as crc32c_intel need.
 * - `panic=-1` with `-no-reboot` ends QEMU as soon as the guest panics, and when /init resets the machine.
 * - ttyS0 is the kernel's console, ttyS1 the guest's report (see guest-init.ts).
 * - `initcall_debug` makes the kernel log what each module's init returned (at no measurable cost: the
 *   boot's own lines stay in the log buffer, `quiet` keeps them off the console).
 */

export type Accel = 'tcg' | 'kvm';

export const accels: readonly Accel[] = ['tcg', 'kvm'];

export interface QemuPlanInput {
  /** A vmlinux with a PVH entry, or a bzImage. */
  kernel: string;
  initrd: string;
  accel: Accel;
  memoryMb: number;
  consoleLog: string;
  resultsLog: string;
  /** module.sig_enforce=1: the kernel refuses modules without a signature it can check. */
  sigEnforce: boolean;
  /** UEFI firmware (OVMF) and the guest's own copy of its variable store; else SeaBIOS. */
  firmware?: { code: string; vars: string } | undefined;
}

export const qemuProgram = 'qemu-system-x86_64';

export function planKernelCommandLine(sigEnforce: boolean): string {
  return [
    'console=ttyS0',
    'panic=-1',
    'quiet',
    'initcall_debug',
    ...(sigEnforce ? ['module.sig_enforce=1'] : []),
  ].join(' ');
}

export function planQemuCommand(input: QemuPlanInput): string[] {
  return [
    '-nographic',
    '-no-reboot',
    '-nodefaults',
    '-no-user-config',
    '-machine',
    input.firmware === undefined ? 'pc' : 'q35',
    ...(input.firmware === undefined
      ? []
      : [
          '-drive',
          `if=pflash,format=raw,unit=0,readonly=on,file=${input.firmware.code}`,
          '-drive',
          `if=pflash,format=raw,unit=1,file=${input.firmware.vars}`,
        ]),
    '-accel',
    input.accel,
    '-cpu',
    input.accel === 'kvm' ? 'host' : 'max',
    '-m',
    `${input.memoryMb}M`,
    '-smp',
    '1',
    '-kernel',
    input.kernel,
    '-initrd',
    input.initrd,
    '-append',
    planKernelCommandLine(input.sigEnforce),
    '-serial',
    `file:${input.consoleLog}`,
    '-serial',
    `file:${input.resultsLog}`,
    '-monitor',
    'none',
  ];
}

const baseMemoryMb = 512;

/**
 * Enough memory for the initramfs twice (the archive, then the files unpacked from it) and the kernel;
 * a 512 MB guest is enough for anything but a large set of modules.
 */
export function planGuestMemoryMb(initrdBytes: number): number {
  const needed = Math.ceil((initrdBytes * 2.5) / (1024 * 1024)) + 256;
  return Math.max(baseMemoryMb, Math.ceil(needed / 64) * 64);
}
