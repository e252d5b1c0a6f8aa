/**
 * A cpio archive in the "newc" format, which the kernel unpacks as an initramfs. Written here rather than
 * by cpio(1): every entry is owned by root whoever runs kmodforge, and the order is ours (the init first,
 * so that it still runs when the kernel runs out of memory unpacking the rest). Pure.
 */

export type CpioEntry =
  | { kind: 'dir'; path: string; mode: number }
  | { kind: 'file'; path: string; mode: number; data: Uint8Array };

const headerSize = 110;

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

function pad4(length: number): Buffer {
  return Buffer.alloc((4 - (length % 4)) % 4);
}

function header(ino: number, mode: number, size: number, name: string): Buffer {
  const nameBytes = Buffer.from(`${name}\0`, 'utf8');
  const fields = [ino, mode, 0, 0, 1, 0, size, 0, 0, 0, 0, nameBytes.length, 0];
  const text = Buffer.from(`070701${fields.map(hex8).join('')}`, 'latin1');
  return Buffer.concat([text, nameBytes, pad4(headerSize + nameBytes.length)]);
}

/**
 * The archive's bytes, in pieces to write one after the other, ended by the trailer. Archives written so
 * can be concatenated: the kernel unpacks one after the other.
 */
export function formatCpioNewc(entries: readonly CpioEntry[], firstInode = 1): Buffer[] {
  const pieces: Buffer[] = [];
  entries.forEach((entry, i) => {
    const name = entry.path.replace(/^\/+/, '');
    if (entry.kind === 'dir') {
      pieces.push(header(firstInode + i, 0o040000 | entry.mode, 0, name));
    } else {
      pieces.push(header(firstInode + i, 0o100000 | entry.mode, entry.data.length, name));
      pieces.push(Buffer.from(entry.data.buffer, entry.data.byteOffset, entry.data.byteLength));
      pieces.push(pad4(entry.data.length));
    }
  });
  pieces.push(header(0, 0, 0, 'TRAILER!!!'));
  return pieces;
}
