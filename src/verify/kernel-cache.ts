import { createHash } from 'node:crypto';
import { gunzip } from 'node:zlib';
import { open, readFile, readdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { readFileDigest } from '../build/read-cache-key.ts';
import type { Context } from '../context.ts';
import { KmodError, isErrno } from '../errors.ts';
import { runCommand, runOrThrow } from '../exec/run.ts';
import { stagingName } from '../state/atomic.ts';
import { makeDirs, readOptional } from '../state/fs.ts';
import { parseBzImage, parseVmlinux, type PayloadCompression } from './bzimage.ts';
import type { KernelSource } from './kernel-image.ts';

/** A kernel ready to boot, from the cache. */
export interface CachedKernel {
  release: string;
  /** What QEMU boots: the vmlinux when it has a PVH entry, else the bzImage (which then decompresses itself). */
  bootImage: string;
  pvh: boolean;
  /** The bzImage, which UEFI firmware boots (through the kernel's EFI stub). */
  bzImage: string;
  /** A directory whose lib/modules/<release> has the kernel's modules and modules.dep (for modprobe -d). */
  modulesRoot: string;
}

interface EntryRecord {
  release: string;
  bootImage: string;
  pvh: boolean;
  bzImage: string;
}

const extractTimeoutMs = 10 * 60 * 1000;

/**
 * The kernel of `source`, extracted once into `<cache>/kernels/<key>`; the key is the sha256 of the
 * package (or of the image and the modules directory it goes with). An entry is made under a staging name
 * and renamed into place whole, so a reader finds a complete entry or none.
 */
export async function readCachedKernel(
  ctx: Context,
  source: KernelSource,
  kernel: string,
): Promise<CachedKernel> {
  const key = createHash('sha256')
    .update(
      source.kind === 'package'
        ? `package\0${await readFileDigest(source.deb)}`
        : `image\0${await readFileDigest(source.image)}\0${source.modulesDir}`,
    )
    .digest('hex');
  const dir = path.join(ctx.paths.verifyCache, 'kernels', key);
  const cached = await readEntry(dir);
  if (cached !== undefined) return checkRelease(cached, kernel, source);
  ctx.emit({ type: 'info', message: `Preparing ${kernel} for verify (once per kernel)` });
  const staging = stagingName(dir);
  await makeDirs(staging);
  try {
    const record =
      source.kind === 'package'
        ? await extractPackage(staging, source.deb)
        : await linkImage(staging, source.image, source.modulesDir, kernel);
    await writeFile(path.join(staging, 'kernel.json'), `${JSON.stringify(record)}\n`);
    try {
      await rename(staging, dir);
    } catch (error) {
      // Another verify made the same entry first: keep its.
      if (!isErrno(error, 'ENOTEMPTY', 'EEXIST')) throw error;
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  const entry = await readEntry(dir);
  if (entry === undefined)
    throw new KmodError('COMMAND_FAILED', `the verify cache entry ${dir} is unreadable`);
  return checkRelease(entry, kernel, source);
}

async function readEntry(dir: string): Promise<CachedKernel | undefined> {
  const text = await readOptional(path.join(dir, 'kernel.json'));
  if (text === undefined) return undefined;
  const record = JSON.parse(text) as EntryRecord;
  return {
    release: record.release,
    bootImage: path.join(dir, record.bootImage),
    pvh: record.pvh,
    bzImage: path.join(dir, record.bzImage),
    modulesRoot: path.join(dir, 'root'),
  };
}

function checkRelease(entry: CachedKernel, kernel: string, source: KernelSource): CachedKernel {
  if (entry.release === kernel) return entry;
  const what = source.kind === 'package' ? source.deb : source.image;
  throw new KmodError('USAGE', `${what} is kernel ${entry.release}, not ${kernel}`);
}

/** dpkg-deb -x of the package, depmod on its modules (the package has no modules.dep), and the vmlinux. */
async function extractPackage(staging: string, deb: string): Promise<EntryRecord> {
  const root = path.join(staging, 'root');
  await runOrThrow('dpkg-deb', ['-x', deb, root], { timeoutMs: extractTimeoutMs });
  const images = (await readdir(path.join(root, 'boot')).catch(() => [])).filter((n) =>
    n.startsWith('vmlinuz-'),
  );
  const [image] = images;
  if (images.length !== 1 || image === undefined)
    throw new KmodError(
      'USAGE',
      `${deb} is no kernel image package: it has ${images.length} boot/vmlinuz-* files`,
    );
  const release = image.slice('vmlinuz-'.length);
  await runOrThrow('depmod', ['-b', root, release], { timeoutMs: extractTimeoutMs });
  return readBootImage(staging, path.join('root', 'boot', image), release);
}

/** An image booted with the root's modules: they are linked, not copied, and modules.dep is theirs. */
async function linkImage(
  staging: string,
  image: string,
  modulesDir: string,
  kernel: string,
): Promise<EntryRecord> {
  await makeDirs(path.join(staging, 'root', 'lib', 'modules'));
  await symlink(modulesDir, path.join(staging, 'root', 'lib', 'modules', kernel));
  await writeFile(path.join(staging, 'bzImage'), await readFile(image));
  const record = await readBootImage(staging, 'bzImage', undefined);
  return { ...record, release: record.release === '' ? kernel : record.release };
}

/**
 * The vmlinux cut out of the bzImage and decompressed, kept when it is a whole ELF file with a PVH entry;
 * else the bzImage is what boots.
 */
async function readBootImage(
  staging: string,
  bzImage: string,
  release: string | undefined,
): Promise<EntryRecord> {
  const bytes = await readFile(path.join(staging, bzImage));
  const payload = parseBzImage(bytes);
  const named = release ?? payload?.release ?? '';
  const fallback = { release: named, bootImage: bzImage, pvh: false, bzImage };
  if (payload?.compression === undefined) return fallback;
  const vmlinux = path.join(staging, 'vmlinux');
  const data = bytes.subarray(payload.offset, payload.offset + payload.length);
  if (!(await decompress(payload.compression, data, vmlinux))) return fallback;
  const elf = parseVmlinux(await readFile(vmlinux));
  if (elf.kind !== 'elf' || !elf.pvh) {
    await rm(vmlinux, { force: true });
    return fallback;
  }
  return { release: named, bootImage: 'vmlinux', pvh: true, bzImage };
}

const tools: Readonly<
  Record<Exclude<PayloadCompression, 'gzip'>, { file: string; args: (from: string, to: string) => string[] }>
> = {
  xz: { file: 'xz', args: (from) => ['-d', '-q', '-f', '--format=xz', from] },
  lz4: { file: 'lz4', args: (from, to) => ['-d', '-q', '-f', from, to] },
  zstd: { file: 'zstd', args: (from, to) => ['-d', '-q', '-f', from, '-o', to] },
};

const suffixes: Readonly<Record<PayloadCompression, string>> = {
  xz: '.xz',
  lz4: '.lz4',
  gzip: '.gz',
  zstd: '.zst',
};

/** Decompresses the payload into `to`; false when the tool is missing or fails (the bzImage boots then). */
async function decompress(compression: PayloadCompression, data: Uint8Array, to: string): Promise<boolean> {
  if (compression === 'gzip') {
    await writeFile(to, await promisify(gunzip)(data));
    return true;
  }
  const from = `${to}${suffixes[compression]}`;
  const handle = await open(from, 'w');
  try {
    await handle.writeFile(data);
  } finally {
    await handle.close();
  }
  const tool = tools[compression];
  const result = await runCommand(tool.file, tool.args(from, to), { timeoutMs: extractTimeoutMs }).catch(
    (error: unknown) => {
      if (error instanceof KmodError) return undefined;
      throw error;
    },
  );
  await rm(from, { force: true });
  return result !== undefined && result.exitCode === 0 && !result.timedOut;
}
