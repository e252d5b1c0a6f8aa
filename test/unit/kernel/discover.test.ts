import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoverKernels, readKernel } from '../../../src/kernel/discover.ts';
import { resolvePaths } from '../../../src/paths.ts';

let root: string;

async function headers(dir: string, config: string): Promise<void> {
  await mkdir(path.join(root, dir, 'include'), { recursive: true });
  await writeFile(path.join(root, dir, '.config'), config);
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'kmf-kernels-'));
  // Debian: /lib/modules/K/build is an absolute link, which must resolve inside the root.
  await headers(
    'usr/src/linux-headers-6.1.0-9-rt-amd64',
    'CONFIG_MODULE_SIG=y\nCONFIG_MODULE_SIG_HASH="sha512"\nCONFIG_PREEMPT_RT=y\n',
  );
  await mkdir(path.join(root, 'lib/modules/6.1.0-9-rt-amd64'), { recursive: true });
  await symlink(
    '/usr/src/linux-headers-6.1.0-9-rt-amd64',
    path.join(root, 'lib/modules/6.1.0-9-rt-amd64/build'),
  );
  // A kernel whose headers are not installed.
  await mkdir(path.join(root, 'lib/modules/6.1.0-10-amd64'), { recursive: true });
  await symlink('/usr/src/linux-headers-6.1.0-10-amd64', path.join(root, 'lib/modules/6.1.0-10-amd64/build'));
  // Fedora headers-only tree and a SUSE linux-obj tree.
  await headers('usr/src/kernels/6.11.4-301.fc41.x86_64+debug', 'CONFIG_MODULE_COMPRESS_XZ=y\n');
  await headers('usr/src/linux-obj/x86_64/default', 'CONFIG_MODULE_COMPRESS_ZSTD=y\n');
  await mkdir(path.join(root, 'usr/src/linux-obj/x86_64/default/include/config'), { recursive: true });
  await writeFile(
    path.join(root, 'usr/src/linux-obj/x86_64/default/include/config/kernel.release'),
    '6.4.0-150600.23.7-default\n',
  );
  // The seed's kernel-source layout, /usr/src/linux-<release>/: a configured tree named for its release
  // (a modern one says its release in include/config/kernel.release too; a 2.4 one does not).
  await headers('usr/src/linux-6.1.0-1host108', 'CONFIG_MODULES=y\n');
  await mkdir(path.join(root, 'usr/src/linux-6.1.0-1host108/include/config'), { recursive: true });
  await writeFile(
    path.join(root, 'usr/src/linux-6.1.0-1host108/include/config/kernel.release'),
    '6.1.0-1host108\n',
  );
  await headers('usr/src/linux-2.4.18-14smp', 'CONFIG_SMP=y\n');
  // A custom kernel's Debian headers: the release names no arch, the .config does.
  await headers(
    'usr/src/linux-headers-6.1.192-1host108',
    'CONFIG_64BIT=y\nCONFIG_X86_64=y\nCONFIG_MODULES=y\n',
  );
  await mkdir(path.join(root, 'lib/modules/6.1.192-1host108'), { recursive: true });
  await symlink(
    '/usr/src/linux-headers-6.1.192-1host108',
    path.join(root, 'lib/modules/6.1.192-1host108/build'),
  );
  // Not kernels: a pristine source without .config, a tree built as another release, a link to
  // headers elsewhere that is not configured, and Debian's trees whose names do not start with a digit.
  await mkdir(path.join(root, 'usr/src/linux-6.6.58/include'), { recursive: true });
  await headers('usr/src/linux-6.1.0-2host108', 'CONFIG_MODULES=y\n');
  await mkdir(path.join(root, 'usr/src/linux-6.1.0-2host108/include/config'), { recursive: true });
  await writeFile(
    path.join(root, 'usr/src/linux-6.1.0-2host108/include/config/kernel.release'),
    '6.1.0-2host108-dirty\n',
  );
  await headers('usr/src/linux-headers-6.1.0-9-common', 'CONFIG_MODULES=y\n');
  // An absolute link resolves inside the root.
  await headers('opt/kernels/6.6.12-2smp', 'CONFIG_SMP=y\n');
  await symlink('/opt/kernels/6.6.12-2smp', path.join(root, 'usr/src/linux-6.6.12-2smp'));
  // A 2004 targetboard kernel with only a /boot config.
  await mkdir(path.join(root, 'lib/modules/2.4.18-14host108'), { recursive: true });
  await mkdir(path.join(root, 'boot'), { recursive: true });
  await writeFile(path.join(root, 'boot/config-2.4.18-14host108'), 'CONFIG_MODULE_COMPRESS_GZIP=y\n');
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('discoverKernels', () => {
  it('finds kernels in every layout, sorted as sort -V, with flavors, headers and config facts', async () => {
    const kernels = await discoverKernels(resolvePaths({ root }));
    expect(
      kernels.map((k) => [
        k.release,
        k.flavor,
        k.headersDir === undefined ? '-' : path.relative(root, k.headersDir),
        k.config?.compression ?? '-',
      ]),
    ).toEqual([
      ['2.4.18-14host108', 'host108', '-', 'gzip'],
      ['2.4.18-14smp', 'smp', 'usr/src/linux-2.4.18-14smp', 'none'],
      ['6.1.0-1host108', 'host108', 'usr/src/linux-6.1.0-1host108', 'none'],
      ['6.1.0-9-rt-amd64', 'rt-amd64', 'usr/src/linux-headers-6.1.0-9-rt-amd64', 'none'],
      ['6.1.0-10-amd64', 'amd64', '-', '-'],
      ['6.1.192-1host108', 'host108', 'usr/src/linux-headers-6.1.192-1host108', 'none'],
      ['6.4.0-150600.23.7-default', 'default', 'usr/src/linux-obj/x86_64/default', 'zstd'],
      ['6.6.12-2smp', 'smp', 'opt/kernels/6.6.12-2smp', 'none'],
      ['6.11.4-301.fc41.x86_64+debug', 'debug', 'usr/src/kernels/6.11.4-301.fc41.x86_64+debug', 'xz'],
    ]);
    const rt = kernels.find((k) => k.release === '6.1.0-9-rt-amd64');
    expect(rt?.config?.signing.hash).toBe('sha512');
    expect(rt?.config?.preemptRt).toBe(true);
    expect(rt?.modulesDir).toBe(path.join(root, 'lib/modules/6.1.0-9-rt-amd64'));
  });

  it("takes the arch from the release, else from the kernel's .config, else leaves it unknown", async () => {
    const kernels = await discoverKernels(resolvePaths({ root }));
    const arch = (release: string): string | undefined => kernels.find((k) => k.release === release)?.arch;
    expect(arch('6.1.192-1host108')).toBe('x86_64');
    expect(arch('6.1.0-10-amd64')).toBe('x86_64');
    expect(arch('6.11.4-301.fc41.x86_64+debug')).toBe('x86_64');
    expect(arch('6.1.0-1host108')).toBeUndefined();
    expect(arch('2.4.18-14host108')).toBeUndefined();
    expect((await readKernel(resolvePaths({ root }), '6.1.192-1host108')).arch).toBe('x86_64');
  });

  it('finds nothing in an empty root', async () => {
    const empty = await mkdtemp(path.join(os.tmpdir(), 'kmf-empty-'));
    expect(await discoverKernels(resolvePaths({ root: empty }))).toEqual([]);
    await rm(empty, { recursive: true });
  });

  it('reads one kernel, honouring --kernelsourcedir', async () => {
    const custom = path.join(root, 'usr/src/kernels/6.11.4-301.fc41.x86_64+debug');
    const kernel = await readKernel(
      resolvePaths({ root, kernelSourceDir: custom }),
      '6.11.4-301.fc41.x86_64+debug',
    );
    expect(kernel.headersDir).toBe(custom);
    expect((await readKernel(resolvePaths({ root }), '5.0.0-nowhere')).headersDir).toBeUndefined();
  });

  it("reads a kernel of the seed's layout by release, its flavor from the seed's scheme", async () => {
    const kernel = await readKernel(resolvePaths({ root }), '6.1.0-1host108');
    expect(kernel).toMatchObject({
      version: '6.1.0',
      abi: '1',
      flavor: 'host108',
      family: 'custom',
      headersDir: path.join(root, 'usr/src/linux-6.1.0-1host108'),
      sourceDir: path.join(root, 'usr/src/linux-6.1.0-1host108'),
    });
    expect(kernel.config?.file).toBe(path.join(root, 'usr/src/linux-6.1.0-1host108/.config'));
  });
});
