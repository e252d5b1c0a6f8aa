import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Context } from '../context.ts';
import { KmodError } from '../errors.ts';
import { findModuleFile } from '../state/module-file.ts';
import { readModuleStates, type BuiltEntry } from '../state/read-state.ts';
import { readRegisteredConf } from '../state/registered.ts';
import { tree, type BuildKey } from '../state/tree.ts';
import { readConfDigest, type StatusFacts } from '../state/status-facts.ts';
import { isDir, readOptional } from '../state/fs.ts';

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

async function sameBytes(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([readFile(a), readFile(b)]);
  return x.equals(y);
}

interface ModuleFileSpec {
  destName: string;
  locations: string[];
}

/**
 * What kmodforge recorded of a build's dkms.conf when it made it, if that still holds: the file and its
 * overrides are unchanged (a build made by dkms has no record).
 */
async function readRecordedModules(ctx: Context, key: BuildKey): Promise<ModuleFileSpec[] | undefined> {
  const text = await readOptional(path.join(tree.built(ctx.paths, key), 'kmodforge.json'));
  if (text === undefined) return undefined;
  let facts: Partial<StatusFacts> | undefined;
  try {
    facts = (JSON.parse(text) as { status?: Partial<StatusFacts> }).status;
  } catch {
    return undefined;
  }
  const wellFormed = (m: unknown): m is ModuleFileSpec =>
    typeof m === 'object' &&
    m !== null &&
    typeof (m as ModuleFileSpec).destName === 'string' &&
    Array.isArray((m as ModuleFileSpec).locations) &&
    (m as ModuleFileSpec).locations.every((l) => typeof l === 'string');
  if (facts?.digest === undefined || !Array.isArray(facts.modules) || !facts.modules.every(wellFormed))
    return undefined;
  if (facts.digest !== (await readConfDigest(ctx.paths, key, []))) return undefined;
  return facts.modules;
}

/**
 * The module records of a build: what kmodforge recorded when it built it, else from dkms.conf as dkms
 * reads it (bash, once per build).
 */
async function readBuiltModules(
  ctx: Context,
  module: string,
  version: string,
  build: BuiltEntry,
): Promise<ModuleFileSpec[] | undefined> {
  const recorded = await readRecordedModules(ctx, {
    module,
    version,
    kernel: build.kernel,
    arch: build.arch,
  });
  if (recorded !== undefined) return recorded;
  try {
    const { conf } = await readRegisteredConf(ctx, module, version, {
      release: build.kernel,
      arch: build.arch,
    });
    return conf.modules.map((m) => ({
      destName: m.destName,
      locations: [...new Set([m.destLocation, m.rawDestLocation])],
    }));
  } catch (error) {
    if (!(error instanceof KmodError)) throw error;
    ctx.emit({ type: 'warning', message: `${module}/${version}: ${error.message}` });
    return undefined;
  }
}

/** One build's line: built or installed, with dkms 3.0.10's notes; undefined when a built module is missing. */
async function readBuildRecord(
  ctx: Context,
  module: string,
  version: string,
  build: BuiltEntry,
): Promise<StatusRecord | undefined> {
  const moduleDir = tree.builtModules(ctx.paths, { module, version, kernel: build.kernel, arch: build.arch });
  const specs = await readBuiltModules(ctx, module, version, build);
  const notes: string[] = [];
  if (await isDir(tree.originalModules(ctx.paths, module, build.kernel, build.arch)))
    notes.push(statusNotes.originalModule);
  for (const spec of specs ?? []) {
    const built = await findModuleFile(moduleDir, spec.destName);
    // dkms's is_module_built: every module of dkms.conf must be there, or the build does not count.
    if (built === undefined) return undefined;
    if (!build.installed) continue;
    let identical = false;
    for (const location of spec.locations) {
      const installed = await findModuleFile(
        path.join(ctx.paths.installTree, build.kernel, location),
        spec.destName,
      );
      if (installed !== undefined && (await sameBytes(built, installed))) identical = true;
    }
    if (!identical) notes.push(statusNotes.diff);
  }
  return {
    module,
    version,
    kernel: build.kernel,
    arch: build.arch,
    state: build.installed ? 'installed' : 'built',
    notes,
  };
}

/**
 * The state of every added module, as `dkms status` reports it: per module version either "added" or one
 * record per built kernel/arch, in dkms's order; filtered by module, version and kernels.
 */
export async function readStatus(
  ctx: Context,
  filter: {
    module?: string | undefined;
    version?: string | undefined;
    targets: readonly { release: string; arch: string | undefined }[];
  },
): Promise<StatusRecord[]> {
  const records: StatusRecord[] = [];
  const kernelFilters = filter.targets.length === 0 ? [undefined] : filter.targets;
  for (const target of kernelFilters) {
    const states = await readModuleStates(ctx.paths, {
      module: filter.module,
      version: filter.version,
      kernel: target?.release,
      arch: target?.arch,
    });
    for (const state of states) {
      if (state.broken) {
        records.push({
          module: state.module,
          version: state.version,
          kernel: undefined,
          arch: undefined,
          state: 'broken',
          notes: [],
        });
        continue;
      }
      const lines: StatusRecord[] = [];
      for (const build of state.builds) {
        const record = await readBuildRecord(ctx, state.module, state.version, build);
        if (record !== undefined) lines.push(record);
      }
      if (lines.length === 0)
        records.push({
          module: state.module,
          version: state.version,
          kernel: undefined,
          arch: undefined,
          state: 'added',
          notes: [],
        });
      records.push(...lines);
    }
  }
  return records;
}
