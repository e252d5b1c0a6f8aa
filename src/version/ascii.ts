/**
 * Byte classes shared by the version ports. The C originals work on bytes with C-locale ctype, so
 * non-ASCII characters are never letters or digits; comparing UTF-8 bytes keeps that exact.
 */
const encoder = new TextEncoder();

export const TILDE = 0x7e;
export const CARET = 0x5e;
export const DOT = 0x2e;
export const ZERO = 0x30;

export function toBytes(s: string): Uint8Array {
  return encoder.encode(s);
}

/** The byte at `i`, or 0 past the end, like reading a C string's terminator. */
export function byteAt(s: Uint8Array, i: number): number {
  return s[i] ?? 0;
}

export function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

export function isAlpha(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

export function isAlnum(c: number): boolean {
  return isDigit(c) || isAlpha(c);
}
