/**
 * What a flavor name tells about the machine it runs on, the arch-name mappings packaging needs, and the
 * flavor rules a user declares in config for kernels whose names no built-in scheme reads right.
 */

export type FlavorRule =
  /** A user-declared flavor name, matched as a suffix of the release ("host108", "myboard-lts"). */
  | { kind: 'suffix'; suffix: string }
  /** One release → flavor. */
  | { kind: 'exact'; release: string; flavor: string }
  /**
   * The flavor is the `flavor` named group, else `flavor`. Named groups `version`, `abi` and `arch` are
   * honoured too, for vendor schemes where the flavor sits in the middle (`5.10.120-ti-rt-r47`).
   */
  | { kind: 'pattern'; pattern: RegExp; flavor?: string };

/** Expands `{ machine: 'name name …' }` so each table below reads as one line per machine. */
function byMachine(table: Readonly<Record<string, string>>): ReadonlyMap<string, string> {
  return new Map(
    Object.entries(table).flatMap(([machine, names]) => names.split(' ').map((n) => [n, machine])),
  );
}

/**
 * The arch part of Debian kernel flavor names (linux/debian/config), plus Raspberry Pi OS's. Only these
 * mark a release as Debian's, so dpkg names that other distros use as flavors (SLES's `ppc64`) stay out.
 * x86-32 kernels report i686 whatever CPU they were built for, since uname caps the family at 6.
 */
const debianKernelArches = byMachine({
  x86_64: 'amd64',
  aarch64: 'arm64 rpi-v8 rpi-2712',
  i686: '386 486 586 686 686-pae 686-bigmem k7',
  armv7l: 'armmp armmp-lpae rpi-v7 rpi-v7l',
  armv6l: 'rpi rpi-v6',
  armv5tel: 'marvell kirkwood orion5x versatile iop32x ixp4xx mv78xx0',
  ppc64le: 'powerpc64le',
  ppc64: 'powerpc64',
  ppc: 'powerpc powerpc-smp',
  s390x: 's390x',
  s390: 's390',
  riscv64: 'riscv64',
  loongarch64: 'loong64',
  mips: '4kc-malta mips32r2el mips32r2eb mips32r6el r4k-ip22',
  mips64: '5kc-malta octeon loongson-3 mips64r2el mips64r2eb mips64r6el r5k-ip32',
  parisc: 'parisc',
  parisc64: 'parisc64',
  sparc64: 'sparc64 sparc64-smp',
  alpha: 'alpha-generic alpha-smp alpha-legacy',
  m68k: 'm68k',
  sh4: 'sh7751r sh7785lcr',
  ia64: 'itanium mckinley',
});

const dpkgArches = byMachine({
  x86_64: 'x32',
  i686: 'i386',
  armv7l: 'armhf',
  armv5tel: 'armel',
  ppc64le: 'ppc64el',
  ppc64: 'ppc64',
  mips: 'mips mipsel',
  mips64: 'mips64el',
  parisc: 'hppa',
  alpha: 'alpha',
  sh4: 'sh4',
  ia64: 'ia64',
});

/** Machine name for a Debian arch: a dpkg architecture (`ppc64el`) or the arch part of a flavor (`686-pae`). */
export function debianArchToMachine(debArch: string): string | undefined {
  return debianKernelArches.get(debArch) ?? dpkgArches.get(debArch);
}

/** The first Debian arch found in a flavor, trying the longest run of `-` tokens first (`rt-686-pae`). */
export function debianFlavorMachine(flavor: string): string | undefined {
  const tokens = flavor.split('-');
  for (let i = 0; i < tokens.length; i++) {
    for (let j = tokens.length; j > i; j--) {
      const machine = debianKernelArches.get(tokens.slice(i, j).join('-'));
      if (machine !== undefined) return machine;
    }
  }
  return undefined;
}

const machineToDpkg = byMachine({
  amd64: 'x86_64 amd64',
  i386: 'i386 i486 i586 i686 athlon',
  arm64: 'aarch64 arm64',
  // armv6l is nearly always Raspberry Pi OS, whose armhf is built for ARMv6.
  armhf: 'armv7l armv7hl armv8l armv6l armhf',
  armel: 'armv5tel armv5tejl armv5l armv4tl armel',
  ppc64el: 'ppc64le ppc64el',
  powerpc: 'ppc',
  loong64: 'loongarch64',
  // uname says mips/mips64 for both byte orders; only the little-endian ports are still built.
  mipsel: 'mips',
  mips64el: 'mips64',
  hppa: 'parisc parisc64',
});

/** Debian architecture for a machine name (x86_64 → amd64); unknown names come back unchanged. */
export function machineToDebianArch(machine: string): string {
  return machineToDpkg.get(machine) ?? machine;
}

const machineToRpm = byMachine({
  x86_64: 'x86_64 amd64',
  aarch64: 'aarch64 arm64',
  armv7hl: 'armv7l armv7hl',
  armv6hl: 'armv6l armv6hl',
  ppc64le: 'ppc64le ppc64el',
});

/** RPM architecture for a machine name (armv7l → armv7hl); unknown names come back unchanged. */
export function machineToRpmArch(machine: string): string {
  return machineToRpm.get(machine) ?? machine;
}

const rpmToMachine = byMachine({ armv7l: 'armv7hl', armv6l: 'armv6hl', i686: 'athlon', ppc64: 'ppc64p7' });

/** Machine name for the RPM arch that Red Hat kernels put in their release (`.armv7hl` runs as armv7l). */
export function rpmArchToMachine(rpmArch: string): string {
  return rpmToMachine.get(rpmArch) ?? rpmArch;
}

