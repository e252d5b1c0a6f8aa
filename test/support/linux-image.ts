/**
 * Test support: Debian's linux-image packages of the installed kernels, which verify boots. Each is fetched
 * with `apt-get download` into `<repo>/.cache/linux-image/` once and reused by later runs; kmodforge's
 * verify cache (extracted kernels) is shared the same way, in `<repo>/.cache/verify/`.
 */
import { mkdir, symlink } from 'node:fs/promises';
import path from 'node:path';
import { downloadDeb, repoRoot } from './debian-dkms.ts';

/** Where the packages are kept between runs. */
export const linuxImageDir = path.join(repoRoot, '.cache', 'linux-image');

/** kmodforge's verify cache shared by every test root: its entries are keyed by the package's sha256. */
export const sharedVerifyCache = path.join(repoRoot, '.cache', 'verify');

/** The linux-image-<kernel> .deb, downloaded on first use. */
export function fetchLinuxImage(kernel: string): Promise<string> {
  return downloadDeb(linuxImageDir, `linux-image-${kernel}`);
}

/** Points a test root's verify cache at the shared one, so that each kernel is extracted once for all. */
export async function shareVerifyCache(root: string): Promise<void> {
  await mkdir(sharedVerifyCache, { recursive: true });
  const parent = path.join(root, 'var', 'cache', 'kmodforge');
  await mkdir(parent, { recursive: true });
  await symlink(sharedVerifyCache, path.join(parent, 'verify'));
}
