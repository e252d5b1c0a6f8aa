import { describe, expect, it } from 'vitest';
import { parseKmodforgeConfig } from '../../../src/config/kmodforge-config.ts';
import { parseKernelRelease } from '../../../src/kernel/release.ts';

const file = '/etc/kmodforge/config';

describe('parseKmodforgeConfig', () => {
  it('turns [flavor NAME] sections into flavor rules the release parser uses', () => {
    const config = parseKmodforgeConfig(
      [
        '# custom boards',
        '[flavor host108]',
        '',
        '[flavor vendor]',
        'release = 5.10.0-acme7',
        'pattern = ^4\\.19\\.\\d+-ti-r\\d+$',
        '[build]',
        'jobs = 3',
      ].join('\n'),
      file,
    );
    expect(config.jobs).toBe(3);
    expect(config.flavorRules).toEqual([
      { kind: 'suffix', suffix: 'host108' },
      { kind: 'exact', release: '5.10.0-acme7', flavor: 'vendor' },
      { kind: 'pattern', pattern: /^4\.19\.\d+-ti-r\d+$/, flavor: 'vendor' },
    ]);
    expect(parseKernelRelease('2.4.18-14host108', config.flavorRules).flavor).toBe('host108');
    expect(parseKernelRelease('5.10.0-acme7', config.flavorRules).flavor).toBe('vendor');
    expect(parseKernelRelease('4.19.94-ti-r42', config.flavorRules).flavor).toBe('vendor');
  });

  it('reads [build] cache_size as bytes, in powers of 1024; 0 turns the cache off', () => {
    const size = (value: string): number | undefined =>
      parseKmodforgeConfig(`[build]\ncache_size = ${value}\n`, file).cacheSize;
    expect(parseKmodforgeConfig('', file).cacheSize).toBeUndefined();
    expect(size('0')).toBe(0);
    expect(size('4096')).toBe(4096);
    expect(size('512M')).toBe(512 * 2 ** 20);
    expect(size('2G')).toBe(2 * 2 ** 30);
    expect(size('1 GiB')).toBe(2 ** 30);
    expect(size('3kb')).toBe(3 * 1024);
    expect(size('1T')).toBe(2 ** 40);
    for (const bad of ['', 'lots', '-1', '1P', '1e9', '99999999999999999999'])
      expect(() => size(bad)).toThrow('is not a size');
  });

  it.each([
    ['junk line', 'what is this', `${file}:1: expected "[section]" or "key = value", got "what is this"`],
    [
      'unknown section',
      '[colors]\n',
      `${file}:1: unknown section [colors]; expected [flavor NAME], [build], [signing] or [package]`,
    ],
    ['unknown flavor key', '[flavor x]\nsuffix = y\n', `${file}:2: suffix: unknown key`],
    ['bad regex', '[flavor x]\npattern = (\n', `${file}:2: pattern: "(" is not a valid regular expression`],
    ['bad release', '[flavor x]\nrelease = a b\n', `${file}:2: release: "a b" is not a kernel release`],
    ['bad jobs', '[build]\njobs = many\n', `${file}:2: jobs: "many" is not a positive number`],
    [
      'bad cache_size',
      '[build]\ncache_size = 1.5G\n',
      `${file}:2: cache_size: "1.5G" is not a size; expected bytes or a whole number with K, M, G or T (e.g. 512M, 2G), or 0 to turn the build cache off`,
    ],
  ])('rejects a %s, naming file and line', (_, text, message) => {
    expect(() => parseKmodforgeConfig(text, file)).toThrow(message);
  });
});
