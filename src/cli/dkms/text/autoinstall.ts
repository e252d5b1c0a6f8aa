import type { AutoinstallEntry } from '../../../commands/autoinstall.ts';

/**
 * What dkms 3.0.10's autoinstall reports once kmodforge has run the installs: the modules whose install
 * text it prints, in the order its sequential loop would have run them, the modules left waiting for
 * BUILD_DEPENDS, and whether it ends with its exit 11.
 */
export interface DkmsAutoinstallReport {
  /** The installs that ran, in dkms's order: pass by pass, each pass in module order. */
  installs: AutoinstallEntry[];
  /** Modules never tried, with the dependencies still not installed when dkms gave up. */
  missing: { module: string; version: string; depends: string[] }[];
  /** Any install failed (a BUILD_EXCLUSIVE skip included: 3.0.10 counts its exit 77 as a failure). */
  failed: boolean;
}

/** The order of dkms's `module_status`: its glob of the dkms tree, which bash sorts bytewise under LC_ALL=C. */
function byModule(a: { module: string }, b: { module: string }): number {
  return a.module < b.module ? -1 : a.module > b.module ? 1 : 0;
}

/**
 * Orders kmodforge's parallel autoinstall as dkms's loop runs it: in each pass dkms tries, in module order,
 * every module whose BUILD_DEPENDS are all installed at the start of the pass, so a module runs in the pass
 * after the last of its dependencies that this run installed. `installed` is every module installed on the
 * kernel once the run is over (before it or by it), which is what dkms strikes from the dependency lists.
 */
export function planDkmsAutoinstallReport(
  entries: readonly AutoinstallEntry[],
  installed: ReadonlySet<string>,
): DkmsAutoinstallReport {
  const ran = new Map(entries.filter((e) => e.result !== 'missing-deps').map((e) => [e.module, e] as const));
  const passes = new Map<string, number>();
  const passOf = (entry: AutoinstallEntry, seen: ReadonlySet<string>): number => {
    const known = passes.get(entry.module);
    if (known !== undefined) return known;
    let pass = 1;
    for (const dep of entry.depends) {
      const before = ran.get(dep);
      if (before === undefined || seen.has(dep)) continue;
      pass = Math.max(pass, passOf(before, new Set([...seen, dep])) + 1);
    }
    passes.set(entry.module, pass);
    return pass;
  };
  const installs = [...ran.values()]
    .map((entry) => ({ entry, pass: passOf(entry, new Set([entry.module])) }))
    .sort((a, b) => a.pass - b.pass || byModule(a.entry, b.entry))
    .map(({ entry }) => entry);
  const missing = entries
    .filter((e) => e.result === 'missing-deps')
    .sort(byModule)
    .map((e) => ({
      module: e.module,
      version: e.version,
      depends: e.depends.filter((d) => !installed.has(d)),
    }));
  const failed = installs.some((e) => e.result === 'failed' || e.result === 'skipped');
  return { installs, missing, failed };
}

/** What dkms 3.0.10 prints on stdout for a module whose BUILD_DEPENDS never got installed. */
export function formatDkmsMissingDependencies(missing: DkmsAutoinstallReport['missing'][number]): string {
  return `${missing.module}/${missing.version} autoinstall failed due to missing dependencies: ${missing.depends.join(' ')}\n`;
}

/** The lines of autoinstall's `die 11`. */
export const dkmsAutoinstallFailure = [
  'One or more modules failed to install during autoinstall.',
  'Refer to previous errors for more information.',
];
