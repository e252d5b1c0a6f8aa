/** Issue 9: --dry-run on every mutating command prints the plan and writes nothing. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonLines } from '../../support/cli.ts';
import {
  arch,
  fixtureDir,
  kernelOfFlavor,
  makeTestRoot,
  snapshotTree,
  statusLines,
  type TestRoot,
} from '../../support/test-root.ts';

describe('--dry-run', () => {
  let t: TestRoot;
  let kernel: string;
  let other: string;
  /** Every file of the root, byte for byte, but the lock file a read may create. */
  const snapshot = (): Promise<string[]> => snapshotTree(t.root, { ignore: /\.kmodforge\.lock$/ });

  /** Runs a dry run, checks that it wrote nothing, and returns its output. */
  async function dryRun(...args: string[]): Promise<string> {
    const before = await snapshot();
    const { code, stdout, stderr } = await t.cli(...args, '--dry-run');
    expect([args.join(' '), code, stderr]).toEqual([args.join(' '), 0, '']);
    expect(await snapshot()).toEqual(before);
    return stdout;
  }

  beforeAll(async () => {
    t = await makeTestRoot({ prefix: 'kmf-dry-' });
    kernel = kernelOfFlavor(t.kernels, 'amd64');
    other = kernelOfFlavor(t.kernels, 'rt-amd64');
    const { code, stderr } = await t.cli('install', fixtureDir('kmf-simple'), '-k', kernel);
    if (code !== 0) throw new Error(`install failed: ${stderr}`);
  });
  afterAll(async () => {
    await t.cleanup();
  });

  it('add, build and install of a source not added yet list the add, then the builds', async () => {
    const fresh = await makeTestRoot({ prefix: 'kmf-dry-fresh-', kernels: [kernel] });
    try {
      const before = await snapshotTree(fresh.root);
      const install = await fresh.cli('install', fixtureDir('kmf-simple'), '-k', kernel, '--dry-run');
      expect([install.code, install.stderr]).toEqual([0, '']);
      expect(install.stdout).toBe(
        [
          'Dry run of install kmf-simple/1.0: nothing is changed.',
          `  copy ${fixtureDir('kmf-simple')} to ${fresh.sourceTree}/kmf-simple-1.0`,
          `  add kmf-simple/1.0: ${fresh.dkmsTree}/kmf-simple/1.0/source -> ${fresh.sourceTree}/kmf-simple-1.0`,
          `  build kmf-simple/1.0 for ${kernel} (${arch})`,
          `  then install kmf-simple/1.0 for ${kernel} (${arch})`,
          `  run depmod for ${kernel}`,
          '',
        ].join('\n'),
      );
      expect((await fresh.cli('add', fixtureDir('kmf-simple'), '-k', kernel, '--dry-run')).code).toBe(0);
      expect(await snapshotTree(fresh.root)).toEqual(before);
    } finally {
      await fresh.cleanup();
    }
  });

  it('build and install of an added module: the build with its make command, then the install', async () => {
    const build = await dryRun('build', 'kmf-simple/1.0', '-k', other);
    expect(build).toContain(
      `  build kmf-simple/1.0 for ${other} (${arch}) in ${t.dkmsTree}/kmf-simple/1.0/.kmodforge-build/`,
    );
    expect(build).toContain(
      `M=${t.dkmsTree}/kmf-simple/1.0/.kmodforge-build/${other}-${arch}/tree/kmf-simple/1.0/build`,
    );
    expect(await dryRun('build', 'kmf-simple/1.0', '-k', kernel)).toContain(
      `  kmf-simple/1.0 for ${kernel} (${arch}) is already built (--force builds it again)\n`,
    );
    expect(await dryRun('install', 'kmf-simple/1.0', '-k', other)).toContain(
      `  then install kmf-simple/1.0 for ${other} (${arch}): ${t.installedKo(other, 'kmf_simple')}\n`,
    );
    expect(await dryRun('install', 'kmf-simple/1.0', '-k', kernel)).toContain(
      `  kmf-simple/1.0 for ${kernel} (${arch}) is already installed\n`,
    );
    const forced = await dryRun('install', 'kmf-simple/1.0', '-k', kernel, '--force');
    expect(forced).toContain(`  install ${t.installedKo(kernel, 'kmf_simple')} (replacing the file there)\n`);
  });

  it('autoinstall, kernel_postinst, kernel_prerm and match list their installs and removals', async () => {
    const where = `kmf-simple/1.0 for ${other} (${arch})`;
    for (const action of ['autoinstall', 'kernel_postinst']) {
      expect(await dryRun(action, '-k', other)).toBe(
        `Dry run of ${action} -k ${other}: nothing is changed.\n  build and install ${where}\n  run depmod for ${other}\n`,
      );
    }
    expect(await dryRun('autoinstall', '-k', kernel)).toBe(
      `Dry run of autoinstall -k ${kernel}: nothing is changed.\n  nothing to do\n`,
    );
    const prerm = await dryRun('kernel_prerm', '-k', kernel);
    expect(prerm).toContain(`  remove ${t.installedKo(kernel, 'kmf_simple')}\n`);
    expect(prerm).toContain(`  remove ${t.dkmsTree}/kmf-simple/1.0/${kernel}/${arch}\n`);
    expect(prerm).toContain(`  run depmod for ${kernel}\n`);
    const match = await dryRun('match', '--templatekernel', kernel, '-k', other);
    expect(match).toContain(`  build ${where} in `);
    expect(match).toContain(`  then install ${where}: ${t.installedKo(other, 'kmf_simple')}\n`);
  });

  it('uninstall, unbuild and remove list what they would change', async () => {
    const ko = t.installedKo(kernel, 'kmf_simple');
    const link = `${t.dkmsTree}/kmf-simple/kernel-${kernel}-${arch}`;
    const built = `${t.dkmsTree}/kmf-simple/1.0/${kernel}/${arch}`;
    expect(await dryRun('uninstall', 'kmf-simple/1.0', '-k', kernel)).toBe(
      `Dry run of uninstall kmf-simple/1.0: nothing is changed.\n  remove ${ko}\n  remove ${link}\n  run depmod for ${kernel}\n`,
    );
    expect(await dryRun('unbuild', 'kmf-simple/1.0', '-k', kernel)).toContain(`  remove ${built}\n`);
    expect(await dryRun('remove', 'kmf-simple/1.0', '--all')).toContain(
      `  remove ${t.dkmsTree}/kmf-simple\n`,
    );
    expect(await dryRun('uninstall', 'kmf-simple/1.0', '-k', other)).toBe(
      'Dry run of uninstall kmf-simple/1.0: nothing is changed.\n  nothing to do\n',
    );
    const [plan] = jsonLines(await dryRun('uninstall', 'kmf-simple/1.0', '-k', kernel, '--json'));
    expect(plan).toMatchObject({
      type: 'plan',
      depmod: [kernel],
      ops: [
        { op: 'delete', path: ko },
        { op: 'delete', path: link },
      ],
    });
    expect(await statusLines(t, 'kmf-simple')).toEqual([`kmf-simple/1.0, ${kernel}, ${arch}: installed`]);
  });
});
