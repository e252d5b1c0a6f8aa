import { describe, expect, it } from 'vitest';
import { formatCpioNewc } from '../../../src/verify/cpio-newc.ts';

/** Reads a newc archive back: name, mode and data of each entry up to the trailer. */
function readCpio(archive: Buffer): { name: string; mode: number; data: string }[] {
  const entries: { name: string; mode: number; data: string }[] = [];
  let at = 0;
  for (;;) {
    expect(archive.toString('latin1', at, at + 6)).toBe('070701');
    const field = (i: number): number =>
      parseInt(archive.toString('latin1', at + 6 + i * 8, at + 14 + i * 8), 16);
    const [mode, uid, gid, size, nameSize] = [field(1), field(2), field(3), field(6), field(11)];
    expect([uid, gid]).toEqual([0, 0]);
    const name = archive.toString('utf8', at + 110, at + 110 + nameSize - 1);
    at = (at + 110 + nameSize + 3) & ~3;
    if (name === 'TRAILER!!!') return entries;
    entries.push({ name, mode, data: archive.toString('latin1', at, at + size) });
    at = (at + size + 3) & ~3;
  }
}

describe('formatCpioNewc', () => {
  it('writes root-owned entries in the given order, padded to 4 bytes, ended by the trailer', () => {
    const archive = Buffer.concat(
      formatCpioNewc([
        { kind: 'dir', path: 'kmf', mode: 0o755 },
        { kind: 'file', path: '/init', mode: 0o755, data: Buffer.from('#!/bin/busybox sh\n') },
        { kind: 'file', path: 'kmf/list', mode: 0o644, data: Buffer.from('0 a /kmf/000-a.ko\n!') },
      ]),
    );
    expect(archive.length % 4).toBe(0);
    expect(readCpio(archive)).toEqual([
      { name: 'kmf', mode: 0o040755, data: '' },
      { name: 'init', mode: 0o100755, data: '#!/bin/busybox sh\n' },
      { name: 'kmf/list', mode: 0o100644, data: '0 a /kmf/000-a.ko\n!' },
    ]);
  });
});
