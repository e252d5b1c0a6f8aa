/** `kmodforge conf`: what a build of each kernel will see, and a warning for a kernel without headers. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonLines } from '../../support/cli.ts';
import { arch, fixtureDir, kernelOfFlavor, makeTestRoot, type TestRoot } from '../../support/test-root.ts';

describe('conf', () => {
  let t: TestRoot;
  let kernel: string;
  beforeAll(async () => {
    t = await makeTestRoot({ prefix: 'kmf-conf-' });
    kernel = kernelOfFlavor(t.kernels, 'amd64');
  });
  afterAll(async () => {
    await t.cleanup();
  });

  // Issue 9: conf showed $dkms_tree/M/V/build, not the directory the build runs in.
  it('shows the directory the build really runs in, and make as it runs there', async () => {
    const buildDir = `${t.dkmsTree}/kmf-simple/1.0/.kmodforge-build/${kernel}-${arch}/tree/kmf-simple/1.0/build`;
    const { code, stdout, stderr } = await t.cli('conf', fixtureDir('kmf-simple'), '-k', kernel);
    expect([code, stderr]).toEqual([0, '']);
    expect(stdout).toContain(`  build directory: ${buildDir}\n`);
    expect(stdout).toContain(`M=${buildDir} (default)`);
    const [json] = jsonLines((await t.cli('conf', fixtureDir('kmf-simple'), '-k', kernel, '--json')).stdout);
    expect(json).toMatchObject({ buildDir, packageName: 'kmf-simple' });
  });

  // Issue 9: a kernel without headers was resolved silently.
  it('warns about a kernel without headers', async () => {
    const { code, stderr } = await t.cli('conf', fixtureDir('kmf-simple'), '-k', '6.1.0-999-amd64');
    expect(code).toBe(0);
    expect(stderr).toContain('no headers for 6.1.0-999-amd64');
  });
});
