/**
 * Test support: a custom kernel of the seed's scheme, built and packaged by `kmodforge mkkernel` in both
 * formats from Debian's linux-source-6.1 at a small configuration, once: the result is kept under
 * `<repo>/.cache/custom-kernel/<key>/`, keyed by the source tarball and the configuration, and reused by
 * every later test file and run. A lock directory beside it makes concurrent test files wait for one build.
 */
import { execFile as execFileCallback } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { jsonLines, runCli } from './cli.ts';
import { repoRoot } from './debian-dkms.ts';

const execFile = promisify(execFileCallback);

/**
 * Makes `root` a throwaway system root with the host's os-release and an empty state tree, and unpacks the
 * packages into it (dpkg-deb -x, or rpm2cpio | cpio).
 */
export async function unpackIntoRoot(
  root: string,
  format: 'rpm' | 'deb',
  files: readonly string[],
): Promise<string> {
  await mkdir(path.join(root, 'etc'), { recursive: true });
  await cp('/etc/os-release', path.join(root, 'etc/os-release'), { dereference: true });
  await mkdir(path.join(root, 'var/lib/dkms'), { recursive: true });
  for (const file of files) {
    if (format === 'deb') await execFile('dpkg-deb', ['-x', file, root]);
    else await execFile('sh', ['-c', 'rpm2cpio "$0" | cpio -idm --quiet', file], { cwd: root });
  }
  return root;
}

/** The seed's own target board. */
export const customFlavor = 'host108';

export const kernelSourceTarball = '/usr/src/linux-source-6.1.tar.xz';

/**
 * What tinyconfig lacks for a kernel that takes modules with symbol versions, and that `kmodforge verify`
 * can boot under QEMU (PVH entry, serial console, an initramfs, /dev, /proc and /sys) and power off: without
 * ACPI `poweroff -f` only halts, and QEMU runs on until verify's time limit; without PCI, ACPI cannot load
 * QEMU's tables (their regions are in PCI configuration space).
 */
export const customKernelOptions = [
  '64BIT',
  'MODULES',
  'MODULE_UNLOAD',
  'MODVERSIONS',
  'PRINTK',
  'TTY',
  'SERIAL_8250',
  'SERIAL_8250_CONSOLE',
  'BLK_DEV_INITRD',
  'RD_GZIP',
  'BINFMT_ELF',
  'BINFMT_SCRIPT',
  'HYPERVISOR_GUEST',
  'PVH',
  'DEVTMPFS',
  'PROC_FS',
  'SYSFS',
  'PCI',
  'ACPI',
] as const;

export interface KernelPackageFiles {
  image: string;
  devel: string;
  /** Every package the format made, the userspace headers included. */
  all: string[];
  /** How long mkkernel took for this format when the cache was made. */
  seconds: number;
}

export interface CustomKernel {
  /** `6.1.<sublevel>-1host108`. */
  release: string;
  /** The unpacked source tree (clean: the builds happen beside it). */
  sourceDir: string;
  /** The small configuration the kernel is built with. */
  config: string;
  /** mkkernel's --out: the packages, the logs and the build tree. */
  outDir: string;
  rpm: KernelPackageFiles;
  deb: KernelPackageFiles;
}

async function cacheKey(): Promise<string> {
  const tarball = await stat(kernelSourceTarball);
  return createHash('sha256')
    .update(JSON.stringify([tarball.size, tarball.mtimeMs, customFlavor, customKernelOptions]))
    .digest('hex')
    .slice(0, 16);
}

