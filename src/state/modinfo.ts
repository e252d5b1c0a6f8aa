/**
 * A kernel module's `.modinfo` section, read from its ELF image as `modinfo` reads it: NUL-separated
 * `key=value` strings. Pure: takes the (decompressed) bytes of a .ko.
 */

/** The `key=value` entries of a module's .modinfo section, in order; undefined when it is no ELF module. */
export function parseModinfo(image: Uint8Array): [key: string, value: string][] | undefined {
  const section = findSection(image, '.modinfo');
  if (section === undefined) return undefined;
  const entries: [string, string][] = [];
  for (const text of Buffer.from(section).toString('latin1').split('\0')) {
    if (text === '') continue;
    const equals = text.indexOf('=');
    if (equals > 0) entries.push([text.slice(0, equals), text.slice(equals + 1)]);
  }
  return entries;
}

/** The values of one field (modinfo -F), in order. */
export function modinfoField(entries: readonly (readonly [string, string])[], key: string): string[] {
  return entries.filter(([k]) => k === key).map(([, v]) => v);
}

/**
 * The version dkms 3.0.10 compares modules by (get_module_verinfo): the first word of the last
 * `version` field, or '' when there is none or the file is no module (modinfo printed nothing).
 */
export function planModuleVersion(image: Uint8Array): string {
  const versions = modinfoField(parseModinfo(image) ?? [], 'version');
  return (versions[versions.length - 1] ?? '').trim().split(/\s+/)[0] ?? '';
}

/** Whether a vermagic string is for a kernel release: its first word is the release (the kernel's check). */
export function isVermagicFor(vermagic: string, release: string): boolean {
  return vermagic.trim().split(/\s+/)[0] === release;
}

const elfMagic = [0x7f, 0x45, 0x4c, 0x46];

/** The bytes of a named section of an ELF file (32 or 64 bits, either byte order), if it has one. */
function findSection(image: Uint8Array, name: string): Uint8Array | undefined {
  if (image.length < 52 || !elfMagic.every((b, i) => image[i] === b)) return undefined;
  const is64 = image[4] === 2;
  const little = image[5] === 1;
  if ((image[4] !== 1 && !is64) || (image[5] !== 1 && image[5] !== 2)) return undefined;
  if (is64 && image.length < 64) return undefined;
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const inside = (offset: number, length: number): boolean =>
    Number.isSafeInteger(offset) && offset >= 0 && length >= 0 && offset + length <= image.length;
  const u16 = (o: number): number => view.getUint16(o, little);
  const u32 = (o: number): number => view.getUint32(o, little);
  const word = (o: number): number => (is64 ? Number(view.getBigUint64(o, little)) : u32(o));

  const shoff = word(is64 ? 0x28 : 0x20);
  const shentsize = u16(is64 ? 0x3a : 0x2e);
  let shnum = u16(is64 ? 0x3c : 0x30);
  let shstrndx = u16(is64 ? 0x3e : 0x32);
  const headerSize = is64 ? 64 : 40;
  if (shoff === 0 || shentsize < headerSize || !inside(shoff, shentsize)) return undefined;
  // More sections than fit in e_shnum / e_shstrndx: the real numbers are in section 0 (SHN_XINDEX).
  if (shnum === 0) shnum = word(shoff + (is64 ? 32 : 20));
  if (shstrndx === 0xffff) shstrndx = u32(shoff + (is64 ? 40 : 24));
  if (!inside(shoff, shnum * shentsize) || shstrndx >= shnum) return undefined;

  const header = (index: number): { name: number; offset: number; size: number } => {
    const at = shoff + index * shentsize;
    return { name: u32(at), offset: word(at + (is64 ? 24 : 16)), size: word(at + (is64 ? 32 : 20)) };
  };
  const strings = header(shstrndx);
  if (!inside(strings.offset, strings.size)) return undefined;
  const wanted = Buffer.from(`${name}\0`, 'latin1');
  for (let i = 0; i < shnum; i++) {
    const section = header(i);
    const at = strings.offset + section.name;
    if (section.name + wanted.length > strings.size) continue;
    if (!wanted.equals(image.subarray(at, at + wanted.length))) continue;
    return inside(section.offset, section.size)
      ? image.subarray(section.offset, section.offset + section.size)
      : undefined;
  }
  return undefined;
}
