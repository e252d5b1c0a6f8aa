import { describe, expect, it } from 'vitest';
import {
  findDkmsOption,
  parseDkmsArgv,
  parseReadBuiltin,
  type ArgumentKind,
  type DkmsArgs,
  type DkmsParse,
} from '../../../../src/cli/dkms/parse-dkms-argv.ts';

/** What the rows' bare arguments name on disk, as dkms tests them with -f and -d. */
const disk: Readonly<Record<string, ArgumentKind>> = {
  '/src/m-1/dkms.conf': 'dkms.conf',
  'my-dkms.conf': 'dkms.conf',
  '/src/m-1': 'source-dir',
  '/tmp/m.tar.gz': 'file',
};
const parse = (...argv: string[]): DkmsParse => parseDkmsArgv(argv, (arg) => disk[arg] ?? 'other');
const request = (...argv: string[]): DkmsArgs => {
  const parsed = parse(...argv);
  if (parsed.kind !== 'request') throw new Error(`not a request: ${JSON.stringify(parsed)}`);
  return parsed.args;
};

describe('parseDkmsArgv: where things go', () => {
  const rows: [string, string[], Partial<DkmsArgs>][] = [
    [
      'options before the action',
      ['-k', 'k1', 'build', 'm/1'],
      { action: 'build', kernels: ['k1'], module: 'm' },
    ],
    ['options after the arguments', ['build', 'm/1', '--force', '-j', '4'], { force: true, jobs: '4' }],
    [
      '= values',
      ['--module=m', '-v', '2', '--arch=x', '--kernelver=k'],
      { module: 'm', moduleVersion: '2', kernels: ['k'], arches: ['x'] },
    ],
    ['--kernelver=K/A splits at the first slash', ['--kernelver=k/a/b'], { kernels: ['k'], arches: ['a/b'] }],
    [
      '-k K without an arch adds no arch',
      ['-k', 'k1', '-k', 'k2/x'],
      { kernels: ['k1', 'k2'], arches: ['x'] },
    ],
    ['-m M/V', ['-m', 'm/1.0'], { module: 'm', moduleVersion: '1.0' }],
    ['-m M keeps a -v given before', ['-v', '3', '-m', 'm'], { module: 'm', moduleVersion: '3' }],
    ['-v after M/V wins', ['m/1', '-v', '2'], { module: 'm', moduleVersion: '2' }],
    ['a bare M/V', ['status', 'm/1.0'], { module: 'm', moduleVersion: '1.0' }],
    ['a bare M/V with slashes in the version', ['m/1/2'], { module: 'm', moduleVersion: '1/2' }],
    [
      'a dkms.conf path names its directory',
      ['add', '/src/m-1/dkms.conf'],
      { sourceDir: '/src/m-1/./', module: undefined },
    ],
    ['any file ending in dkms.conf', ['my-dkms.conf'], { sourceDir: 'my-./' }],
    ['a source directory', ['add', '/src/m-1'], { sourceDir: '/src/m-1' }],
    ['any other file is an archive', ['ldtarball', '/tmp/m.tar.gz'], { archive: '/tmp/m.tar.gz' }],
    [
      'a missing archive is a module/version',
      ['ldtarball', '/nope.tar.gz'],
      { module: '', moduleVersion: 'nope.tar.gz' },
    ],
    ['an empty module takes the next bare argument', ['', 'm/1'], { module: 'm', moduleVersion: '1' }],
    ['directives repeat', ['--directive', 'A=1', '--directive=B=2'], { directives: ['A=1', 'B=2'] }],
    ['a value missing at the end is empty', ['-k'], { kernels: [''] }],
    ['--archive* before --arch*', ['--archive=/a.tgz', '--arch', 'x'], { archive: '/a.tgz', arches: ['x'] }],
    [
      'tree options',
      ['--dkmstree', '/d', '--sourcetree=/s', '--installtree', '/i'],
      { dkmsTree: '/d', sourceTree: '/s', installTree: '/i' },
    ],
  ];
  it.each(rows)('%s', (_, argv, expected) => {
    expect(request(...argv)).toMatchObject(expected);
  });
});

