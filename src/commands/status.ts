import path from 'node:path';
import type { Context } from '../context.ts';
import { KmodError } from '../errors.ts';
import { isDir, readOptional } from '../state/fs.ts';
import { isVermagicFor, modinfoField, parseModinfo } from '../state/modinfo.ts';
import { findModuleFile } from '../state/module-file.ts';
import { readModuleImage, readModuleVersion, readSameBytes } from '../state/module-image.ts';
import { readModuleStates, type BuiltEntry } from '../state/read-state.ts';
import { readRegisteredConf } from '../state/registered.ts';
import { planStatusCacheKey, readCachedStatusFacts, writeCachedStatusFacts } from '../state/status-cache.ts';
import {
  isStatusFacts,
  planStatusFacts,
  readConfDigest,
  readConfInputsOnce,
  type ReadConfInput,
  type StatusFacts,
} from '../state/status-facts.ts';
import { tree, type BuildKey } from '../state/tree.ts';

export type ModuleState = 'added' | 'built' | 'installed' | 'broken';

/** dkms 3.0.10's status suffixes, kept verbatim because scripts parse them. */
export const statusNotes = {
  originalModule: 'original_module exists',
  missingBuilt: 'WARNING! Missing some built modules!',
  diff: 'WARNING! Diff between built and installed module!',
} as const;

export interface StatusRecord {
  module: string;
  version: string;
  kernel: string | undefined;
  arch: string | undefined;
  state: ModuleState;
  notes: string[];
}

/** The line dkms 3.0.10 prints for a record, byte for byte. */
export function formatStatusLine(record: StatusRecord): string {
  if (record.kernel === undefined || record.arch === undefined)
    return `${record.module}/${record.version}: ${record.state}`;
  const notes = record.notes.map((n) => ` (${n})`).join('');
  return `${record.module}/${record.version}, ${record.kernel}, ${record.arch}: ${record.state}${notes}`;
}

interface ModuleFileSpec {
  destName: string;
  locations: string[];
}

