/**
 * `kmodforge verify` boots Debian's own kernels (their linux-image packages) under QEMU and loads modules
 * built with the real CLI. The packages and the extracted kernels are kept in <repo>/.cache between runs;
 * a boot takes about 3 s (8 s through UEFI firmware, for --sig-enforce with a certificate to trust).
 */
import { execFile as execFileCallback } from 'node:child_process';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyModule } from '../../src/commands/verify.ts';
import { createContext } from '../../src/context.ts';
import { exitCodes } from '../../src/errors.ts';
import { tree } from '../../src/state/tree.ts';
import { fetchDebianDkmsPackage, installedKernels } from '../support/debian-dkms.ts';
import { fetchLinuxImage, shareVerifyCache } from '../support/linux-image.ts';
import {
  arch,
  copyFixture,
  fixtureDir,
  kernelOfFlavor,
  makeSigningKeyPair,
  makeTempDir,
  makeTestRoot,
  type TestRoot,
} from '../support/test-root.ts';

const execFile = promisify(execFileCallback);

const flavors = ['amd64', 'cloud-amd64', 'rt-amd64'] as const;
const kernels = installedKernels();
const kernelOf = (flavor: (typeof flavors)[number]): string => kernelOfFlavor(kernels, flavor);
const amd64 = kernelOf('amd64');
const debs = new Map<string, string>();
let t: TestRoot;
let temp: string;

interface LoadLine {
  type: 'load';
  name: string;
  origin: string;
  status: string;
  reason: string | null;
  taint: string | null;
}

interface ResultLine {
  type: 'result';
  boot: string;
  trusted: string | null;
}

/** `verify <module> -k <kernel> --kernel-package <its deb> --json [args]`: the exit code and the module lines. */
async function verify(root: TestRoot, module: string, kernel: string, ...args: string[]) {
  const run = await root.cli(
    'verify',
    module,
    '-k',
    kernel,
    '--kernel-package',
    debs.get(kernel) ?? '',
    '--json',
    ...args,
  );
  const lines = run.stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { type: string });
  return {
    ...run,
    loads: lines.filter((l): l is LoadLine => l.type === 'load'),
    result: lines.find((l): l is ResultLine => l.type === 'result'),
  };
}

async function build(root: TestRoot, source: string, ...kernelArgs: string[]): Promise<void> {
  const run = await root.cli('build', source, ...kernelArgs.flatMap((k) => ['-k', k]));
  expect(run.code, run.stderr).toBe(0);
}

beforeAll(async () => {
  for (const flavor of flavors) debs.set(kernelOf(flavor), await fetchLinuxImage(kernelOf(flavor)));
  t = await makeTestRoot({ prefix: 'kmf-verify-' });
  await shareVerifyCache(t.root);
  temp = await makeTempDir('kmf-verify-src-');
  await build(t, fixtureDir('kmf-simple'), ...flavors.map(kernelOf));
  await build(t, fixtureDir('kmf-enodev'), amd64);
  await build(t, fixtureDir('kmf-oops'), amd64);
  await build(t, (await fetchDebianDkmsPackage('v4l2loopback-dkms')).sourceDir, amd64);
});
afterAll(async () => {
  await t.cleanup();
  await execFile('rm', ['-rf', temp]);
});

