import { describe, expect, it } from 'vitest';
import { expandKernelVariables, parseFrameworkConf } from '../../../src/config/framework-conf.ts';
import { planSigning, planSigningSettings } from '../../../src/sign/sign-settings.ts';
import { parseKernelConfig, planConfigFacts } from '../../../src/kernel/kconfig.ts';
import { planCompressCommand } from '../../../src/build/postprocess.ts';

describe('framework.conf as data', () => {
  it('reads the supported assignments with bash quoting and ignores everything else', () => {
    const text = [
      '# dkms framework',
      'dkms_tree="/srv/dkms"',
      "source_tree='/srv/src' # comment",
      'parallel_jobs=4',
      'compress_xz_opts="--check=crc32 -6"',
      'mok_signing_key=/etc/keys/${kernelver}.key',
      'export sign_file="/usr/bin/sign \\"it\\""',
      'rm -rf / # never run',
      'some_other_var=1',
      'do_status() { echo hijacked; }',
    ].join('\n');
    expect(parseFrameworkConf(text, 'f')).toEqual({
      dkms_tree: '/srv/dkms',
      source_tree: '/srv/src',
      parallel_jobs: '4',
      compress_xz_opts: '--check=crc32 -6',
      mok_signing_key: '/etc/keys/${kernelver}.key',
      sign_file: '/usr/bin/sign "it"',
    });
  });

  it('rejects an unterminated quote with file and line', () => {
    expect(() => parseFrameworkConf('dkms_tree="/x\n', '/etc/dkms/framework.conf')).toThrow(
      '/etc/dkms/framework.conf:1: unterminated " quote',
    );
    expect(() => parseFrameworkConf("# x\nsign_file='/x\n", 'f')).toThrow("f:2: unterminated ' quote");
    // Only the settings kmodforge reads matter, as dkms's safe_source keeps only those.
    expect(parseFrameworkConf('other="/x\nverbose=1\n', 'f')).toEqual({ verbose: '1' });
  });

  it('expands ${kernelver} and $arch', () => {
    expect(expandKernelVariables('/k/${kernelver}/$arch/$kernelver.key', '6.1.0-56-amd64', 'x86_64')).toBe(
      '/k/6.1.0-56-amd64/x86_64/6.1.0-56-amd64.key',
    );
  });
});

describe('planSigning', () => {
  const facts = (text: string): ReturnType<typeof planConfigFacts> =>
    planConfigFacts('c', parseKernelConfig(text));
  const settings = planSigningSettings({
    root: '/',
    framework: { files: [], values: {} },
    config: {},
    requireFromCli: false,
  });

  it('signs with the kernel hash, looking for Debian sign-file first', () => {
    const plan = planSigning(
      settings,
      {
        release: '6.1.0-56-amd64',
        config: facts('CONFIG_MODULE_SIG=y\nCONFIG_MODULE_SIG_HASH="sha512"\n'),
        headersDir: '/h',
      },
      'x86_64',
      '/',
    );
    expect(plan).toEqual({
      kind: 'sign',
      hash: 'sha512',
      key: '/var/lib/dkms/mok.key',
      certificate: '/var/lib/dkms/mok.pub',
      signFileCandidates: ['/usr/lib/linux-kbuild-6.1/scripts/sign-file', '/h/scripts/sign-file'],
      require: false,
    });
  });

  it('skips kernels that do not check signatures', () => {
    expect(
      planSigning(
        settings,
        { release: 'k', config: facts('CONFIG_MODULE_SIG_HASH="sha256"\n'), headersDir: '/h' },
        'x86_64',
        '/',
      ).kind,
    ).toBe('skip');
    expect(
      planSigning(settings, { release: 'k', config: undefined, headersDir: '/h' }, 'x86_64', '/').kind,
    ).toBe('skip');
  });

  it('passes pkcs11: URIs through and roots configured paths', () => {
    const s = planSigningSettings({
      root: '/r',
      framework: {
        files: [],
        values: { mok_signing_key: 'pkcs11:token=x', mok_certificate: '/c/${kernelver}.der' },
      },
      config: {},
      requireFromCli: true,
    });
    expect(s).toMatchObject({ key: 'pkcs11:token=x', certificate: '/r/c/${kernelver}.der', require: true });
  });
});

describe('planCompressCommand', () => {
  it('compresses as the kernel does', () => {
    const options = { gzip: '-n', xz: '--check=crc32 --lzma2=dict=1MiB', zstd: '-q -T0' };
    expect(planCompressCommand('xz', 'm.ko', options)).toEqual([
      'xz',
      '--check=crc32',
      '--lzma2=dict=1MiB',
      '-f',
      'm.ko',
    ]);
    expect(planCompressCommand('zstd', 'm.ko', options)).toEqual(['zstd', '-q', '-T0', '--rm', '-f', 'm.ko']);
    expect(planCompressCommand('gzip', 'm.ko', options)).toEqual(['gzip', '-n', '-f', 'm.ko']);
    expect(planCompressCommand('none', 'm.ko', options)).toBeUndefined();
  });
});
