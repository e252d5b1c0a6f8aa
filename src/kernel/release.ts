/**
 * Splits a kernel release (what `uname -r` prints) into upstream version, distro ABI, flavor and arch.
 * Each distro family glues these together its own way; the parsers below are tried from the most
 * distinctive scheme to the least, and user flavor rules go before all of them.
 */
import { KmodError } from '../errors.ts';
import {
  debianArchToMachine,
  debianFlavorMachine,
  matchFlavorRules,
  rpmArchToMachine,
  suseFlavorMachines,
  suseFlavors,
  ubuntuFlavorMachine,
  ubuntuFlavors,
  type FlavorRule,
  type FlavorRuleMatch,
} from './flavor-rules.ts';

export type { FlavorRule } from './flavor-rules.ts';
export { debianArchToMachine, machineToDebianArch, machineToRpmArch } from './flavor-rules.ts';

export type KernelFamily =
  'debian' | 'ubuntu' | 'fedora' | 'rhel' | 'suse' | 'arch' | 'redhat-legacy' | 'custom' | 'unknown';

export interface KernelRelease {
  /** The input. */
  release: string;
  /** Upstream version, e.g. "6.1.0". */
  version: string;
  /**
   * Distro ABI/build part without the separators around it ("56", "301.fc41", "150600.23.7", "arch1-1");
   * "" if none. Debian's trixie scheme `6.12.48+deb13-amd64` gives "deb13", backports `+bpo` give "bpo".
   */
  abi: string;
  /** "amd64", "rt-amd64", "generic", "debug", "smp", …; "" for a distro's default kernel that names none. */
  flavor: string;
  /** Machine arch as `uname -m` names it, when the release tells it. */
  arch: string | undefined;
  /**
   * `redhat-legacy`: Red Hat's 2004 scheme on a 2.x kernel. `custom`: the same `<version>-<release><flavor>`
   * scheme on a later kernel (a user's own build, as `kmodforge mkkernel` releases one), or a user rule
   * matched a release that no built-in scheme recognises.
   */
  family: KernelFamily;
}

type Parts = Omit<KernelRelease, 'release'>;

const version = String.raw`\d+\.\d+(?:\.\d+)*`;

const rpmArch =
  'x86_64|i[3-6]86|athlon|aarch64|armv[67]hl|armv7l|ppc64le|ppc64p7|ppc64|ppc|s390x?|riscv64|loongarch64|ia64|sparc64|alpha|mips64el|mipsel';
/** Red Hat's `V-R.ARCH`, variant after `+` (Fedora 20+, RHEL 8+) or `.` (RHEL 6/7 `.debug`, Fedora `.PAE`). */
const redHatRe = new RegExp(
  String.raw`^(${version})-(\d[\w.]*?)\.(${rpmArch})(?:\+([\w-]+)|\.([A-Za-z]\w*))?$`,
);

const debianAbi = String.raw`\d+(?:\.(?:[a-z]+\d*|\d+))*|trunk`;
const debianFlavor = '[a-z0-9][a-z0-9-]*';
/** `6.1.0-56-amd64`, bullseye backports `6.1.0-0.deb11.17-amd64`, `5.10.0-0.bpo.15-amd64`. */
const debianRe = new RegExp(`^(${version})-(${debianAbi})-(${debianFlavor})$`);
/** Kali leaves the ABI out: `6.11.2-amd64`. */
const debianNoAbiRe = new RegExp(`^(${version})-(${debianFlavor})$`);
/** Trixie's `6.12.48+deb13-amd64`, backports `+bpo`, Raspberry Pi OS `+rpt-rpi-v8`. */
const debianTagRe = new RegExp(String.raw`^(${version})\+([a-z][a-z0-9]*)-(${debianFlavor})$`);

/** linux `arch1-1`, linux-zen `zen1-1-zen`, linux-hardened `hardened1-1-hardened`: pkgver suffix + pkgrel. */
const archPkgRe = new RegExp(
  String.raw`^(${version})-((?:arch|zen|hardened|lqx|rt)\d+(?:\.\d+)?-\d+)(?:-([a-z][a-z0-9-]*))?$`,
);
/** linux-lts `6.6.58-1-lts`; Arch Linux ARM `-ARCH`. Alpine's `-0-lts` has pkgrel 0, so it stays out. */
const archFlavorRe = new RegExp(String.raw`^(${version})-([1-9]\d*)-(lts\d*|rt-lts|(?:[a-z0-9]+-)?ARCH)$`);

/** `V-N-flavor` (Ubuntu) and `V-N.N.N-flavor` (SUSE). */
const dashedRe = new RegExp(String.raw`^(${version})-(\d+(?:\.\d+)*)-([A-Za-z0-9][\w-]*)$`);

