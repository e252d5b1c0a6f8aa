import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { DirectiveOverride } from '../conf/eval-script.ts';
import type { ModuleConf } from '../conf/module-conf.ts';
import { planOverrideFiles } from '../conf/read.ts';
import type { Paths } from '../paths.ts';
import { lookup } from './fs.ts';
import { tree, type BuildKey } from './tree.ts';

/** What status needs of a build's dkms.conf: each module's name and where it may be installed. */
export interface StatusFacts {
  /** The digest of every input of the dkms.conf reading (see readConfDigest). */
  digest: string;
  modules: { destName: string; locations: string[] }[];
}

/** Whether a value read from JSON (a build record, a cache entry) is well-formed status facts. */
export function isStatusFacts(value: unknown): value is StatusFacts {
  if (typeof value !== 'object' || value === null) return false;
  const { digest, modules } = value as { digest?: unknown; modules?: unknown };
  return (
    typeof digest === 'string' &&
    Array.isArray(modules) &&
    modules.every((m: unknown) => {
      if (typeof m !== 'object' || m === null) return false;
      const { destName, locations } = m as { destName?: unknown; locations?: unknown };
      return (
        typeof destName === 'string' &&
        Array.isArray(locations) &&
        locations.every((l: unknown) => typeof l === 'string')
      );
    })
  );
}

/** The status facts of a dkms.conf reading. Pure. */
export function planStatusFacts(digest: string, conf: ModuleConf): StatusFacts {
  return {
    digest,
    modules: conf.modules.map((m) => ({
      destName: m.destName,
      locations: [...new Set([m.destLocation, m.rawDestLocation])],
    })),
  };
}

/** Reads one input of a dkms.conf reading: its content, or undefined when the file does not exist. */
export type ReadConfInput = (file: string) => Promise<Buffer | undefined>;

const readConfInput: ReadConfInput = (file) =>
  lookup(() => {
    try {
      return readFileSync(file);
    } catch {
      return undefined;
    }
  });

function readNames(dir: string): Set<string> {
  try {
    return new Set(readdirSync(dir));
  } catch {
    return new Set();
  }
}

/**
 * A reader for a command that takes the digests of many builds: each file is read once, and of the
 * /etc/dkms override files only those its one listing shows (most builds have none), instead of five
 * opens per build.
 */
export function readConfInputsOnce(etcDkms: string): ReadConfInput {
  const contents = new Map<string, Promise<Buffer | undefined>>();
  let listing: Set<string> | undefined;
  return (file) => {
    let content = contents.get(file);
    if (content === undefined) {
      content =
        path.dirname(file) === etcDkms
          ? (listing ??= readNames(etcDkms)).has(path.basename(file))
            ? readConfInput(file)
            : Promise.resolve(undefined)
          : readConfInput(file);
      contents.set(file, content);
    }
    return content;
  };
}

/**
 * A digest of what a reading of a registered dkms.conf depends on: the file, the /etc/dkms override
 * files that may exist for the build (present or not), and the --directive values. When it is unchanged,
 * what a build recorded from its reading still holds, and status need not run bash again.
 */
export async function readConfDigest(
  paths: Paths,
  build: BuildKey,
  directives: readonly DirectiveOverride[],
  read: ReadConfInput = readConfInput,
): Promise<string> {
  const hash = createHash('sha256').update(JSON.stringify(directives));
  const files = [
    path.join(tree.sourceLink(paths, build.module, build.version), 'dkms.conf'),
    ...planOverrideFiles(paths.etcDkms, build.module, build.version, build.kernel, build.arch),
  ];
  const contents = await Promise.all(files.map(read));
  for (const [i, file] of files.entries()) {
    const content = contents[i];
    hash.update(`${file}\0${content === undefined ? 'missing' : String(content.length)}\0`);
    if (content !== undefined) hash.update(content);
  }
  return hash.digest('hex');
}
