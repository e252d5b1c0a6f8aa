import { CARET, TILDE, ZERO, byteAt, isAlnum, isAlpha, isDigit, toBytes } from './ascii.ts';

/**
 * rpm's rpmvercmp (rpmio/rpmvercmp.c, rpm >= 4.15): alternating runs of digits and letters, anything
 * else is a separator; `~` sorts before everything including the end, `^` after the end but before
 * anything else. Returns -1, 0 or 1.
 */
export function rpmvercmp(a: string, b: string): number {
  if (a === b) return 0;
  const s1 = cString(a);
  const s2 = cString(b);
  let one = 0;
  let two = 0;

  while (byteAt(s1, one) !== 0 || byteAt(s2, two) !== 0) {
    while (isSeparator(byteAt(s1, one))) one++;
    while (isSeparator(byteAt(s2, two))) two++;
    const c1 = byteAt(s1, one);
    const c2 = byteAt(s2, two);

    if (c1 === TILDE || c2 === TILDE) {
      if (c1 !== TILDE) return 1;
      if (c2 !== TILDE) return -1;
      one++;
      two++;
      continue;
    }

    // Like `~`, except that the version which has ended (the base version) is the older one.
    if (c1 === CARET || c2 === CARET) {
      if (c1 === 0) return -1;
      if (c2 === 0) return 1;
      if (c1 !== CARET) return 1;
      if (c2 !== CARET) return -1;
      one++;
      two++;
      continue;
    }

    if (c1 === 0 || c2 === 0) break;

    // Segment type is decided by the first string; `c1` is alphanumeric here, so its segment is never empty.
    const isNum = isDigit(c1);
    const inSegment = isNum ? isDigit : isAlpha;
    let end1 = one;
    let end2 = two;
    while (inSegment(byteAt(s1, end1))) end1++;
    while (inSegment(byteAt(s2, end2))) end2++;

    // A numeric segment is newer than an alphabetic one.
    if (end2 === two) return isNum ? 1 : -1;

    if (isNum) {
      while (one < end1 && s1[one] === ZERO) one++;
      while (two < end2 && s2[two] === ZERO) two++;
      const len1 = end1 - one;
      const len2 = end2 - two;
      if (len1 !== len2) return len1 > len2 ? 1 : -1;
    }

    const rc = compareRange(s1, one, end1, s2, two, end2);
    if (rc !== 0) return rc;
    one = end1;
    two = end2;
  }

  const end1 = byteAt(s1, one) === 0;
  const end2 = byteAt(s2, two) === 0;
  if (end1 && end2) return 0;
  return end1 ? -1 : 1;
}

export interface EVR {
  epoch?: number | string | undefined;
  version: string;
  release?: string | undefined;
}

/**
 * Compares epoch, version and release the way rpm 4.18's rpmverCmp (and Lua `rpm.vercmp`) does: a
 * missing epoch is 0, epochs compare as version strings, and a missing release is older than any
 * present one, even an empty one.
 */
export function compareEVR(a: EVR, b: EVR): number {
  const rc = rpmvercmp(epochOf(a), epochOf(b));
  if (rc !== 0) return rc;
  const rcVersion = rpmvercmp(a.version, b.version);
  if (rcVersion !== 0) return rcVersion;
  if (a.release === undefined || b.release === undefined) {
    if (a.release === b.release) return 0;
    return a.release === undefined ? -1 : 1;
  }
  return rpmvercmp(a.release, b.release);
}

/**
 * rpm's ordering of two `[epoch:]version[-release]` strings, as rpm's Lua `rpm.vercmp` has it: split as
 * rpm's parseEVR does (the release after the last "-"), then {@link compareEVR}.
 */
export function compareRpmVersions(a: string, b: string): number {
  return compareEVR(parseEVR(a), parseEVR(b));
}

/** rpm's parseEVR (rpmio/rpmver.c): the epoch is the digits before ":", the release after the last "-". */
function parseEVR(text: string): EVR {
  const epoch = /^(\d*):/.exec(text);
  const rest = epoch === null ? text : text.slice(epoch[0].length);
  const hyphen = rest.lastIndexOf('-');
  return {
    epoch: epoch?.[1],
    version: hyphen === -1 ? rest : rest.slice(0, hyphen),
    release: hyphen === -1 ? undefined : rest.slice(hyphen + 1),
  };
}

function epochOf(evr: EVR): string {
  // rpm's EVR parser turns an empty epoch (":1.0") into "0" as well.
  return evr.epoch === undefined || evr.epoch === '' ? '0' : String(evr.epoch);
}

function isSeparator(c: number): boolean {
  return c !== 0 && !isAlnum(c) && c !== TILDE && c !== CARET;
}

/** The bytes a C caller would see: everything up to the first NUL. */
function cString(s: string): Uint8Array {
  const bytes = toBytes(s);
  const nul = bytes.indexOf(0);
  return nul === -1 ? bytes : bytes.subarray(0, nul);
}

/** strcmp of two segments, reduced to -1/0/1. */
function compareRange(
  s1: Uint8Array,
  from1: number,
  to1: number,
  s2: Uint8Array,
  from2: number,
  to2: number,
): number {
  const n = Math.min(to1 - from1, to2 - from2);
  for (let i = 0; i < n; i++) {
    const d = byteAt(s1, from1 + i) - byteAt(s2, from2 + i);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  const d = to1 - from1 - (to2 - from2);
  return d === 0 ? 0 : d < 0 ? -1 : 1;
}