/** 2004-era Red Hat glued the flavor to the build number: `2.4.18-14smp`, `2.6.9-42.ELsmp`, `2.6.18-8.el5xen`. */
const legacyRe =
  /^(2\.\d+\.\d+(?:\.\d+)?)-((?:e\.)?\d+(?:\.\d+)*(?:\.EL|_FC\d+|\.fc\d+|\.el\d+(?:_\d+)?)?)([A-Za-z]\w*)?$/;

/**
 * The seed's scheme on any version, for kernels people build and release themselves: `6.1.0-1`,
 * `6.1.0-1smp`, `6.1.0-1host108`: a numeric release, then the flavor glued to it.
 */
const customRe = /^(\d+\.\d+(?:\.\d+)*)-(\d+(?:\.\d+)*)([A-Za-z]\w*)?$/;

/** Regex groups are typed as possibly missing; the parsers only read groups their regex always sets. */
function group(match: RegExpExecArray, index: number): string {
  return match[index] ?? '';
}

function parseRedHat(release: string): Parts | undefined {
  const m = redHatRe.exec(release);
  if (m == null) return undefined;
  const abi = group(m, 2);
  return {
    version: group(m, 1),
    abi,
    flavor: m[4] ?? m[5] ?? '',
    arch: rpmArchToMachine(group(m, 3)),
    // Anything else in Red Hat's layout (el, amzn, uek, oe …) is packaged and laid out like RHEL.
    family: /(?:^|\.)fc\d/.test(abi) ? 'fedora' : 'rhel',
  };
}

function parseDebian(release: string): Parts | undefined {
  const tagged = debianTagRe.exec(release);
  if (tagged != null) {
    const flavor = group(tagged, 3);
    const arch = debianFlavorMachine(flavor);
    return { version: group(tagged, 1), abi: group(tagged, 2), flavor, arch, family: 'debian' };
  }
  // Only a Debian arch in the flavor tells Debian from the many other `V-N-word` schemes.
  const withAbi = debianRe.exec(release);
  if (withAbi != null) {
    const flavor = group(withAbi, 3);
    const arch = debianFlavorMachine(flavor);
    if (arch !== undefined) {
      return { version: group(withAbi, 1), abi: group(withAbi, 2), flavor, arch, family: 'debian' };
    }
  }
  const noAbi = debianNoAbiRe.exec(release);
  if (noAbi == null) return undefined;
  const flavor = group(noAbi, 2);
  const arch = debianFlavorMachine(flavor);
  return arch === undefined
    ? undefined
    : { version: group(noAbi, 1), abi: '', flavor, arch, family: 'debian' };
}

function parseArch(release: string): Parts | undefined {
  const m = archPkgRe.exec(release) ?? archFlavorRe.exec(release);
  if (m == null) return undefined;
  const flavor = m[3] ?? '';
  const arch = flavor.startsWith('aarch64-') ? 'aarch64' : undefined;
  return { version: group(m, 1), abi: group(m, 2), flavor, arch, family: 'arch' };
}

function parseDashed(release: string): Parts | undefined {
  const m = dashedRe.exec(release);
  if (m == null) return undefined;
  const [ver, abi, flavor] = [group(m, 1), group(m, 2), group(m, 3)];
  const plainAbi = /^\d+$/.test(abi);
  const ubuntuShaped = plainAbi && /^\d+\.\d+\.\d+$/.test(ver) && /^[a-z][a-z0-9-]*$/.test(flavor);
  const first = flavor.split('-')[0] ?? '';
  if (ubuntuShaped && ubuntuFlavors.has(first)) {
    return { version: ver, abi, flavor, arch: ubuntuFlavorMachine(flavor), family: 'ubuntu' };
  }
  // Proxmox VE ships Ubuntu's kernel on Debian, and its users count as Debian for packaging.
  if (plainAbi && flavor === 'pve') return { version: ver, abi, flavor, arch: undefined, family: 'debian' };
  // A dotted build number (150600.23.7) is SUSE's alone; Debian's dotted ones were taken above.
  if (/^\w+$/.test(flavor) && (!plainAbi || suseFlavors.has(flavor))) {
    return { version: ver, abi, flavor, arch: suseFlavorMachines.get(flavor), family: 'suse' };
  }
  // Ubuntu's cloud, OEM and board kernels number their ABI from 1000 up, so an unknown flavor there is
  // most likely one more Ubuntu derivative.
  if (ubuntuShaped && /^[1-9]\d{3,}$/.test(abi)) {
    return { version: ver, abi, flavor, arch: ubuntuFlavorMachine(flavor), family: 'ubuntu' };
  }
  return undefined;
}

