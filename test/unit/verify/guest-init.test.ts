import { describe, expect, it } from 'vitest';
import { guestInitScript, planGuestConfig, planLoadList } from '../../../src/verify/guest-init.ts';

describe('the guest', () => {
  it('lists the modules in load order, each under its index', () => {
    expect(planLoadList(['mc', 'videodev', 'v4l2loopback'])).toBe(
      '0 mc /kmf/000-mc.ko\n1 videodev /kmf/001-videodev.ko\n2 v4l2loopback /kmf/002-v4l2loopback.ko\n',
    );
  });

  it('turns the time limits into ticks of 10 ms and microseconds', () => {
    expect(planGuestConfig({ loadTimeoutMs: 20_000, settleMs: 1000 })).toBe(
      'LOAD_TICKS=2000\nTICK_US=10000\nSETTLE_US=1000000\n',
    );
  });

  it('runs under busybox, reads its settings, and reports on ttyS1 before it powers off', () => {
    const lines = guestInitScript.split('\n');
    expect(lines[0]).toBe('#!/bin/busybox sh');
    expect(lines).toContain('. /kmf/config');
    expect(lines).toContain('exec 3>/dev/ttyS1');
    expect(lines.indexOf('say "KMF-END"')).toBeLessThan(lines.indexOf('$B reboot -f'));
    // insmod runs in the background: an oops kills it, not PID 1.
    expect(guestInitScript).toContain('$B insmod "$file" > /tmp/out 2>&1 &');
  });
});
