/**
 * Test support: Debian's linux-image packages of the installed kernels, which verify boots. Each is fetched
 * with `apt-get download` into `<repo>/.cache/linux-image/` once and reused by later runs; kmodforge's
 * verify cache (extracted kernels) is shared the same way, in `<repo>/.cache/verify/`.
 */
import { execFile as execFileCallback } from 'node:child_process';
import { mkdir, readdir, symlink } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './debian-dkms.ts';

const execFile = promisify(execFileCallback);

/** Where the packages are kept between runs. */
export const linuxImageDir = path.join(repoRoot, '.cache', 'linux-image');

/** kmodforge's verify cache shared by every test root: its entries are keyed by the package's sha256. */
export const sharedVerifyCache = path.join(repoRoot, '.cache', 'verify');

// Runs with cwd = the cache directory, $1 = the package name. The download goes to a directory of its own and
// is moved into place whole, so a killed run leaves no truncated .deb under the final name.
const downloadScript = `
set -e
name=$1
for f in "$name"_*.deb; do [ -e "$f" ] && exit 0; done
tmp=$(mktemp -d "$PWD/.download-$name.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
if ! apt-get download "$name"; then
  echo "apt-get download $name failed; running apt-get update and retrying" >&2
  apt-get update
  apt-get download "$name"
fi
for f in "$name"_*.deb; do mv -f "$f" ../; done
`;

async function findDeb(name: string): Promise<string | undefined> {
  const found = (await readdir(linuxImageDir)).filter((f) => f.startsWith(`${name}_`) && f.endsWith('.deb'));
  const last = found.sort().at(-1);
  return last === undefined ? undefined : path.join(linuxImageDir, last);
}

/** The linux-image-<kernel> .deb, downloaded on first use (under flock, so parallel runs fetch it once). */
export async function fetchLinuxImage(kernel: string): Promise<string> {
  const name = `linux-image-${kernel}`;
  await mkdir(linuxImageDir, { recursive: true });
  const cached = await findDeb(name);
  if (cached !== undefined) return cached;
  try {
    await execFile(
      'flock',
      [
        '-w',
        '900',
        path.join(linuxImageDir, '.download.lock'),
        'bash',
        '-c',
        downloadScript,
        'download',
        name,
      ],
      {
        cwd: linuxImageDir,
        maxBuffer: 64 * 1024 * 1024,
      },
    );
  } catch (error) {
    throw new Error(`downloading ${name} failed: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  const deb = await findDeb(name);
  if (deb === undefined)
    throw new Error(`apt-get download ${name} left no ${name}_*.deb in ${linuxImageDir}`);
  return deb;
}

/** Points a test root's verify cache at the shared one, so that each kernel is extracted once for all. */
export async function shareVerifyCache(root: string): Promise<void> {
  await mkdir(sharedVerifyCache, { recursive: true });
  const parent = path.join(root, 'var', 'cache', 'kmodforge');
  await mkdir(parent, { recursive: true });
  await symlink(sharedVerifyCache, path.join(parent, 'verify'));
}
