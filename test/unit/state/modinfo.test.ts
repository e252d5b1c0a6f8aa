import { describe, expect, it } from 'vitest';
import { isVermagicFor, modinfoField, parseModinfo, planModuleVersion } from '../../../src/state/modinfo.ts';

/**
 * A minimal relocatable ELF file: the header, each section's bytes, the section name table, then the
 * section headers (a null one first, as linkers write them).
 */
function makeElf(options: {
  is64: boolean;
  little: boolean;
  sections: readonly { name: string; data: Uint8Array }[];
}): Buffer {
  const { is64, little } = options;
  const ehsize = is64 ? 64 : 52;
  const shentsize = is64 ? 64 : 40;
  const names = Buffer.from(`\0${options.sections.map((s) => `${s.name}\0`).join('')}.shstrtab\0`, 'latin1');
  const all = [...options.sections.map((s) => s.data), names];
  const offsets: number[] = [];
  let offset = ehsize;
  for (const data of all) {
    offsets.push(offset);
    offset += data.length;
  }
  const shoff = offset;
  const shnum = all.length + 1;
  const out = Buffer.alloc(shoff + shnum * shentsize);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  out.set([0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, little ? 1 : 2, 1], 0);
  const word = (at: number, value: number): void => {
    if (is64) view.setBigUint64(at, BigInt(value), little);
    else view.setUint32(at, value, little);
  };
  word(is64 ? 0x28 : 0x20, shoff);
  view.setUint16(is64 ? 0x3a : 0x2e, shentsize, little);
  view.setUint16(is64 ? 0x3c : 0x30, shnum, little);
  view.setUint16(is64 ? 0x3e : 0x32, shnum - 1, little);
  let nameOffset = 1;
  all.forEach((data, i) => {
    out.set(data, offsets[i] ?? 0);
    const at = shoff + (i + 1) * shentsize;
    view.setUint32(at, nameOffset, little);
    view.setUint32(at + 4, 1, little);
    word(at + (is64 ? 24 : 16), offsets[i] ?? 0);
    word(at + (is64 ? 32 : 20), data.length);
    nameOffset += (options.sections[i]?.name ?? '.shstrtab').length + 1;
  });
  return out;
}

const modinfo = Buffer.from(
  'license=GPL\0version=1.2.3 extra\0\0srcversion=ABC\0vermagic=6.1.0-56-amd64 SMP preempt mod_unload modversions \0',
  'latin1',
);

describe('parseModinfo', () => {
  it.each([
    ['ELF64 little-endian', true, true],
    ['ELF64 big-endian', true, false],
    ['ELF32 little-endian', false, true],
    ['ELF32 big-endian', false, false],
  ])('reads the .modinfo section of an %s module', (_, is64, little) => {
    const elf = makeElf({
      is64,
      little,
      sections: [
        { name: '.text', data: Buffer.from('version=9.9\0', 'latin1') },
        { name: '.modinfo', data: modinfo },
      ],
    });
    const entries = parseModinfo(elf);
    expect(entries).toEqual([
      ['license', 'GPL'],
      ['version', '1.2.3 extra'],
      ['srcversion', 'ABC'],
      ['vermagic', '6.1.0-56-amd64 SMP preempt mod_unload modversions '],
    ]);
    expect(modinfoField(entries ?? [], 'vermagic')).toEqual([
      '6.1.0-56-amd64 SMP preempt mod_unload modversions ',
    ]);
    // dkms compares the first word of the version, as `read -a` splits modinfo's line.
    expect(planModuleVersion(elf)).toBe('1.2.3');
  });

  it('finds nothing in what is no ELF module, or a cut one, and gives dkms’s empty version', () => {
    const elf = makeElf({ is64: true, little: true, sections: [{ name: '.modinfo', data: modinfo }] });
    expect(parseModinfo(Buffer.from('the kernel’s own kmf_interop.ko\n'))).toBeUndefined();
    expect(parseModinfo(elf.subarray(0, elf.length - 10))).toBeUndefined();
    expect(parseModinfo(Buffer.alloc(0))).toBeUndefined();
    expect(planModuleVersion(Buffer.from('garbage'))).toBe('');
    const noModinfo = makeElf({ is64: true, little: true, sections: [{ name: '.text', data: modinfo }] });
    expect(parseModinfo(noModinfo)).toBeUndefined();
    expect(planModuleVersion(makeElf({ is64: true, little: true, sections: [] }))).toBe('');
  });

  it('takes section offsets past the end as no section', () => {
    const elf = makeElf({ is64: true, little: true, sections: [{ name: '.modinfo', data: modinfo }] });
    // The .modinfo header is the second: point its offset far beyond the file.
    const shoff = Number(elf.readBigUInt64LE(0x28));
    elf.writeBigUInt64LE(0xffffffffn, shoff + 64 + 24);
    expect(parseModinfo(elf)).toBeUndefined();
  });
});

describe('isVermagicFor', () => {
  it('compares the vermagic’s first word with the release', () => {
    expect(isVermagicFor('6.1.0-56-amd64 SMP preempt mod_unload modversions ', '6.1.0-56-amd64')).toBe(true);
    expect(isVermagicFor('6.1.0-56-rt-amd64 SMP PREEMPT_RT mod_unload', '6.1.0-56-amd64')).toBe(false);
    expect(isVermagicFor('6.1.0-56-amd64', '6.1.0-56')).toBe(false);
    expect(isVermagicFor('', '6.1.0-56-amd64')).toBe(false);
  });
});
