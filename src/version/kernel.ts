import { DOT, TILDE, ZERO, byteAt, isAlnum, isAlpha, isDigit, toBytes } from './ascii.ts';

/**
 * Kernel release ordering, identical to GNU `sort -V` in the C locale: gnulib's filevercmp, plus
 * sort's last-resort byte comparison so that releases that filevercmp calls equal (`1.01` vs `1.1`)
 * still get a total, deterministic order.
 */
export function compareKernelReleases(a: string, b: string): number {
  const x = toBytes(a);
  const y = toBytes(b);
  const rc = filevercmp(x, y);
  return rc !== 0 ? rc : compareBytes(x, y);
}

function filevercmp(a: Uint8Array, b: Uint8Array): number {
  if (a.length === 0) return b.length === 0 ? 0 : -1;
  if (b.length === 0) return 1;

  // "." sorts first, then "..", then other hidden names, then the rest.
  if (a[0] === DOT) {
    if (b[0] !== DOT) return -1;
    const aDot = a.length === 1;
    const bDot = b.length === 1;
    if (aDot) return bDot ? 0 : -1;
    if (bDot) return 1;
    const aDotDot = a[1] === DOT && a.length === 2;
    const bDotDot = b[1] === DOT && b.length === 2;
    if (aDotDot) return bDotDot ? 0 : -1;
    if (bDotDot) return 1;
  } else if (b[0] === DOT) {
    return 1;
  }

  // File suffixes only break ties between otherwise equal names.
  const aPrefix = prefixLength(a);
  const bPrefix = prefixLength(b);
  const rc = verrevcmp(a, aPrefix, b, bPrefix);
  if (rc !== 0 || (aPrefix === a.length && bPrefix === b.length)) return rc;
  return verrevcmp(a, a.length, b, b.length);
}

/** Length of `s` without its longest suffix matching `(\.[A-Za-z~][A-Za-z0-9~]*)*$`; never strips the first byte. */
function prefixLength(s: Uint8Array): number {
  const n = s.length;
  let prefix = 0;
  let i = 0;
  while (i < n) {
    i++;
    prefix = i;
    while (i + 1 < n && s[i] === DOT && (isAlpha(byteAt(s, i + 1)) || s[i + 1] === TILDE)) {
      for (i += 2; i < n && (isAlnum(byteAt(s, i)) || s[i] === TILDE); i++);
    }
  }
  return prefix;
}

/** End of string sorts after `~` but before everything else; letters sort before other bytes. */
function order(s: Uint8Array, pos: number, len: number): number {
  if (pos === len) return -1;
  const c = byteAt(s, pos);
  if (isDigit(c)) return 0;
  if (isAlpha(c)) return c;
  if (c === TILDE) return -2;
  return c + 256;
}

function verrevcmp(s1: Uint8Array, len1: number, s2: Uint8Array, len2: number): number {
  let p1 = 0;
  let p2 = 0;
  while (p1 < len1 || p2 < len2) {
    let firstDiff = 0;
    while ((p1 < len1 && !isDigit(byteAt(s1, p1))) || (p2 < len2 && !isDigit(byteAt(s2, p2)))) {
      const c1 = order(s1, p1, len1);
      const c2 = order(s2, p2, len2);
      if (c1 !== c2) return c1 - c2;
      p1++;
      p2++;
    }
    while (p1 < len1 && s1[p1] === ZERO) p1++;
    while (p2 < len2 && s2[p2] === ZERO) p2++;
    while (p1 < len1 && p2 < len2 && isDigit(byteAt(s1, p1)) && isDigit(byteAt(s2, p2))) {
      if (firstDiff === 0) firstDiff = byteAt(s1, p1) - byteAt(s2, p2);
      p1++;
      p2++;
    }
    if (p1 < len1 && isDigit(byteAt(s1, p1))) return 1;
    if (p2 < len2 && isDigit(byteAt(s2, p2))) return -1;
    if (firstDiff !== 0) return firstDiff;
  }
  return 0;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = byteAt(a, i) - byteAt(b, i);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}
