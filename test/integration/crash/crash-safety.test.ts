import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { readlink } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installedKernels } from '../../support/debian-dkms.ts';
import { spawnCli } from '../../support/spawn-cli.ts';
import { arch, makeTestRoot, type TestRoot } from '../../support/test-root.ts';

const kernel = installedKernels().find((k) => /-\d+-amd64$/.test(k)) ?? installedKernels()[0] ?? '';
let t: TestRoot;
let root: string;

const paths = {
  installed: (): string => path.join(root, 'lib/modules', kernel, 'updates/dkms/hello.ko'),
  built: (): string => path.join(root, 'var/lib/dkms/hello/1.0', kernel, arch, 'module/hello.ko'),
  link: (): string => path.join(root, 'var/lib/dkms/hello', `kernel-${kernel}-${arch}`),
  journal: (): string => path.join(root, 'var/lib/dkms/.kmodforge-journal'),
};

const hash = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

async function status(): Promise<string> {
  const run = await t.cli('status');
  expect(run.code).toBe(0);
  return run.stdout;
}

/** status must say exactly what the files on disk say, and no transaction may be left half done. */
async function expectConsistent(): Promise<'installed' | 'built' | 'gone'> {
  const text = await status();
  expect(existsSync(paths.journal())).toBe(false);
  const modulesDep = readFileSync(path.join(root, 'lib/modules', kernel, 'modules.dep'), 'utf8');
  if (text.includes(`hello/1.0, ${kernel}, ${arch}: installed`)) {
    expect(await readlink(paths.link())).toBe(`1.0/${kernel}/${arch}`);
    expect(hash(paths.installed())).toBe(hash(paths.built()));
    expect(text).not.toContain('WARNING');
    expect(modulesDep).toContain('updates/dkms/hello.ko');
    return 'installed';
  }
  expect(existsSync(paths.installed())).toBe(false);
  expect(existsSync(paths.link())).toBe(false);
  expect(modulesDep).not.toContain('hello.ko');
  if (text.includes(`hello/1.0, ${kernel}, ${arch}: built`)) {
    expect(existsSync(paths.built())).toBe(true);
    return 'built';
  }
  expect(text).toBe('');
  expect(existsSync(path.join(root, 'var/lib/dkms/hello'))).toBe(false);
  return 'gone';
}

beforeAll(async () => {
  t = await makeTestRoot({ kernels: [kernel], prefix: 'kmf-crash-' });
  root = t.root;
  const add = await t.cli('build', 'examples/hello', '-k', kernel);
  expect(add.code, add.stderr).toBe(0);
});
afterAll(async () => {
  await t.cleanup();
});

describe('crash safety: SIGKILL part way through install and remove', () => {
  // install of a first module for a kernel: mkdir updates/dkms, place hello.ko, link kernel-K-A, then commit.
  it.each([0, 1, 2, 3])(
    'install killed after step %i is recovered and completed by re-running it',
    async (step) => {
      const killed = await spawnCli(['--root', root, 'install', 'hello/1.0', '-k', kernel], {
        env: { KMODFORGE_TEST_KILL_AFTER_OP: String(step) },
      });
      expect(killed.signal).toBe('SIGKILL');
      expect(existsSync(paths.journal())).toBe(true);
      const state = await expectConsistent();
      expect(state).toBe(step === 3 ? 'installed' : 'built');
      const again = await t.cli('install', 'hello/1.0', '-k', kernel);
      expect(again.code, again.stderr).toBe(0);
      expect(await expectConsistent()).toBe('installed');
      const back = await t.cli('uninstall', 'hello/1.0', '-k', kernel);
      expect(back.code, back.stderr).toBe(0);
      expect(await expectConsistent()).toBe('built');
    },
  );

  // remove of an installed module: delete hello.ko, delete the link, delete K/A, delete M/V, then commit.
  it.each([0, 1, 2, 3, 4])(
    'remove killed after step %i is recovered and completed by re-running it',
    async (step) => {
      const install = await t.cli('install', 'hello/1.0', '-k', kernel);
      expect(install.code, install.stderr).toBe(0);
      const killed = await spawnCli(['--root', root, 'remove', 'hello/1.0', '-k', kernel], {
        env: { KMODFORGE_TEST_KILL_AFTER_OP: String(step) },
      });
      expect(killed.signal).toBe('SIGKILL');
      expect(await expectConsistent()).toBe(step === 4 ? 'gone' : 'installed');
      const again = await t.cli('remove', 'hello/1.0', '-k', kernel);
      if (step === 4) expect(again.code).toBe(3);
      else expect(again.code, again.stderr).toBe(0);
      expect(await expectConsistent()).toBe('gone');
      const rebuild = await t.cli('build', 'examples/hello', '-k', kernel);
      expect(rebuild.code, rebuild.stderr).toBe(0);
    },
  );
});
