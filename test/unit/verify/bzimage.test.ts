import { describe, expect, it } from 'vitest';
import { parseBzImage, parseVmlinux } from '../../../src/verify/bzimage.ts';

/** A bzImage header (boot protocol 2.15) with 2 setup sectors and an XZ payload of 100 bytes plus its size. */
function makeBzImage(): Buffer {
  const image = Buffer.alloc(4096);
  image[0x1f1] = 2;
  image.writeUInt32LE(0x53726448, 0x202);
  image.writeUInt16LE(0x20f, 0x206);
  image.writeUInt16LE(0x300, 0x20e);
  image.write('6.1.0-56-amd64 (debian-kernel@lists.debian.org) #1 SMP\0', 0x500, 'latin1');
  image.writeUInt32LE(0x100, 0x248);
  image.writeUInt32LE(104, 0x24c);
  Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]).copy(image, 3 * 512 + 0x100);
  return image;
}

/** A 64-bit ELF with one PT_NOTE segment holding one note. */
function makeVmlinux(noteName: string, noteType: number): Buffer {
  const name = Buffer.from(`${noteName}\0`, 'latin1');
  const nameSize = (name.length + 3) & ~3;
  const note = Buffer.alloc(12 + nameSize + 4);
  note.writeUInt32LE(name.length, 0);
  note.writeUInt32LE(4, 4);
  note.writeUInt32LE(noteType, 8);
  name.copy(note, 12);
  const elf = Buffer.alloc(64 + 56 + note.length);
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]).copy(elf);
  elf.writeBigUInt64LE(64n, 0x20);
  elf.writeUInt16LE(56, 0x36);
  elf.writeUInt16LE(1, 0x38);
  elf.writeUInt32LE(4, 64);
  elf.writeBigUInt64LE(120n, 64 + 8);
  elf.writeBigUInt64LE(BigInt(note.length), 64 + 32);
  note.copy(elf, 120);
  return elf;
}

describe('kernel images', () => {
  it('finds the payload of a bzImage, its compression and the release', () => {
    expect(parseBzImage(makeBzImage())).toEqual({
      offset: 3 * 512 + 0x100,
      length: 100,
      compression: 'xz',
      release: '6.1.0-56-amd64',
    });
    expect(parseBzImage(Buffer.alloc(4096))).toBeUndefined();
  });

  it('boots a vmlinux directly only when it has the PVH note', () => {
    expect(parseVmlinux(makeVmlinux('Xen', 18))).toEqual({ kind: 'elf', pvh: true });
    expect(parseVmlinux(makeVmlinux('Xen', 17))).toEqual({ kind: 'elf', pvh: false });
    expect(parseVmlinux(makeVmlinux('Xen', 18).subarray(0, 130))).toEqual({
      kind: 'invalid',
      problem: 'segment 0 is cut off',
    });
    expect(
      parseVmlinux(Buffer.from('MZ not an ELF file at all, padded out to sixty-four bytes or more.')),
    ).toMatchObject({
      kind: 'invalid',
    });
  });
});
