import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { DirectiveOverride } from '../conf/eval-script.ts';
import type { ModuleConf } from '../conf/module-conf.ts';
import { planOverrideFiles } from '../conf/read.ts';
import type { Paths } from '../paths.ts';
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

/**
 * A digest of what a reading of a registered dkms.conf depends on: the file, the /etc/dkms override
 * files that may exist for the build (present or not), and the --directive values. When it is unchanged,
 * what a build recorded from its reading still holds, and status need not run bash again.
 */
export async function readConfDigest(
  paths: Paths,
  build: BuildKey,
  directives: readonly DirectiveOverride[],
): Promise<string> {
  const hash = createHash('sha256').update(JSON.stringify(directives));
  const files = [
    path.join(tree.sourceLink(paths, build.module, build.version), 'dkms.conf'),
    ...planOverrideFiles(paths.etcDkms, build.module, build.version, build.kernel, build.arch),
  ];
  const contents = await Promise.all(files.map((file) => readFile(file).catch(() => undefined)));
  for (const [i, file] of files.entries()) {
    const content = contents[i];
    hash.update(`${file}\0${content === undefined ? 'missing' : String(content.length)}\0`);
    if (content !== undefined) hash.update(content);
  }
  return hash.digest('hex');
}