/** Waits for the lock directory (mkdir is atomic); one left by a killed run goes after two hours. */
async function withLock<T>(lock: string, fn: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch {
      const age = Date.now() - (await stat(lock).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
      if (age > 2 * 3600_000) await rm(lock, { recursive: true, force: true });
      else await new Promise((resolve) => setTimeout(resolve, 5000));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

async function unpackSource(dir: string): Promise<string> {
  const done = path.join(dir, 'src');
  if (!existsSync(done)) {
    const partial = path.join(dir, 'src.partial');
    await rm(partial, { recursive: true, force: true });
    await mkdir(partial, { recursive: true });
    await execFile('tar', ['-xf', kernelSourceTarball, '-C', partial]);
    await rename(partial, done);
  }
  const [top] = await readdir(done);
  if (top === undefined) throw new Error(`${kernelSourceTarball} unpacked to nothing`);
  return path.join(done, top);
}

/** tinyconfig with {@link customKernelOptions}, made in a scratch build tree (the source stays clean). */
async function makeConfig(sourceDir: string, dir: string): Promise<string> {
  const config = path.join(dir, 'tiny.config');
  if (existsSync(config)) return config;
  const scratch = path.join(dir, 'config-scratch');
  await rm(scratch, { recursive: true, force: true });
  await execFile('make', ['-C', sourceDir, `O=${scratch}`, 'tinyconfig'], { maxBuffer: 64 << 20 });
  await execFile(path.join(sourceDir, 'scripts/config'), [
    '--file',
    path.join(scratch, '.config'),
    ...customKernelOptions.flatMap((o) => ['--enable', o]),
  ]);
  await execFile('make', ['-C', sourceDir, `O=${scratch}`, 'olddefconfig'], { maxBuffer: 64 << 20 });
  await writeFile(config, await readFile(path.join(scratch, '.config')));
  await rm(scratch, { recursive: true, force: true });
  return config;
}

async function runMkkernel(
  sourceDir: string,
  config: string,
  outDir: string,
  format: 'rpm' | 'deb',
): Promise<{ release: string; files: KernelPackageFiles }> {
  // An empty root: the host's framework.conf and state tree play no part in the kernel's build.
  const root = path.join(outDir, `root-${format}`);
  await mkdir(root, { recursive: true });
  const started = performance.now();
  const run = await runCli(
    '--root',
    root,
    '--json',
    'mkkernel',
    sourceDir,
    '--flavor',
    customFlavor,
    '--config',
    config,
    '--format',
    format,
    '--out',
    outDir,
    '-j',
    String(os.availableParallelism()),
  );
  if (run.code !== 0)
    throw new Error(`mkkernel --format ${format} failed (${run.code}):\n${run.stdout}\n${run.stderr}`);
  const packages = jsonLines(run.stdout).filter((l) => l['type'] === format);
  const fileOf = (name: (n: string) => boolean): string => {
    const found = packages.find((p) => name(String(p['name'])));
    if (found === undefined)
      throw new Error(`mkkernel --format ${format} made no such package:\n${run.stdout}`);
    return String(found['file']);
  };
  const release = String(packages[0]?.['kernel']);
  return {
    release,
    files: {
      image: fileOf((n) => n === 'kernel' || n.startsWith('linux-image-')),
      devel: fileOf((n) => n === 'kernel-devel' || n.startsWith('linux-headers-')),
      all: packages.map((p) => String(p['file'])),
      seconds: (performance.now() - started) / 1000,
    },
  };
}

let shared: Promise<CustomKernel> | undefined;

/** The custom kernel, built on the first call of a run that finds no cache, and read from it after. */
export function customKernel(): Promise<CustomKernel> {
  shared ??= (async () => {
    const dir = path.join(repoRoot, '.cache', 'custom-kernel', await cacheKey());
    const resultFile = path.join(dir, 'result.json');
    await mkdir(path.dirname(dir), { recursive: true });
    return withLock(`${dir}.lock`, async () => {
      if (existsSync(resultFile)) return JSON.parse(await readFile(resultFile, 'utf8')) as CustomKernel;
      await mkdir(dir, { recursive: true });
      const sourceDir = await unpackSource(dir);
      const config = await makeConfig(sourceDir, dir);
      const outDir = path.join(dir, 'out');
      const rpm = await runMkkernel(sourceDir, config, outDir, 'rpm');
      const deb = await runMkkernel(sourceDir, config, outDir, 'deb');
      const result: CustomKernel = {
        release: rpm.release,
        sourceDir,
        config,
        outDir,
        rpm: rpm.files,
        deb: deb.files,
      };
      await writeFile(resultFile, `${JSON.stringify(result, null, 2)}\n`);
      return result;
    });
  })();
  return shared;
}
