import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modinfoField, splitSignedModule, verifyModuleSignature } from '../../support/module-signature.ts';
import { makeTestRoot, type TestRoot } from '../../support/test-root.ts';

let t: TestRoot;
const simple = path.resolve('test/fixtures/modules/kmf-simple');

beforeAll(async () => {
  t = await makeTestRoot({ prefix: 'kmf-sign-' });
});
afterAll(async () => {
  await t.cleanup();
});

async function readHash(kernel: string): Promise<string> {
  const config = await readFile(`/lib/modules/${kernel}/build/.config`, 'utf8');
  return /^CONFIG_MODULE_SIG_HASH="(.*)"$/m.exec(config)?.[1] ?? '';
}

describe('module signing as each kernel expects', () => {
  it('signs for every installed flavor with the kernel hash and a generated MOK that verifies', async () => {
    const run = await t.cli('install', simple, '--all-kernels');
    expect(run.code, run.stderr).toBe(0);
    // Issue 9: once per command, not once per kernel.
    expect(run.stdout.split('Generated the module signing key')).toHaveLength(2);
    const key = path.join(t.root, 'var/lib/dkms/mok.key');
    const cert = path.join(t.root, 'var/lib/dkms/mok.pub');
    expect(existsSync(key) && existsSync(cert)).toBe(true);
    for (const kernel of t.kernels) {
      const installed = t.installedKo(kernel, 'kmf_simple');
      expect(await modinfoField(installed, 'signer')).toBe('kmodforge module signing key');
      expect(await modinfoField(installed, 'sig_hashalgo')).toBe(await readHash(kernel));
      await verifyModuleSignature(installed, cert);
    }
  });

  it('generate-mok reuses the pair and prints the enroll command', async () => {
    const run = await t.cli('generate-mok');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Using the existing signing key');
    expect(run.stdout).toContain(`mokutil --import ${path.join(t.root, 'var/lib/dkms/mok.pub')}`);
  });
});

describe('signing settings', () => {
  const kernel = (): string => t.kernels.find((k) => /-\d+-amd64$/.test(k)) ?? t.kernels[0] ?? '';
  const frameworkConf = (text: string): Promise<void> =>
    writeFile(path.join(t.root, 'etc/dkms/framework.conf'), text);

  beforeAll(async () => {
    await mkdir(path.join(t.root, 'etc/dkms'), { recursive: true });
  });
  afterAll(async () => {
    await frameworkConf('');
  });

  it('expands ${kernelver} in key paths from framework.conf, per kernel', async () => {
    await frameworkConf(
      'mok_signing_key="/etc/keys/${kernelver}.key"\nmok_certificate=/etc/keys/${kernelver}.der\necho not executed >/tmp/kmf-should-not-exist\n',
    );
    const run = await t.cli('build', simple, '-k', kernel(), '--force');
    expect(run.code, run.stderr).toBe(0);
    const key = path.join(t.root, `etc/keys/${kernel()}.key`);
    expect(existsSync(key)).toBe(true);
    await verifyModuleSignature(
      t.builtKo('kmf-simple', '1.0', kernel(), 'kmf_simple'),
      path.join(t.root, `etc/keys/${kernel()}.der`),
    );
    expect(existsSync('/tmp/kmf-should-not-exist')).toBe(false);
  });

  it('warns about a missing sign-file and leaves the module unsigned; --require-signature makes it an error', async () => {
    await frameworkConf('sign_file=/nonexistent/sign-file\n');
    const run = await t.cli('build', simple, '-k', kernel(), '--force');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(
      `modules left unsigned: no sign-file program at ${t.root}/nonexistent/sign-file`,
    );
    expect(
      splitSignedModule(await readFile(t.builtKo('kmf-simple', '1.0', kernel(), 'kmf_simple'))),
    ).toBeUndefined();
    const required = await t.cli('build', simple, '-k', kernel(), '--force', '--require-signature');
    expect(required.code).toBe(10);
    expect(required.stderr).toContain(
      `modules must be signed, but no sign-file program at ${t.root}/nonexistent/sign-file`,
    );
  });

  it('warns with the command and its status when the signer fails; required, the build fails and changes nothing', async () => {
    await mkdir(path.join(t.root, 'bin'), { recursive: true });
    await writeFile(path.join(t.root, 'bin/false'), '#!/bin/sh\nexit 1\n', { mode: 0o755 });
    await frameworkConf('sign_file=/bin/false\n');
    const run = await t.cli('build', simple, '-k', kernel(), '--force');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(
      /kmf_simple\.ko left unsigned: \S+\/bin\/false sha256 \S+mok\.key \S+mok\.pub \S+kmf_simple\.ko failed \(exit code 1\)/,
    );
    const unsigned = await readFile(t.builtKo('kmf-simple', '1.0', kernel(), 'kmf_simple'));
    expect(splitSignedModule(unsigned)).toBeUndefined();
    const required = await t.cli('build', simple, '-k', kernel(), '--force', '--require-signature');
    expect(required.code).toBe(10);
    expect(required.stderr).toContain(`signing kmf_simple.ko failed: ${t.root}/bin/false sha256`);
    expect(await readFile(t.builtKo('kmf-simple', '1.0', kernel(), 'kmf_simple'))).toEqual(unsigned);
  });

  it('reads [signing] from /etc/kmodforge/config before framework.conf', async () => {
    await frameworkConf('sign_file=/bin/false\n');
    await mkdir(path.join(t.root, 'etc/kmodforge'), { recursive: true });
    await writeFile(
      path.join(t.root, 'etc/kmodforge/config'),
      '[signing]\nsign_file = /nonexistent/kmf-signer\nrequire = yes\n',
    );
    const run = await t.cli('build', simple, '-k', kernel(), '--force');
    expect(run.code).toBe(10);
    expect(run.stderr).toContain(`no sign-file program at ${t.root}/nonexistent/kmf-signer`);
    await writeFile(path.join(t.root, 'etc/kmodforge/config'), '');
  });
});
