import { describe, expect, it } from 'vitest';
import { installedKernels } from '../../support/debian-dkms.ts';
import { jsonLines, runCli } from '../../support/cli.ts';

describe('kmodforge kernels on this machine', () => {
  it('lists the three installed Debian flavors with headers, compression and signing hash', async () => {
    const { code, stdout } = await runCli('kernels', '--json');
    expect(code).toBe(0);
    const kernels = jsonLines(stdout);
    const releases = installedKernels();
    expect(kernels.map((k) => k['release'])).toEqual(expect.arrayContaining(releases));
    const flavors = kernels.filter((k) => k['headers'] !== null).map((k) => k['flavor']);
    expect(flavors).toEqual(expect.arrayContaining(['amd64', 'rt-amd64', 'cloud-amd64']));
    for (const k of kernels.filter((x) => x['headers'] !== null)) {
      expect(k).toMatchObject({ family: 'debian', arch: 'x86_64', compression: 'none' });
      expect(k['version']).toMatch(/^6\.1\.\d+$/);
      expect(k['signing']).toEqual({ enabled: true, hash: 'sha256' });
    }
    const rt = kernels.find((k) => k['flavor'] === 'rt-amd64');
    expect(rt?.['preemptRt']).toBe(true);
  });

  it('prints a table', async () => {
    const { code, stdout } = await runCli('kernels');
    expect(code).toBe(0);
    expect(stdout.split('\n')[0]).toMatch(
      /^RELEASE\s+VERSION\s+FLAVOR\s+ARCH\s+HEADERS\s+COMPRESSION\s+SIGNING$/,
    );
    for (const release of installedKernels())
      expect(stdout).toMatch(new RegExp(`^${release.replaceAll('.', '\\.')}\\s`, 'm'));
  });

  it('resolves a dkms.conf for every kernel with `conf`', async () => {
    const { code, stdout } = await runCli('conf', 'examples/hello', '--json');
    expect(code).toBe(0);
    const confs = jsonLines(stdout);
    expect(confs.map((c) => c['kernel'])).toEqual(installedKernels());
    expect(confs[0]?.['modules']).toEqual([
      {
        index: 0,
        builtName: 'hello',
        builtLocation: '',
        destName: 'hello',
        destLocation: '/updates/dkms',
        rawDestLocation: '/updates',
        strip: true,
      },
    ]);
  });

  it('reports a bad dkms.conf with its exit code and no stack trace', async () => {
    const { code, stderr } = await runCli('conf', 'test/fixtures/modules/bad-conf');
    expect(code).toBe(8);
    expect(stderr).toContain(
      'bad-conf/dkms.conf:3: DEST_MODULE_LOCATION[0]: "/usr/lib" does not begin with /kernel, /updates or /extra',
    );
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('reports an unknown option as a usage error (exit 2)', async () => {
    const { code, stderr } = await runCli('kernels', '--bogus');
    expect(code).toBe(2);
    expect(stderr).toContain("unknown option '--bogus'");
  });
});
