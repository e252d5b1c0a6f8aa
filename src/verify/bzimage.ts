/**
 * The parts of an x86 kernel image that verify reads to boot it fast: the compressed payload of a bzImage
 * (what scripts/extract-vmlinux cuts out) and whether the decompressed vmlinux is a whole ELF file with a
 * PVH entry point, which QEMU boots directly without the bzImage's decompressor running under TCG. Pure.
 */

export type PayloadCompression = 'xz' | 'lz4' | 'gzip' | 'zstd';

export interface BzImagePayload {
  offset: number;
  /** Without the 4 bytes of decompressed size the kernel's build appends to every payload. */
  length: number;
  compression: PayloadCompression | undefined;
  /** The first word of the image's version string: the kernel release it was built as. */
  release: string | undefined;
}

const magics: readonly [PayloadCompression, readonly number[]][] = [
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  // The kernel's LZ4 payload is in the legacy frame format (lz4 -l).
  ['lz4', [0x02, 0x21, 0x4c, 0x18]],
  ['gzip', [0x1f, 0x8b]],
  ['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
];

/** Where the payload of a bzImage (boot protocol 2.08 or later) is, or undefined for any other file. */
export function parseBzImage(image: Uint8Array): BzImagePayload | undefined {
  if (image.length < 0x250) return undefined;
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  if (view.getUint32(0x202, true) !== 0x53726448 /* "HdrS" */) return undefined;
  if (view.getUint16(0x206, true) < 0x208) return undefined;
  const setupSectors = image[0x1f1] === 0 ? 4 : (image[0x1f1] ?? 4);
  const offset = (setupSectors + 1) * 512 + view.getUint32(0x248, true);
  const length = view.getUint32(0x24c, true) - 4;
  if (length <= 0 || offset + length > image.length) return undefined;
  const compression = magics.find(([, magic]) => magic.every((b, i) => image[offset + i] === b))?.[0];
  return { offset, length, compression, release: readVersionRelease(image, view) };
}

/** The release in the version string the header points to (kernel_version, boot protocol 2.00+). */
function readVersionRelease(image: Uint8Array, view: DataView): string | undefined {
  const at = view.getUint16(0x20e, true) + 0x200;
  if (at <= 0x200 || at >= image.length) return undefined;
  const end = image.indexOf(0, at);
  const text = Buffer.from(image.subarray(at, end === -1 ? Math.min(image.length, at + 256) : end)).toString(
    'latin1',
  );
  return text.split(' ')[0] || undefined;
}

/** ELF note type of the 32-bit PVH entry point (XEN_ELFNOTE_PHYS32_ENTRY), under the name "Xen". */
const pvhNoteType = 18;

export type VmlinuxFacts = { kind: 'elf'; pvh: boolean } | { kind: 'invalid'; problem: string };

/** Whether a decompressed payload is a complete 64-bit ELF executable, and whether it has a PVH entry. */
export function parseVmlinux(image: Uint8Array): VmlinuxFacts {
  if (image.length < 64 || image[0] !== 0x7f || image[1] !== 0x45 || image[2] !== 0x4c || image[3] !== 0x46)
    return { kind: 'invalid', problem: 'not an ELF file' };
  if (image[4] !== 2 || image[5] !== 1) return { kind: 'invalid', problem: 'not a 64-bit little-endian ELF' };
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const phoff = Number(view.getBigUint64(0x20, true));
  const phentsize = view.getUint16(0x36, true);
  const phnum = view.getUint16(0x38, true);
  if (phentsize < 56 || phoff + phnum * phentsize > image.length)
    return { kind: 'invalid', problem: 'its program headers are cut off' };
  let pvh = false;
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    const type = view.getUint32(ph, true);
    const offset = Number(view.getBigUint64(ph + 8, true));
    const size = Number(view.getBigUint64(ph + 32, true));
    if (offset + size > image.length) return { kind: 'invalid', problem: `segment ${i} is cut off` };
    if (type === 4 /* PT_NOTE */) pvh ||= hasNote(view, offset, size, 'Xen', pvhNoteType);
  }
  return { kind: 'elf', pvh };
}

function hasNote(view: DataView, start: number, size: number, name: string, type: number): boolean {
  const align4 = (n: number): number => (n + 3) & ~3;
  for (let at = start; at + 12 <= start + size;) {
    const nameSize = view.getUint32(at, true);
    const descSize = view.getUint32(at + 4, true);
    const noteType = view.getUint32(at + 8, true);
    if (at + 12 + nameSize > start + size) return false;
    const nameBytes = new Uint8Array(view.buffer, view.byteOffset + at + 12, Math.max(nameSize - 1, 0));
    if (noteType === type && Buffer.from(nameBytes).toString('latin1') === name) return true;
    at += 12 + align4(nameSize) + align4(descSize);
  }
  return false;
}