describe('kmodforge verify', () => {
  it.each(flavors)('loads a module built for %s in that kernel', async (flavor) => {
    const run = await verify(t, 'kmf-simple/1.0', kernelOf(flavor));
    expect(run.code, run.stderr).toBe(0);
    expect(run.loads.map((l) => [l.name, l.status])).toEqual([['kmf_simple', 'loaded']]);
  });

  it('fails the module built for rt-amd64 in the amd64 kernel, with the symbol version', async () => {
    const ctx = await createContext({ root: t.root });
    const rt = kernelOf('rt-amd64');
    const result = await verifyModule(ctx, {
      module: 'kmf-simple',
      version: '1.0',
      kernel: amd64,
      arch,
      moduleDir: tree.builtModules(ctx.paths, { module: 'kmf-simple', version: '1.0', kernel: rt, arch }),
      kernelPackage: debs.get(amd64),
    });
    expect(result.ok).toBe(false);
    expect(result.modules).toMatchObject([
      { name: 'kmf_simple', status: 'failed', reason: 'disagrees about version of symbol module_layout' },
    ]);
  });

  it('fails a module whose init returns -ENODEV, with that reason', async () => {
    const run = await verify(t, 'kmf-enodev/1.0', amd64);
    expect(run.code).toBe(exitCodes.LOAD_FAILED);
    expect(run.loads).toMatchObject([
      { name: 'kmf_enodev', status: 'failed', reason: 'init returning -ENODEV' },
    ]);
  });

  it('reports a module that oopses in init as an oops', async () => {
    const run = await verify(t, 'kmf-oops/1.0', amd64);
    expect(run.code).toBe(exitCodes.LOAD_FAILED);
    expect(run.loads).toHaveLength(1);
    expect(run.loads[0]?.reason).toMatch(/^oops: BUG: kernel NULL pointer dereference/);
  });

  it("loads v4l2loopback from Debian's package after the kernel's mc and videodev", async () => {
    const run = await verify(t, 'v4l2loopback/0.12.7', amd64);
    expect(run.code, run.stdout).toBe(0);
    expect(run.loads.map((l) => [l.name, l.origin, l.status])).toEqual([
      ['mc', 'dependency', 'loaded'],
      ['videodev', 'dependency', 'loaded'],
      ['v4l2loopback', 'built', 'loaded'],
    ]);
  });

  it('prints one line per module as text', async () => {
    const run = await t.cli(
      'verify',
      'kmf-enodev/1.0',
      '-k',
      amd64,
      '--kernel-package',
      debs.get(amd64) ?? '',
    );
    expect(run.code).toBe(exitCodes.LOAD_FAILED);
    expect(run.stdout).toMatch(
      new RegExp(
        `^kmf-enodev/1.0, ${amd64}, ${arch}: FAILED \\(\\d+\\.\\d s, pvh\\)\n  failed  kmf_enodev  init returning -ENODEV\n$`,
      ),
    );
  });

  describe('--sig-enforce', () => {
    let other: TestRoot;
    beforeAll(async () => {
      other = await makeTestRoot({ prefix: 'kmf-verify-unsigned-', kernels: [amd64] });
      await shareVerifyCache(other.root);
      // No sign-file: the build warns and leaves its module unsigned.
      await mkdir(path.join(other.root, 'etc', 'dkms'), { recursive: true });
      await writeFile(
        path.join(other.root, 'etc', 'dkms', 'framework.conf'),
        'sign_file="/nonexistent/sign-file"\n',
      );
      await build(other, fixtureDir('kmf-simple'), amd64);
      // A signing key of this root's own, which signed nothing of the other root's.
      const keys = await makeSigningKeyPair(temp);
      await copyFile(keys.key, other.signingKey);
      await copyFile(keys.certificate, other.signingCertificate);
    });
    afterAll(async () => {
      await other.cleanup();
    });

    it('rejects an unsigned module', async () => {
      const run = await verify(other, 'kmf-simple/1.0', amd64, '--sig-enforce');
      expect(run.code).toBe(exitCodes.LOAD_FAILED);
      expect(run.result?.boot).toBe('uefi');
      expect(run.loads).toMatchObject([
        { status: 'failed', reason: 'Loading of unsigned module is rejected' },
      ]);
    });

    it("accepts a module signed with the certificate the guest trusts, and the kernel's own", async () => {
      const run = await verify(t, 'v4l2loopback/0.12.7', amd64, '--sig-enforce');
      expect(run.code, run.stdout).toBe(0);
      expect(run.result).toMatchObject({ boot: 'uefi', trusted: t.signingCertificate });
      // No E taint: the kernel checked the signature.
      expect(run.loads.map((l) => [l.name, l.status, l.taint])).toEqual([
        ['mc', 'loaded', ''],
        ['videodev', 'loaded', ''],
        ['v4l2loopback', 'loaded', 'O'],
      ]);
    });

    it('rejects a module signed with a key the guest does not trust', async () => {
      const ctx = await createContext({ root: other.root });
      const result = await verifyModule(ctx, {
        module: 'kmf-simple',
        version: '1.0',
        kernel: amd64,
        arch,
        moduleDir: path.dirname(t.builtKo('kmf-simple', '1.0', amd64, 'kmf_simple')),
        kernelPackage: debs.get(amd64),
        sigEnforce: true,
      });
      expect(result.trusted).toBe(other.signingCertificate);
      expect(result.modules).toMatchObject([
        { status: 'failed', reason: 'Loading of module with unavailable key is rejected' },
      ]);
    });
  });

  it('reports a module that hangs the guest within the time limit, and leaves no QEMU behind', async () => {
    // Interrupts off and an endless loop: the one CPU never comes back, only the host's time limit ends it.
    const source = await copyFixture('kmf-simple', path.join(temp, 'kmf-hang'), {
      'dkms.conf': (text) => text.replace('PACKAGE_NAME="kmf-simple"', 'PACKAGE_NAME="kmf-hang"'),
      'kmf_simple.c': (text) =>
        text.replace(
          'pr_info("kmf_simple: loaded\\n");',
          'local_irq_disable();\n\tfor (;;)\n\t\tcpu_relax();',
        ),
    });
    await build(t, source, amd64);
    const started = performance.now();
    const run = await verify(t, 'kmf-hang/1.0', amd64, '--timeout', '6');
    expect(performance.now() - started).toBeLessThan(15_000);
    expect(run.code).toBe(exitCodes.LOAD_FAILED);
    expect(run.loads).toMatchObject([
      {
        name: 'kmf_simple',
        status: 'failed',
        reason: 'crashed or hung the guest (the guest did not finish within 6 s)',
      },
    ]);
    const { stdout } = await execFile('ps', ['-eo', 'args']);
    expect(stdout.split('\n').filter((l) => l.includes(t.root))).toEqual([]);
  });
});