describe('parseDkmsArgv: how reading ends', () => {
  it('--version ends the parse wherever it is, after what came before', () => {
    expect(parse('status', '--version', '--foo').kind).toBe('version');
    expect(parse('-V').kind).toBe('version');
    expect(parse('--foo', '--version')).toMatchObject({ kind: 'unknown-option', option: '--foo' });
    expect(parse('add', 'build', '--version')).toMatchObject({
      kind: 'error',
      exitCode: 4,
      message: ['Cannot specify more than one action.'],
    });
  });

  it('an unknown option ends the parse', () => {
    expect(parse('status', '-x', '--bar')).toMatchObject({ kind: 'unknown-option', option: '-x' });
    expect(parse('--modulex=m').kind).toBe('request');
  });

  it("dkms 3.1's actions are actions", () => {
    expect(request('generate_mok').action).toBe('generate_mok');
    expect(request('kernel_prerm', '-k', 'k').action).toBe('kernel_prerm');
  });

  const conflicts: [string, string[], number, string][] = [
    [
      'both --*-only',
      ['--binaries-only', '--source-only'],
      8,
      ' You have specified both --binaries-only and --source-only.',
    ],
    [
      'more arches than kernels',
      ['-k', 'a', '-a', 'x', '-a', 'y'],
      1,
      ' If more than one arch is specified on the command line, then there',
    ],
    ['a kernel and --all', ['-k', 'a', '--all'], 2, ' You cannot specify a kernel version and also specify'],
    ['an arch and --all', ['-a', 'x', '--all'], 3, ' You cannot specify an arch and also specify'],
  ];
  it.each(conflicts)('%s', (_, argv, exitCode, first) => {
    const parsed = parse(...argv);
    expect(parsed).toMatchObject({ kind: 'error', exitCode });
    if (parsed.kind === 'error') expect(parsed.message[0]).toBe(first);
  });

  it('one arch for many kernels, and an empty first kernel with --all, pass', () => {
    expect(parse('-k', 'a', '-k', 'b', '-a', 'x').kind).toBe('request');
    expect(parse('-k', '', '--all').kind).toBe('request');
  });
});

describe('parseDkmsArgv: what it prints on the way', () => {
  it('warns about bare arguments it cannot place, and deprecated options', () => {
    expect(parse('m/1', 'n/2', '--no-initrd').warnings).toEqual([
      'Warning: I do not know how to handle n/2.\n',
      'Deprecated feature: --no-initrd\n',
    ]);
  });

  it('-q silences what comes after it, not what came before', () => {
    const parsed = parse('--no-clean-kernel', '-q', '--no-prepare-kernel', 'm/1', 'x');
    expect(parsed.args.quiet).toBe(true);
    expect(parsed.warnings).toEqual(['Deprecated feature: --no-clean-kernel\n']);
  });
});

describe('parseReadBuiltin: bash read of an option value', () => {
  // Each expected value is what `read v <<< "$text"` stores in bash 5.
  const rows: [string, string][] = [
    ['a b', 'a b'],
    ['  a b  ', 'a b'],
    ['\ta\t', 'a'],
    ['a\\ ', 'a '],
    ['\\ a', ' a'],
    ['a\\\\b', 'a\\b'],
    ['a\\b', 'ab'],
    ['a\\tb', 'atb'],
    ['a\nb', 'a'],
    ['a\\\nb', 'ab'],
    ['a\\', 'a'],
    ['\n a', ''],
    ['', ''],
  ];
  it.each(rows)('%j', (text, value) => {
    expect(parseReadBuiltin(text)).toBe(value);
  });

  it('applies to values after = and in the next argument', () => {
    expect(request('-m', ' m\\ ', '--kernelver= k\nignored')).toMatchObject({ module: 'm ', kernels: ['k'] });
  });
});

describe('findDkmsOption', () => {
  it("matches dkms's case patterns in dkms's order", () => {
    expect(findDkmsOption('--archive=x')?.field).toBe('archive');
    expect(findDkmsOption('--architecture')?.field).toBe('arch');
    expect(findDkmsOption('--modulefoo')?.field).toBe('module');
    expect(findDkmsOption('-mx')).toBeUndefined();
    expect(findDkmsOption('--quietly')).toBeUndefined();
  });
});
