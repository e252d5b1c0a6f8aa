import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { cliCommand } from './spawn-cli.ts';

export const run = promisify(execFile);

/** Runs a checker (rpmlint, lintian) whose exit status only summarises what it prints. */
export async function runChecker(
  file: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  try {
    return (await run(file, [...args], { env, maxBuffer: 1 << 26 })).stdout;
  } catch (error: unknown) {
    return (error as { stdout?: string }).stdout ?? '';
  }
}

/** Every regular file under a directory, as sorted "relative-path sha256" lines. */
export async function listFilesWithHashes(
  dir: string,
  filter: (rel: string) => boolean = () => true,
): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) {
        const rel = path.relative(dir, full);
        if (filter(rel))
          out.push(
            `${rel} ${createHash('sha256')
              .update(await readFile(full))
              .digest('hex')}`,
          );
      }
    }
  };
  await walk(dir);
  return out.sort();
}

/** A throwaway GnuPG home with a signing key, and an rpm database that trusts it (for rpmlint). */
export async function makeSigningKey(): Promise<{ gnupgHome: string; keyId: string; rpmHome: string }> {
  const gnupgHome = await mkdtemp(path.join(os.tmpdir(), 'kmf-gpg-'));
  await chmod(gnupgHome, 0o700);
  const keyId = 'kmodforge test <packages@kmodforge.invalid>';
  await run('gpg', ['--batch', '--passphrase', '', '--quick-gen-key', keyId, 'rsa2048', 'sign', 'never'], {
    env: { ...process.env, GNUPGHOME: gnupgHome },
  });
  const { stdout } = await run('gpg', ['--armor', '--export', keyId], {
    env: { ...process.env, GNUPGHOME: gnupgHome },
  });
  const rpmHome = await mkdtemp(path.join(os.tmpdir(), 'kmf-rpmhome-'));
  await writeFile(path.join(rpmHome, 'key.asc'), stdout);
  await writeFile(path.join(rpmHome, '.rpmmacros'), `%_dbpath ${path.join(rpmHome, 'rpmdb')}\n`);
  await mkdir(path.join(rpmHome, 'rpmdb'));
  await run('rpm', ['--import', path.join(rpmHome, 'key.asc')], { env: { ...process.env, HOME: rpmHome } });
  return { gnupgHome, keyId: 'packages@kmodforge.invalid', rpmHome };
}

/** A directory holding a `kmodforge` command that runs this checkout's sources, for package scripts. */
export async function makeKmodforgeShim(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kmf-bin-'));
  const bin = path.join(dir, 'kmodforge');
  await writeFile(bin, `#!/bin/sh\nexec ${cliCommand.join(' ')} "$@"\n`);
  await chmod(bin, 0o755);
  return dir;
}

/** An empty dpkg database under root, so `dpkg --root` can install into it. */
export async function makeDpkgRoot(root: string): Promise<void> {
  for (const dir of ['info', 'updates', 'triggers'])
    await mkdir(path.join(root, 'var/lib/dpkg', dir), { recursive: true });
  for (const file of ['status', 'available']) await writeFile(path.join(root, 'var/lib/dpkg', file), '');
}
