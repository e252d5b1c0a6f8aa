import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readlink, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { isErrno } from '../errors.ts';
import { findOnPath } from '../exec/which.ts';
import { readTree } from '../state/walk-tree.ts';
import type { BuildPlan } from './build-plan.ts';
import {
  planCacheKey,
  planCacheKeyInputs,
  planCompilerCommand,
  type CacheKeyFacts,
  type CompilerFacts,
  type SourceEntry,
} from './cache-plan.ts';

/** sha256 of a file's bytes, streamed. */
export async function readFileDigest(file: string | Buffer): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The digest of a file that may be missing (a kernel without Module.symvers, say). */
async function readOptionalDigest(file: string | undefined): Promise<string | undefined> {
  if (file === undefined) return undefined;
  try {
    return await readFileDigest(file);
  } catch (error) {
    if (isErrno(error, 'ENOENT', 'ENOTDIR', 'EISDIR', 'EACCES')) return undefined;
    throw error;
  }
}

/** Every entry of the build tree, names as bytes, with its permission bits and content digest (or target). */
async function readSourceEntries(dir: string): Promise<SourceEntry[]> {
  const entries: SourceEntry[] = [];
  for (const entry of await readTree(dir)) {
    const mode = (await lstat(entry.path)).mode & 0o7777;
    const content =
      entry.kind === 'file'
        ? await readFileDigest(entry.path)
        : entry.kind === 'link'
          ? (await readlink(entry.path, { encoding: 'buffer' })).toString('hex')
          : '';
    entries.push({ path: entry.relative.toString('hex'), kind: entry.kind, mode, content });
  }
  return entries;
}

/**
 * The compiler make will run, identified by the file PATH finds (links resolved: the Debian alternatives
 * and gcc-12 → x86_64-linux-gnu-gcc-12), its size and its modification time, which a compiler package
 * upgrade changes. Nothing is run.
 */
async function readCompilerFacts(command: string): Promise<CompilerFacts> {
  const found = findOnPath(command);
  if (found === undefined) return { command, binary: undefined };
  const file = await realpath(found);
  const { size, mtimeMs } = await stat(file);
  return { command, binary: { path: file, size, mtimeMs } };
}

/** Reads what a build's key is made of besides its plan; call with the source copied and patches applied. */
export async function readCacheKeyFacts(plan: BuildPlan): Promise<CacheKeyFacts> {
  const headers = plan.kernel.headersDir;
  return {
    source: await readSourceEntries(plan.buildDir),
    kernelConfig: await readOptionalDigest(plan.kernel.config?.file),
    kernelSymvers: await readOptionalDigest(
      headers === undefined ? undefined : path.join(headers, 'Module.symvers'),
    ),
    compiler: await readCompilerFacts(planCompilerCommand(plan)),
    extraSymbols: await Promise.all(
      plan.extraSymbols.map(async (file) => (await readOptionalDigest(file)) ?? ''),
    ),
    certificate:
      plan.signing.kind === 'sign' ? await readOptionalDigest(plan.signing.certificate) : undefined,
  };
}

/** The build cache key of a planned build whose source is copied and patched (see cache-plan.ts). */
export async function readCacheKey(plan: BuildPlan): Promise<string> {
  return planCacheKey(planCacheKeyInputs(plan, await readCacheKeyFacts(plan)));
}
