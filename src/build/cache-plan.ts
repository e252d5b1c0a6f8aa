import { createHash } from 'node:crypto';
import type { BuildPlan } from './build-plan.ts';

/**
 * The build cache's pure half: what a build's key is made of, the key itself, and which entries to evict.
 * The facts (file digests, the compiler's identity) are read by read-cache-key.ts; the cache itself is
 * build-cache.ts.
 */

/** Bumped whenever what a cache entry holds, or what goes into a key, changes meaning. */
export const cacheFormat = 'kmodforge-build-cache 1';

/** The build limit when `[build] cache_size` does not say: 1 GiB. */
export const defaultCacheSize = 2 ** 30;

/** One entry of the patched build tree, as the key sees it. */
export interface SourceEntry {
  /** The path relative to the build directory, as hex of its bytes (names need not be UTF-8). */
  path: string;
  kind: 'file' | 'directory' | 'link' | 'other';
  /** Permission bits (an executable PRE_BUILD script is not a plain one). */
  mode: number;
  /** A file's sha256, a link's target (hex of its bytes); '' for the rest. */
  content: string;
}

/** The compiler the build runs, identified without running it. */
export interface CompilerFacts {
  /** The command make is given (CC, or the kernel's default): "gcc-12", "clang", "gcc". */
  command: string;
  /** Where PATH finds it, links resolved, with its size and modification time; undefined when not found. */
  binary: { path: string; size: number; mtimeMs: number } | undefined;
}

/** The facts a key needs beyond the plan: digests of the files the build reads. */
export interface CacheKeyFacts {
  source: readonly SourceEntry[];
  /** sha256 of the kernel's .config (the one the plan's facts came from); undefined when it has none. */
  kernelConfig: string | undefined;
  /** sha256 of the headers' Module.symvers; undefined when missing. */
  kernelSymvers: string | undefined;
  compiler: CompilerFacts;
  /** sha256 of each KBUILD_EXTRA_SYMBOLS file, in the plan's order. */
  extraSymbols: readonly string[];
  /** sha256 of the signing certificate (its fingerprint), when the build signs; undefined otherwise. */
  certificate: string | undefined;
}

/** Variables that cannot change what a build makes: the job count, and the kernel this machine runs. */
const ignoredVariables = new Set(['parallel_jobs', 'current_kernel']);

/** The compiler command a build runs: CC when the plan exports one, else what kbuild defaults to. */
export function planCompilerCommand(plan: Pick<BuildPlan, 'cc' | 'kernel'>): string {
  if (plan.cc !== undefined) return plan.cc;
  return plan.kernel.config?.compiler.clang === true ? 'clang' : 'gcc';
}

/**
 * The make command without its job count: `make -j4 …` and `make -j2 …` build the same thing (so builds
 * under different budgets, or side by side, share an entry).
 */
export function planKeyMakeCommand(command: string): string {
  return command.replace(/^make -j\d* /, 'make ');
}

/**
 * Everything a build's result depends on, as one JSON-able value: the source after patches, the resolved
 * configuration (make command, modules, scripts, dkms's variables, where it is compiled, which the compiler
 * writes into the module), the kernel headers' identity, the compiler, and how the modules are finished
 * (strip, sign with which certificate, compress). Pure.
 */
export function planCacheKeyInputs(plan: BuildPlan, facts: CacheKeyFacts): unknown {
  const relative = (file: string): string =>
    file.startsWith(`${plan.buildDir}/`) ? file.slice(plan.buildDir.length + 1) : file;
  const signing =
    plan.signing.kind === 'sign'
      ? {
          kind: 'sign',
          hash: plan.signing.hash,
          key: plan.signing.key,
          certificate: facts.certificate ?? null,
          signFile: plan.signing.signFile,
        }
      : { kind: plan.signing.kind };
  return {
    format: cacheFormat,
    module: plan.module,
    version: plan.version,
    arch: plan.arch,
    source: facts.source.map((e) => [e.path, e.kind, e.mode, e.content]),
    build: {
      // Where it is compiled: the path is in the module's debug info, so in its build id and signature.
      dir: plan.buildDir,
      make: planKeyMakeCommand(plan.makeCommand),
      cc: plan.cc ?? null,
      preBuild: plan.conf.scripts.preBuild ?? null,
      postBuild: plan.conf.scripts.postBuild ?? null,
      modules: plan.modules.map((m) => [m.index, relative(m.builtFile), m.destName, m.strip]),
      variables: Object.entries(plan.vars)
        .filter(([name]) => !ignoredVariables.has(name))
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
      extraSymbols: plan.extraSymbols.map((file, i) => [file, facts.extraSymbols[i] ?? null]),
    },
    kernel: {
      release: plan.kernel.release,
      headers: plan.kernel.headersDir ?? null,
      config: facts.kernelConfig ?? null,
      symvers: facts.kernelSymvers ?? null,
    },
    compiler: {
      versionText: plan.kernel.config?.compiler.versionText ?? null,
      clang: plan.kernel.config?.compiler.clang ?? false,
      command: facts.compiler.command,
      binary: facts.compiler.binary ?? null,
    },
    finish: {
      signing,
      compression: plan.compression,
      compressionOptions: plan.compression === 'none' ? null : plan.compressionOptions[plan.compression],
    },
  };
}

/** The key of a build: sha256 of its inputs' canonical JSON (objects are built in a fixed order). Pure. */
export function planCacheKey(inputs: unknown): string {
  return createHash('sha256').update(JSON.stringify(inputs)).digest('hex');
}

/** What eviction needs to know of an entry. */
export interface EvictionCandidate {
  key: string;
  size: number;
  /** When the entry was last stored or restored (ms since the epoch). */
  lastUsed: number;
}

/**
 * The entries to remove so that the rest fit in `limit` bytes: least recently used first (the key breaks
 * ties, so the order is reproducible). An entry larger than the limit is evicted too. Pure.
 */
export function planEviction(entries: readonly EvictionCandidate[], limit: number): string[] {
  const oldestFirst = [...entries].sort(
    (a, b) => a.lastUsed - b.lastUsed || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
  );
  let total = entries.reduce((sum, e) => sum + e.size, 0);
  const evicted: string[] = [];
  for (const entry of oldestFirst) {
    if (total <= limit) break;
    evicted.push(entry.key);
    total -= entry.size;
  }
  return evicted;
}

/** A byte count for people: 1023 B, 4.0 KiB, 12.3 MiB. Pure. */
export function formatSize(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit] ?? ''}`;
}