function words(list: string): ReadonlySet<string> {
  return new Set(list.split(' '));
}

/** First `-` token of Ubuntu flavors (generic-64k, intel-iotg, nvidia-lowlatency, xilinx-zynqmp …). */
export const ubuntuFlavors = words(
  'generic lowlatency aws azure gcp gke gkeop oracle ibm kvm nvidia oem raspi raspi2 realtime intel xilinx bluefield fips server virtual starfive allwinner mtk laptop iot',
);

export function ubuntuFlavorMachine(flavor: string): string | undefined {
  const tokens = flavor.split('-');
  // Ubuntu's -64k kernels are arm64-only; ppc64el's generic already uses 64k pages.
  if (tokens.includes('64k')) return 'aarch64';
  if (tokens.includes('lpae')) return 'armv7l';
  return tokens.includes('pae') ? 'i686' : undefined;
}

export const suseFlavors = words(
  'default rt rt_debug debug vanilla kvmsmall 64kb azure zfcpdump pae bigsmp smp xen xenpae desktop ec2 trace preempt lpae longterm ppc64 kdump',
);

/** Only the few SUSE flavors built for a single arch tell it. */
export const suseFlavorMachines = byMachine({
  aarch64: '64kb',
  armv7l: 'lpae',
  i686: 'pae bigsmp xenpae',
  ppc64: 'ppc64',
  s390x: 'zfcpdump',
});

/** What a user rule decided. */
export interface FlavorRuleMatch {
  flavor: string;
  /**
   * The release with the flavor and one separator cut out, left for the built-in parsers to find
   * version/abi/arch in; undefined when the flavor is not a piece of the release (then the whole
   * release is parsed and only the flavor is overridden).
   */
  remainder: string | undefined;
  /** What a pattern rule's named groups captured; beats what parsing finds. */
  captured: { version?: string; abi?: string; arch?: string };
}

const separators = new Set(['-', '+', '.']);

function isDigit(char: string | undefined): boolean {
  return char !== undefined && char >= '0' && char <= '9';
}

/** A remainder is worth parsing only if it can still start with a version. */
function usable(remainder: string): string | undefined {
  return isDigit(remainder[0]) ? remainder : undefined;
}

/**
 * The release without `suffix`, which must follow `-`, `+`, `.` or, as Red Hat did in 2004
 * (`2.4.18-14smp`), a digit directly.
 */
export function cutSuffix(release: string, suffix: string): string | undefined {
  if (suffix === '' || suffix.length >= release.length || !release.endsWith(suffix)) return undefined;
  const before = release.slice(0, -suffix.length);
  const last = before.at(-1);
  if (last !== undefined && separators.has(last)) return usable(before.slice(0, -1));
  return isDigit(last) ? usable(before) : undefined;
}

/** The release without the span [start, end) and one separator next to it. */
function cutSpan(release: string, start: number, end: number): string | undefined {
  let left = release.slice(0, start);
  let right = release.slice(end);
  const last = left.at(-1);
  if (last !== undefined && separators.has(last)) left = left.slice(0, -1);
  else if (right[0] !== undefined && separators.has(right[0])) right = right.slice(1);
  return usable(left + right);
}

function flavorMatch(release: string, flavor: string): FlavorRuleMatch {
  return { flavor, remainder: flavor === '' ? undefined : cutSuffix(release, flavor), captured: {} };
}

function matchPattern(
  release: string,
  rule: Extract<FlavorRule, { kind: 'pattern' }>,
): FlavorRuleMatch | undefined {
  // A config-made RegExp may carry g or y, whose lastIndex would make a second call miss; d gives the
  // flavor group's position so it can be cut out wherever it sits.
  const regex = new RegExp(rule.pattern.source, `${rule.pattern.flags.replace(/[dgy]/g, '')}d`);
  const match = regex.exec(release);
  if (match == null) return undefined;
  const groups = match.groups ?? {};
  const span = match.indices?.groups?.['flavor'];
  const grouped = groups['flavor'];
  const result =
    grouped !== undefined && span !== undefined
      ? { flavor: grouped, remainder: grouped === '' ? undefined : cutSpan(release, ...span), captured: {} }
      : flavorMatch(release, rule.flavor ?? '');
  const captured: FlavorRuleMatch['captured'] = {};
  for (const key of ['version', 'abi', 'arch'] as const) {
    const value = groups[key];
    if (value !== undefined) captured[key] = value;
  }
  return { ...result, captured };
}

/**
 * Applies user rules before any built-in scheme: an exact release beats everything, then suffixes
 * longest first (so `myboard-lts` is not read as flavor `lts`), then patterns in declared order.
 */
export function matchFlavorRules(release: string, rules: readonly FlavorRule[]): FlavorRuleMatch | undefined {
  for (const rule of rules) {
    if (rule.kind === 'exact' && rule.release === release) return flavorMatch(release, rule.flavor);
  }
  const suffixes = rules
    .filter((rule) => rule.kind === 'suffix')
    .sort((a, b) => b.suffix.length - a.suffix.length);
  for (const rule of suffixes) {
    const remainder = cutSuffix(release, rule.suffix);
    if (remainder !== undefined) return { flavor: rule.suffix, remainder, captured: {} };
  }
  for (const rule of rules) {
    if (rule.kind !== 'pattern') continue;
    const match = matchPattern(release, rule);
    if (match !== undefined) return match;
  }
  return undefined;
}
