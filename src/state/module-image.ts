import { copyFile, open, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { KmodError, isSystemError } from '../errors.ts';
import { describeEnd, lastLines, runCommand } from '../exec/run.ts';
import { planModuleVersion } from './modinfo.ts';
import { withTempDir } from './temp-dir.ts';

/** How long xz or zstd may take to decompress one module. */
const decompressTimeoutMs = 60_000;

/**
 * The ELF image of a module file: .ko as is, .ko.gz through zlib, .ko.xz and .ko.zst through the xz and
 * zstd programs (Node 20 has no decoder for either), in a temporary directory of their own.
 */
export async function readModuleImage(file: string): Promise<Buffer> {
  const data = await readFile(file);
  if (file.endsWith('.gz')) {
    try {
      // Loaded here: status reads a compressed module only in the rare cases that need its bytes.
      const { gunzip } = await import('node:zlib');
      return await promisify(gunzip)(data);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new KmodError('COMMAND_FAILED', `cannot decompress ${file} with zlib (${reason})`, {
        cause: error,
      });
    }
  }
  const tool = file.endsWith('.xz') ? 'xz' : file.endsWith('.zst') ? 'zstd' : undefined;
  if (tool === undefined) return data;
  return withTempDir('kmf-module-', async (dir) => {
    const copy = path.join(dir, path.basename(file));
    await copyFile(file, copy);
    const result = await runCommand(tool, ['-d', '-q', '-f', copy], { timeoutMs: decompressTimeoutMs });
    if (result.exitCode !== 0 || result.timedOut) {
      const said = lastLines(result.all, 1).split(`${copy}: `).join('').trim();
      throw new KmodError(
        'COMMAND_FAILED',
        `cannot decompress ${file} with ${tool} (${describeEnd(result, decompressTimeoutMs)}${said === '' ? '' : `: ${said}`})`,
      );
    }
    return readFile(copy.slice(0, -path.extname(copy).length));
  });
}

/** dkms's version of a module (compare_module_version); '' when modinfo would print none. */
export async function readModuleVersion(file: string): Promise<string> {
  try {
    return planModuleVersion(await readModuleImage(file));
  } catch (error) {
    if (error instanceof KmodError || isSystemError(error)) return '';
    throw error;
  }
}

/**
 * Whether two files hold the same bytes (diff -q): sizes first, then the bytes in chunks until the first
 * difference. A file that cannot be read differs, as diff then fails.
 */
export async function readSameBytes(a: string, b: string): Promise<boolean> {
  try {
    const [x, y] = await Promise.all([stat(a), stat(b)]);
    if (!x.isFile() || !y.isFile() || x.size !== y.size) return false;
    if (x.dev === y.dev && x.ino === y.ino) return true;
    const [fa, fb] = await Promise.all([open(a, 'r'), open(b, 'r')]);
    try {
      const chunk = 256 * 1024;
      const [ba, bb] = [Buffer.alloc(chunk), Buffer.alloc(chunk)];
      for (let position = 0; position < x.size; position += chunk) {
        const [ra, rb] = await Promise.all([
          fa.read(ba, 0, chunk, position),
          fb.read(bb, 0, chunk, position),
        ]);
        if (ra.bytesRead !== rb.bytesRead) return false;
        if (ra.bytesRead === 0) return true;
        if (!ba.subarray(0, ra.bytesRead).equals(bb.subarray(0, rb.bytesRead))) return false;
      }
      return true;
    } finally {
      await Promise.all([fa.close(), fb.close()]);
    }
  } catch (error) {
    if (isSystemError(error)) return false;
    throw error;
  }
}
