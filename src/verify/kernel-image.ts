import { readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Context } from '../context.ts';
import { KmodError, isErrno } from '../errors.ts';
import { lastLines, runCommand } from '../exec/run.ts';
import { findOnPath } from '../exec/which.ts';
import { underRoot } from '../paths.ts';
import { exists, makeDirs } from '../state/fs.ts';

/** Where the kernel a verify boots comes from. */
export type KernelSource =
  /** A linux-image .deb: its vmlinuz and its modules, which verify extracts and runs depmod on. */
  | { kind: 'package'; deb: string }
  /** A kernel image, whose modules are the ones installed for it under the root. */
  | { kind: 'image'; image: string; modulesDir: string };

export interface KernelSourceRequest {
  kernel: string;
  kernelImage?: string | undefined;
  kernelPackage?: string | undefined;
}

/** How long `apt-get download` of a kernel image package may take. */
const downloadTimeoutMs = 15 * 60 * 1000;

async function checkFile(file: string, what: string): Promise<string> {
  const resolved = path.resolve(file);
  try {
    if ((await stat(resolved)).isFile()) return resolved;
  } catch (error) {
    if (!isErrno(error, 'ENOENT', 'ENOTDIR')) throw error;
  }
  throw new KmodError('USAGE', `${what} ${file}: no such file`);
}

/**
 * The kernel to boot for `kernel`: the image or package given, else `<root>/boot/vmlinuz-K` with the
 * root's modules, else the distribution's `linux-image-K` package, downloaded once into the cache.
 */
export async function readKernelSource(ctx: Context, request: KernelSourceRequest): Promise<KernelSource> {
  const modulesDir = path.join(ctx.paths.installTree, request.kernel);
  if (request.kernelPackage !== undefined)
    return { kind: 'package', deb: await checkFile(request.kernelPackage, '--kernel-package') };
  if (request.kernelImage !== undefined)
    return { kind: 'image', image: await checkFile(request.kernelImage, '--kernel-image'), modulesDir };
  const installed = underRoot(ctx.paths.root, `/boot/vmlinuz-${request.kernel}`);
  if (await exists(installed)) return { kind: 'image', image: installed, modulesDir };
  return { kind: 'package', deb: await fetchKernelPackage(ctx, request.kernel) };
}

async function findDeb(dir: string, name: string): Promise<string | undefined> {
  const names = await readdir(dir).catch((error: unknown) => {
    if (isErrno(error, 'ENOENT')) return [];
    throw error;
  });
  const found = names.filter((n) => n.startsWith(`${name}_`) && n.endsWith('.deb')).sort();
  const last = found.at(-1);
  return last === undefined ? undefined : path.join(dir, last);
}

/**
 * `apt-get download linux-image-K` into `<cache>/debs`, unless an earlier verify did it. apt-get writes
 * into a directory of its own, moved into place whole, so a download cut short leaves no .deb behind.
 */
async function fetchKernelPackage(ctx: Context, kernel: string): Promise<string> {
  const name = `linux-image-${kernel}`;
  const debs = path.join(ctx.paths.verifyCache, 'debs');
  const cached = await findDeb(debs, name);
  if (cached !== undefined) return cached;
  const noImage = `no kernel image for ${kernel}: no ${underRoot(ctx.paths.root, `/boot/vmlinuz-${kernel}`)}`;
  const apt = findOnPath('apt-get');
  if (apt === undefined)
    throw new KmodError('COMMAND_FAILED', `${noImage}, and no apt-get to download ${name}`, {
      hint: 'give the kernel with --kernel-image <vmlinuz> or --kernel-package <linux-image .deb>',
    });
  const staging = path.join(debs, `.download-${process.pid}`);
  await makeDirs(staging);
  try {
    ctx.emit({ type: 'info', message: `Downloading ${name} (apt-get download)` });
    const result = await runCommand(apt, ['download', name], { cwd: staging, timeoutMs: downloadTimeoutMs });
    const deb = await findDeb(staging, name);
    if (result.exitCode !== 0 || result.timedOut || deb === undefined)
      throw new KmodError(
        'COMMAND_FAILED',
        `${noImage}, and apt-get download ${name} failed:\n${lastLines(result.all, 5)}`,
        {
          hint: 'run apt-get update, or give the kernel with --kernel-image or --kernel-package',
        },
      );
    const dest = path.join(debs, path.basename(deb));
    await rename(deb, dest);
    return dest;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
