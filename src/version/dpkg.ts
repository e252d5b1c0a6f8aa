import { KmodError } from '../errors.ts';

/** A Debian version split as dpkg does: `[epoch:]upstream[-revision]`. */
export interface DebianVersion {
  epoch: number;
  upstream: string;
  /** Empty when the version has no `-revision`; dpkg compares that like `0`. */
  revision: string;
}

const INT_MAX = 2 ** 31 - 1;
// What strtol(3) accepts before the colon: leading isspace, an optional sign, digits.
const strtolPrefix = /^[\t\n\v\f\r ]*[+-]?[0-9]+/;

/**
 * Parses a version with dpkg's parseversion() rules (lib/dpkg/version.c). dpkg only warns about a bad
 * first character or invalid characters, but we reject those too: such versions are never ours to accept.
 */
export function parseDebianVersion(s: string): DebianVersion {
  const fail = (reason: string): never => invalid(s, reason);

  // Only spaces and tabs count as blanks to dpkg, so other whitespace ends up in the character check.
  const trimmed = s.replace(/^[ \t]+/, '').replace(/[ \t]+$/, '');
  if (trimmed === '') fail('version string is empty');
  if (/[ \t]/.test(trimmed)) fail('version string has embedded spaces');

  let epoch = 0;
  let rest = trimmed;
  const colon = trimmed.indexOf(':');
  if (colon !== -1) {
    const number = strtolPrefix.exec(trimmed)?.[0] ?? invalid(s, 'epoch in version is empty');
    if (number.length !== colon) fail('epoch in version is not number');
    const value = Number(number.trim());
    if (value < 0) fail('epoch in version is negative');
    if (value > INT_MAX) fail('epoch in version is too big');
    // "-0:" is accepted by strtol; keep -0 out of the result.
    epoch = value === 0 ? 0 : value;
    rest = trimmed.slice(colon + 1);
    if (rest === '') fail('nothing after colon in version number');
  }

  // The revision starts after the last hyphen, so upstream may contain hyphens itself.
  const hyphen = rest.lastIndexOf('-');
  const upstream = hyphen === -1 ? rest : rest.slice(0, hyphen);
  const revision = hyphen === -1 ? '' : rest.slice(hyphen + 1);
  if (hyphen !== -1 && revision === '') fail('revision number is empty');
  if (upstream === '') fail('version number is empty');
  if (!/^[0-9]/.test(upstream)) fail('version number does not start with digit');
  if (!/^[0-9A-Za-z.+~:-]*$/.test(upstream)) fail('invalid character in version number');
  if (!/^[0-9A-Za-z.+~]*$/.test(revision)) fail('invalid character in revision number');

  return { epoch, upstream, revision };
}

function invalid(version: string, reason: string): never {
  throw new KmodError('USAGE', `invalid Debian version '${version}': ${reason}`, {
    hint: 'A Debian version is [epoch:]upstream[-revision], and upstream starts with a digit.',
  });
}