function parseLegacy(release: string): Parts | undefined {
  const legacy = legacyRe.exec(release);
  const m = legacy ?? customRe.exec(release);
  if (m == null) return undefined;
  return {
    version: group(m, 1),
    abi: group(m, 2),
    flavor: m[3] ?? '',
    arch: undefined,
    family: legacy == null ? 'custom' : 'redhat-legacy',
  };
}

/** Leading version; whatever follows one separator is `tail`. */
function splitVersion(release: string): { version: string; tail: string } {
  const ver = /^\d+(?:\.\d+)*/.exec(release)?.[0] ?? '';
  const rest = release.slice(ver.length);
  return { version: ver, tail: /^[-+._~]/.test(rest) ? rest.slice(1) : rest };
}

function parseUnknown(release: string): Parts {
  const { version: ver, tail } = splitVersion(release);
  return { version: ver, abi: '', flavor: tail, arch: undefined, family: 'unknown' };
}

const parsers = [parseRedHat, parseDebian, parseArch, parseDashed, parseLegacy];

function parseBuiltin(release: string): Parts {
  for (const parse of parsers) {
    const parts = parse(release);
    if (parts !== undefined) return parts;
  }
  return parseUnknown(release);
}

/**
 * Debian, Ubuntu and SUSE name their scheme only in the flavor, so once a rule cuts the flavor out the
 * whole release may still tell; `custom` is left for kernels that only the user's rule could read.
 */
function familyOrCustom(release: string): KernelFamily {
  const family = parseBuiltin(release).family;
  return family === 'unknown' ? 'custom' : family;
}

function applyRule(release: string, match: FlavorRuleMatch): Parts {
  let base: Parts;
  if (match.remainder === undefined) {
    base = parseBuiltin(release);
  } else {
    base = parseBuiltin(match.remainder);
    // The flavor is already cut out, so what an unknown scheme leaves after the version is the build part.
    if (base.family === 'unknown') {
      const { version: ver, tail } = splitVersion(match.remainder);
      base = { ...base, version: ver, abi: tail };
    }
  }
  const captured = match.captured;
  const arch =
    captured.arch === undefined
      ? (base.arch ?? debianFlavorMachine(match.flavor))
      : (debianArchToMachine(captured.arch) ?? captured.arch);
  return {
    version: captured.version ?? base.version,
    abi: captured.abi ?? base.abi,
    flavor: match.flavor,
    arch,
    // What is left of a distro release once the rule cut its flavor (`6.1.0-56` of `6.1.0-56-amd64`) reads
    // as a custom kernel's, so the whole release tells the family then.
    family: base.family === 'unknown' || base.family === 'custom' ? familyOrCustom(release) : base.family,
  };
}

/**
 * Why a string cannot be a kernel release, or undefined when it can. A release names directories in every
 * tree and is passed to make and scripts, so it must be one path step and one word; the kernel itself
 * keeps it under 65 bytes (__NEW_UTS_LEN). Pure.
 */
export function kernelReleaseProblem(release: string): string | undefined {
  if (release === '') return 'it is empty';
  if (release === '.' || release === '..') return 'it would be a path step';
  if (release.startsWith('-')) return 'it must not begin with "-"';
  if (/[\s/]/.test(release)) return 'it must not contain white space or "/"';
  // eslint-disable-next-line no-control-regex -- control characters are what this rejects
  if (/[\u0000-\u001f\u007f]/.test(release)) return 'it must not contain control characters';
  if (Buffer.byteLength(release) > 64) return 'it is longer than the 64 bytes a kernel release can have';
  return undefined;
}

/**
 * Parses `uname -r` output; `rules` (from config) go before the built-in schemes. Throws only for a
 * string that cannot be a release (see {@link kernelReleaseProblem}): what no scheme recognises comes
 * back as family `unknown` with the leading version and, after one separator, the rest as flavor.
 */
export function parseKernelRelease(release: string, rules: readonly FlavorRule[] = []): KernelRelease {
  const problem = kernelReleaseProblem(release);
  if (problem !== undefined) {
    throw new KmodError('USAGE', `Invalid kernel release ${JSON.stringify(release)}: ${problem}`, {
      hint: 'A kernel release is what `uname -r` prints, e.g. 6.1.0-56-amd64; it has no spaces or slashes.',
    });
  }
  const match = rules.length === 0 ? undefined : matchFlavorRules(release, rules);
  return { release, ...(match === undefined ? parseBuiltin(release) : applyRule(release, match)) };
}
