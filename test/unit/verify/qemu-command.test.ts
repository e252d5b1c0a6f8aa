import { describe, expect, it } from 'vitest';
import { planGuestMemoryMb, planQemuCommand } from '../../../src/verify/qemu-command.ts';

const input = {
  kernel: '/cache/vmlinux',
  initrd: '/tmp/v/initramfs.cpio',
  accel: 'tcg' as const,
  memoryMb: 512,
  consoleLog: '/tmp/v/console.log',
  resultsLog: '/tmp/v/results.log',
  sigEnforce: false,
};

describe('planQemuCommand', () => {
  it('boots under TCG with the console on ttyS0 and the report on ttyS1, ending on a panic', () => {
    expect(planQemuCommand(input)).toEqual([
      '-nographic',
      '-no-reboot',
      '-nodefaults',
      '-no-user-config',
      '-machine',
      'pc',
      '-accel',
      'tcg',
      '-cpu',
      'max',
      '-m',
      '512M',
      '-smp',
      '1',
      '-kernel',
      '/cache/vmlinux',
      '-initrd',
      '/tmp/v/initramfs.cpio',
      '-append',
      'console=ttyS0 panic=-1 quiet initcall_debug',
      '-serial',
      'file:/tmp/v/console.log',
      '-serial',
      'file:/tmp/v/results.log',
      '-monitor',
      'none',
    ]);
  });

  it('enforces signatures when asked, and takes the host CPU under KVM', () => {
    const argv = planQemuCommand({ ...input, accel: 'kvm', sigEnforce: true });
    expect(argv[argv.indexOf('-append') + 1]).toBe(
      'console=ttyS0 panic=-1 quiet initcall_debug module.sig_enforce=1',
    );
    expect(argv.slice(argv.indexOf('-accel'), argv.indexOf('-accel') + 4)).toEqual([
      '-accel',
      'kvm',
      '-cpu',
      'host',
    ]);
  });

  it("boots through OVMF, with the guest's own variable store, when there is firmware", () => {
    const argv = planQemuCommand({
      ...input,
      kernel: '/cache/vmlinuz',
      firmware: { code: '/ovmf/CODE.fd', vars: '/tmp/v/vars.fd' },
    });
    expect(argv.slice(argv.indexOf('-machine'), argv.indexOf('-machine') + 6)).toEqual([
      '-machine',
      'q35',
      '-drive',
      'if=pflash,format=raw,unit=0,readonly=on,file=/ovmf/CODE.fd',
      '-drive',
      'if=pflash,format=raw,unit=1,file=/tmp/v/vars.fd',
    ]);
  });

  it('gives the guest room for the initramfs twice', () => {
    expect(planGuestMemoryMb(2_000_000)).toBe(512);
    expect(planGuestMemoryMb(200 * 1024 * 1024)).toBe(768);
  });
});