/** What kmodforge recorded of a build's dkms.conf when it made it (a build made by dkms has no record). */
async function readRecordedFacts(ctx: Context, key: BuildKey): Promise<StatusFacts | undefined> {
  const text = await readOptional(tree.buildRecord(ctx.paths, key));
  if (text === undefined) return undefined;
  try {
    const facts = (JSON.parse(text) as { status?: unknown }).status;
    return isStatusFacts(facts) ? facts : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The module names and install locations of a build, without running anything while its dkms.conf and
 * overrides are unchanged: what kmodforge recorded when it made the build, else what an earlier status
 * cached of the file's reading (keyed by its digest, kernel, arch, trees and distro), else dkms.conf as
 * dkms reads it (bash, once), whose answer is then cached.
 */
async function readBuiltModules(
  ctx: Context,
  key: BuildKey,
  inputs: ReadConfInput,
): Promise<ModuleFileSpec[] | undefined> {
  const [digest, recorded] = await Promise.all([
    readConfDigest(ctx.paths, key, [], inputs),
    readRecordedFacts(ctx, key),
  ]);
  if (recorded?.digest === digest) return recorded.modules;
  const cacheKey = planStatusCacheKey(ctx.paths, key, digest, ctx.distro);
  const cached = await readCachedStatusFacts(ctx.paths, cacheKey);
  if (cached !== undefined) return cached.modules;
  let facts: StatusFacts;
  try {
    const { conf } = await readRegisteredConf(ctx, key.module, key.version, {
      release: key.kernel,
      arch: key.arch,
    });
    facts = planStatusFacts(digest, conf);
  } catch (error) {
    if (!(error instanceof KmodError)) throw error;
    ctx.emit({ type: 'warning', message: `${key.module}/${key.version}: ${error.message}` });
    return undefined;
  }
  // Only a reading of the content the digest covers is cached: the file may have changed meanwhile.
  if ((await readConfDigest(ctx.paths, key, [])) === digest) {
    await writeCachedStatusFacts(ctx.paths, cacheKey, facts, (message) => {
      ctx.emit({ type: 'warning', message });
    });
  }
  return facts.modules;
}

/** One module of a listed build: its built file and, for an installed build, the file dkms compares it with. */
export interface ModuleCheck {
  name: string;
  built: string;
  /** Undefined when not installed, or installed in none of its locations. */
  installed: string | undefined;
  /** The directories where it may be installed. */
  locations: string[];
  /** dkms's "Diff between built and installed module": installed, and not the built file's bytes. */
  differs: boolean;
}

/**
 * What dkms 3.0.10's status compares a built module with (module_status_built_extra): the file in the
 * first of its locations whose module has the built one's version (find_actual_dest_module_location),
 * else `<installtree>/<K>/<name>.ko`; the note is due when the two differ in a byte (diff -q).
 *
 * Cheap as dkms's lines allow: sizes first, bytes only for files of one size, and versions (modinfo) only
 * where they decide which file dkms compares: a file that differs while a later location, or the
 * fallback, holds one too.
 */
async function readInstalledComparison(
  ctx: Context,
  key: BuildKey,
  spec: ModuleFileSpec,
  built: string,
): Promise<{ installed: string | undefined; differs: boolean }> {
  const kernelDir = path.join(ctx.paths.installTree, key.kernel);
  const candidates = await Promise.all(
    spec.locations.map((l) => findModuleFile(path.join(kernelDir, l), spec.destName)),
  );
  let fallback: Promise<string | undefined> | undefined;
  const readFallback = (): Promise<string | undefined> =>
    (fallback ??= findModuleFile(kernelDir, spec.destName));
  let builtVersion: Promise<string> | undefined;
  for (const [i, file] of candidates.entries()) {
    if (file === undefined) continue;
    if (await readSameBytes(built, file)) return { installed: file, differs: false };
    const another =
      candidates.slice(i + 1).some((c) => c !== undefined) || (await readFallback()) !== undefined;
    if (!another) return { installed: file, differs: true };
    builtVersion ??= readModuleVersion(built);
    if ((await readModuleVersion(file)) === (await builtVersion)) return { installed: file, differs: true };
  }
  const last = await readFallback();
  if (last !== undefined && (await readSameBytes(built, last))) return { installed: last, differs: false };
  return { installed: candidates.find((c) => c !== undefined) ?? last, differs: true };
}

interface StatusEntry {
  record: StatusRecord;
  modules: ModuleCheck[];
}

/** One build's line: built or installed, with dkms 3.0.10's notes; undefined when a built module is missing. */
async function readBuildEntry(
  ctx: Context,
  module: string,
  version: string,
  build: BuiltEntry,
  inputs: ReadConfInput,
): Promise<StatusEntry | undefined> {
  const key: BuildKey = { module, version, kernel: build.kernel, arch: build.arch };
  const moduleDir = tree.builtModules(ctx.paths, key);
  const specs = await readBuiltModules(ctx, key, inputs);
  const notes: string[] = [];
  if (await isDir(tree.originalModules(ctx.paths, module, build.kernel, build.arch)))
    notes.push(statusNotes.originalModule);
  const builtFiles: { spec: ModuleFileSpec; built: string }[] = [];
  for (const spec of specs ?? []) {
    const built = await findModuleFile(moduleDir, spec.destName);
    // dkms's is_module_built: every module of dkms.conf must be there, or the build does not count.
    if (built === undefined) return undefined;
    builtFiles.push({ spec, built });
  }
  const modules: ModuleCheck[] = [];
  for (const { spec, built } of builtFiles) {
    const locations = spec.locations.map((l) => path.join(ctx.paths.installTree, build.kernel, l));
    if (!build.installed) {
      modules.push({ name: spec.destName, built, installed: undefined, locations, differs: false });
      continue;
    }
    const { installed, differs } = await readInstalledComparison(ctx, key, spec, built);
    if (differs) notes.push(statusNotes.diff);
    modules.push({ name: spec.destName, built, installed, locations, differs });
  }
  return {
    record: {
      module,
      version,
      kernel: build.kernel,
      arch: build.arch,
      state: build.installed ? 'installed' : 'built',
      notes,
    },
    modules,
  };
}

export interface StatusFilter {
  module?: string | undefined;
  version?: string | undefined;
  targets: readonly { release: string; arch: string | undefined }[];
}

/** Every line of status with the modules behind it (none for "added" and "broken"). */
async function readStatusEntries(ctx: Context, filter: StatusFilter): Promise<StatusEntry[]> {
  const entries: StatusEntry[] = [];
  const bare = (module: string, version: string, state: 'added' | 'broken'): StatusEntry => ({
    record: { module, version, kernel: undefined, arch: undefined, state, notes: [] },
    modules: [],
  });
  const kernelFilters = filter.targets.length === 0 ? [undefined] : filter.targets;
  const inputs = readConfInputsOnce(ctx.paths.etcDkms);
  for (const target of kernelFilters) {
    const states = await readModuleStates(ctx.paths, {
      module: filter.module,
      version: filter.version,
      kernel: target?.release,
      arch: target?.arch,
    });
    // Every build is read at once (their file reads overlap), and listed in dkms's order.
    const versions = await Promise.all(
      states.map(async (state): Promise<StatusEntry[]> => {
        if (state.broken) return [bare(state.module, state.version, 'broken')];
        const lines = (
          await Promise.all(
            state.builds.map((build) => readBuildEntry(ctx, state.module, state.version, build, inputs)),
          )
        ).filter((entry) => entry !== undefined);
        return lines.length === 0 ? [bare(state.module, state.version, 'added')] : lines;
      }),
    );
    entries.push(...versions.flat());
  }
  return entries;
}

/**
 * The state of every added module, as `dkms status` reports it: per module version either "added" or one
 * record per built kernel/arch, in dkms's order; filtered by module, version and kernels.
 */
export async function readStatus(ctx: Context, filter: StatusFilter): Promise<StatusRecord[]> {
  return (await readStatusEntries(ctx, filter)).map((e) => e.record);
}

/**
 * What `status --verify` finds wrong with a build's module: installed nowhere, installed with other
 * bytes (`differs`), installed as the same module compressed otherwise (`recompressed`), made for
 * another kernel (`vermagic`), or not readable as a module (`unreadable`).
 */
export type VerifyKind = 'not-installed' | 'differs' | 'recompressed' | 'vermagic' | 'unreadable';

export interface VerifyFinding {
  module: string;
  version: string;
  kernel: string;
  arch: string;
  /** The module's name (dkms.conf's DEST_MODULE_NAME). */
  name: string;
  kind: VerifyKind;
  /** The file the finding is about (for not-installed: where it should be). */
  file: string;
  /** What differs, in words. */
  detail: string;
}

/** A finding's line, after the status lines: `verify: <module>/<version>, <kernel>, <arch>: <detail>`. */
export function formatVerifyFinding(f: VerifyFinding): string {
  return `verify: ${f.module}/${f.version}, ${f.kernel}, ${f.arch}: ${f.detail}`;
}

/** The checks of `status --verify` on one module: bytes of built and installed modules, and vermagic. */
async function readModuleFindings(
  kernel: string,
  installedBuild: boolean,
  check: ModuleCheck,
): Promise<Omit<VerifyFinding, 'module' | 'version' | 'kernel' | 'arch' | 'name'>[]> {
  const findings: Omit<VerifyFinding, 'module' | 'version' | 'kernel' | 'arch' | 'name'>[] = [];
  const images = new Map<string, Promise<Buffer>>();
  const image = (file: string): Promise<Buffer> => {
    let read = images.get(file);
    if (read === undefined) {
      read = readModuleImage(file);
      images.set(file, read);
    }
    return read;
  };
  const unreadable = new Set<string>();
  const readable = async (file: string): Promise<Buffer | undefined> => {
    try {
      return await image(file);
    } catch (error) {
      if (!(error instanceof KmodError) && !(error instanceof Error && 'code' in error)) throw error;
      if (!unreadable.has(file)) {
        unreadable.add(file);
        // One line per finding, whatever the error says; a KmodError names the file already.
        const message = error instanceof KmodError ? error.message : `cannot read ${file}: ${error.message}`;
        findings.push({ kind: 'unreadable', file, detail: message.replace(/\s*\n\s*/g, '; ') });
      }
      return undefined;
    }
  };
  const checkVermagic = async (file: string): Promise<void> => {
    const bytes = await readable(file);
    if (bytes === undefined) return;
    const entries = parseModinfo(bytes);
    const vermagic = modinfoField(entries ?? [], 'vermagic').at(-1);
    if (vermagic === undefined) {
      findings.push({
        kind: 'unreadable',
        file,
        detail: `${file} has no ${entries === undefined ? 'ELF .modinfo section' : 'vermagic'}: it is no kernel module`,
      });
    } else if (!isVermagicFor(vermagic, kernel)) {
      findings.push({
        kind: 'vermagic',
        file,
        detail: `${file} is made for another kernel: vermagic "${vermagic.trim()}", not ${kernel}`,
      });
    }
  };

  await checkVermagic(check.built);
  if (!installedBuild) return findings;
  const installed = check.installed;
  if (installed === undefined) {
    findings.push({
      kind: 'not-installed',
      file: check.locations[0] ?? '',
      detail: `${check.name} is not installed: no ${check.name}.ko* in ${check.locations.join(' or ')}`,
    });
    return findings;
  }
  if (!check.differs) return findings;
  const [builtImage, installedImage] = [await readable(check.built), await readable(installed)];
  if (builtImage === undefined || installedImage === undefined) return findings;
  if (builtImage.equals(installedImage)) {
    findings.push({
      kind: 'recompressed',
      file: installed,
      detail: `${installed} is the built module compressed otherwise than ${check.built}`,
    });
    return findings;
  }
  findings.push({
    kind: 'differs',
    file: installed,
    detail: `${installed} differs from the built ${check.built}`,
  });
  await checkVermagic(installed);
  return findings;
}

/**
 * `status --verify`: the status lines, and what the costly checks find of each listed build (built and
 * installed bytes compared after decompression, each module's vermagic against its kernel), in line order.
 */
export async function verifyStatus(
  ctx: Context,
  filter: StatusFilter,
): Promise<{ records: StatusRecord[]; findings: VerifyFinding[] }> {
  const entries = await readStatusEntries(ctx, filter);
  const findings: VerifyFinding[] = [];
  for (const { record, modules } of entries) {
    if (record.kernel === undefined || record.arch === undefined) continue;
    for (const check of modules) {
      for (const found of await readModuleFindings(record.kernel, record.state === 'installed', check)) {
        findings.push({
          module: record.module,
          version: record.version,
          kernel: record.kernel,
          arch: record.arch,
          name: check.name,
          ...found,
        });
      }
    }
  }
  return { records: entries.map((e) => e.record), findings };
}
