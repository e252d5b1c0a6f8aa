import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { KmodError } from '../errors.ts';
import { findOnPath } from '../exec/which.ts';
import { writeFileAtomic } from '../state/atomic.ts';
import { readModuleImage } from '../state/module-image.ts';
import { formatCpioNewc, type CpioEntry } from './cpio-newc.ts';
import {
  guestDir,
  guestInitScript,
  planGuestConfig,
  planGuestModulePath,
  planLoadList,
  type GuestSettings,
} from './guest-init.ts';
import type { LoadEntry } from './load-order.ts';

/** busybox, which must be the static one: the initramfs has no libraries. */
function findBusybox(): string {
  const busybox = findOnPath('busybox');
  if (busybox === undefined)
    throw new KmodError('COMMAND_FAILED', 'verify needs busybox for the guest, and it is not installed', {
      hint: 'install a statically linked busybox (on Debian: apt-get install busybox-static)',
    });
  return busybox;
}

/**
 * The part of every initramfs that does not change from one verify to the next (busybox, /init, the
 * directories), cached as a cpio archive keyed by its contents.
 */
async function readBasePiece(cacheDir: string): Promise<Buffer> {
  const busybox = await readFile(findBusybox());
  const key = createHash('sha256').update(busybox).update(guestInitScript).digest('hex');
  const file = path.join(cacheDir, 'initramfs', `base-${key}.cpio`);
  try {
    return await readFile(file);
  } catch {
    const dirs = ['bin', 'dev', 'proc', 'sys', 'tmp', guestDir];
    const entries: CpioEntry[] = [
      ...dirs.map((d): CpioEntry => ({ kind: 'dir', path: d, mode: 0o755 })),
      { kind: 'file', path: 'init', mode: 0o755, data: Buffer.from(guestInitScript) },
      { kind: 'file', path: 'bin/busybox', mode: 0o755, data: busybox },
    ];
    const piece = Buffer.concat(formatCpioNewc(entries));
    await writeFileAtomic(file, piece);
    return piece;
  }
}

/**
 * Writes the initramfs of one boot: the cached base, then an archive with the settings, the load list and
 * the modules (decompressed: busybox's insmod reads plain ELF). The settings come first in that archive,
 * so that /init can still run and say what happened if the modules do not fit in the guest's memory.
 * Returns its size.
 */
export async function writeInitramfs(
  cacheDir: string,
  dest: string,
  entries: readonly LoadEntry[],
  settings: GuestSettings,
): Promise<number> {
  const base = await readBasePiece(cacheDir);
  const images = await Promise.all(entries.map((e) => readModuleImage(e.file)));
  const files: CpioEntry[] = [
    { kind: 'file', path: `${guestDir}/config`, mode: 0o644, data: Buffer.from(planGuestConfig(settings)) },
    {
      kind: 'file',
      path: `${guestDir}/list`,
      mode: 0o644,
      data: Buffer.from(planLoadList(entries.map((e) => e.name))),
    },
    ...entries.map((e, i): CpioEntry => ({
      kind: 'file',
      path: planGuestModulePath(i, e.name),
      mode: 0o644,
      data: images[i] ?? Buffer.alloc(0),
    })),
  ];
  // Inode numbers go on from the base's, which used fewer than 100.
  const archive = Buffer.concat([base, ...formatCpioNewc(files, 100)]);
  await writeFile(dest, archive);
  return archive.length;
}
