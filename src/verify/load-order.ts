/**
 * Which modules a verify boot loads, and in which order: the kernel's own modules that ours need (as
 * modprobe resolves them from the kernel's modules.dep, dependencies first), the ones asked for with
 * --modprobe, then ours, each after those of ours it depends on. Pure.
 */

/** Where a module in the guest comes from. */
export type LoadOrigin = 'built' | 'dependency' | 'requested';

export interface LoadEntry {
  /** The module's name as the kernel knows it. */
  name: string;
  /** The module file on this machine. */
  file: string;
  origin: LoadOrigin;
}

/** One of our built modules, with the names in its `depends=` field. */
export interface BuiltModule {
  name: string;
  file: string;
  depends: readonly string[];
}

export type ShowDependsLine = { kind: 'insmod'; file: string } | { kind: 'builtin'; name: string };

/** A module's name from its file name, as the kernel makes it: the stem, with "-" read as "_". */
export function planModuleName(file: string): string {
  const base = file.slice(file.lastIndexOf('/') + 1);
  return base.replace(/\.ko(\.(gz|xz|zst))?$/, '').replaceAll('-', '_');
}

/** `modprobe --show-depends` output: an `insmod <file> [params]` line per module to load, in order. */
export function parseShowDepends(text: string): ShowDependsLine[] {
  const lines: ShowDependsLine[] = [];
  for (const line of text.split('\n')) {
    const insmod = /^insmod (\S+)/.exec(line);
    if (insmod?.[1] !== undefined) lines.push({ kind: 'insmod', file: insmod[1] });
    const builtin = /^builtin (\S+)/.exec(line);
    if (builtin?.[1] !== undefined) lines.push({ kind: 'builtin', name: builtin[1] });
  }
  return lines;
}

/** The names our modules depend on that none of them provides: what modprobe must resolve. */
export function planForeignDependencies(built: readonly BuiltModule[]): string[] {
  const ours = new Set(built.map((m) => m.name));
  const foreign = built.flatMap((m) => m.depends).filter((d) => !ours.has(d));
  return [...new Set(foreign)];
}

/**
 * Our modules in an order where each comes after those of ours it depends on; the given order is kept
 * where the dependencies allow. Modules in a dependency cycle keep their order (the kernel reports them).
 */
export function planBuiltOrder(built: readonly BuiltModule[]): BuiltModule[] {
  const byName = new Map(built.map((m) => [m.name, m]));
  const done = new Set<string>();
  const visiting = new Set<string>();
  const order: BuiltModule[] = [];
  const visit = (m: BuiltModule): void => {
    if (done.has(m.name) || visiting.has(m.name)) return;
    visiting.add(m.name);
    for (const d of m.depends) {
      const dep = byName.get(d);
      if (dep !== undefined) visit(dep);
    }
    visiting.delete(m.name);
    done.add(m.name);
    order.push(m);
  };
  for (const m of built) visit(m);
  return order;
}

/**
 * The whole load list: each resolution (modprobe's lines for one name) in turn, every module once, then
 * ours. A module of the kernel's that one of ours replaces (same name) is not loaded from the kernel.
 */
export function planLoadOrder(
  built: readonly BuiltModule[],
  resolutions: readonly { origin: 'dependency' | 'requested'; lines: readonly ShowDependsLine[] }[],
): LoadEntry[] {
  const ours = new Set(built.map((m) => m.name));
  const seen = new Set<string>();
  const entries: LoadEntry[] = [];
  for (const { origin, lines } of resolutions) {
    const files = lines.flatMap((line) => (line.kind === 'insmod' ? [line.file] : []));
    files.forEach((file, i) => {
      const name = planModuleName(file);
      if (ours.has(name) || seen.has(name)) return;
      seen.add(name);
      // What a requested module needs is loaded as a dependency; only the module asked for is "requested".
      entries.push({ name, file, origin: i === files.length - 1 ? origin : 'dependency' });
    });
  }
  for (const m of planBuiltOrder(built)) entries.push({ name: m.name, file: m.file, origin: 'built' });
  return entries;
}
