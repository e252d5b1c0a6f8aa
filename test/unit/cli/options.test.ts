import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import {
  addCommandOptions,
  addGlobalOptions,
  readGlobalOptions,
  refuseAllOption,
  type GlobalOptions,
} from '../../../src/cli/global-options.ts';

import { declaredOptions } from '../../support/plan-facts.ts';

/** Parses argv with a program whose one command, `act`, takes `names`; returns what the action would read. */
function parse(argv: readonly string[]): GlobalOptions {
  let read: GlobalOptions | undefined;
  const program = addGlobalOptions(new Command('kmodforge').exitOverride());
  const act = program.command('act').argument('[module]').exitOverride();
  addCommandOptions(act, [
    'module',
    'moduleVersion',
    'kernel',
    'arch',
    'jobs',
    'directive',
    'noDepmod',
    'noCache',
    'force',
  ]);
  refuseAllOption(act);
  act.action(() => {
    read = readGlobalOptions(act.optsWithGlobals());
  });
  program.parse([...argv], { from: 'user' });
  if (read === undefined) throw new Error('the action did not run');
  return read;
}

describe('the option table', () => {
  it('reads options anywhere on the line, repeatable ones in order, with defaults for the rest', () => {
    const o = parse([
      '--root',
      '/r',
      'act',
      '-k',
      'K1',
      'm/1',
      '-k',
      'K2/i686',
      '-a',
      'x86_64',
      '-j',
      '3',
      '--json',
    ]);
    expect(o).toMatchObject({
      root: '/r',
      kernels: ['K1', 'K2/i686'],
      arches: ['x86_64'],
      jobs: 3,
      json: true,
      force: false,
      noDepmod: false,
      directives: [],
      destDir: undefined,
    });
  });

  it('splits -m module/version and lets -v fill in', () => {
    expect(parse(['act', '-m', 'foo/1.0'])).toMatchObject({ module: 'foo', moduleVersion: '1.0' });
    expect(parse(['act', '-m', 'foo', '-v', '2'])).toMatchObject({ module: 'foo', moduleVersion: '2' });
  });

  it('parses --no-cache', () => {
    expect(parse(['act']).noCache).toBe(false);
    expect(parse(['act', '--no-cache']).noCache).toBe(true);
  });

  it('parses --directive and --no-depmod', () => {
    expect(parse(['act', '--directive', 'MAKE[0]=make x', '--no-depmod'])).toMatchObject({
      directives: [{ name: 'MAKE', index: 0, value: 'make x' }],
      noDepmod: true,
    });
  });

  it('refuses a bad -j and options the command does not take', () => {
    expect(() => parse(['act', '-j', 'many'])).toThrow('-j "many": expected a number of jobs');
    expect(() => parse(['act', '--templatekernel', 'K'])).toThrow("unknown option '--templatekernel'");
  });

  it('takes a refused --all, for the action to refuse with exit 5', () => {
    expect(parse(['act', '--all']).all).toBe(true);
  });
});

describe('each command declares its options', () => {
  const longs = declaredOptions;

  it.each([
    ['build', ['--kernelver', '--all-kernels', '--jobs', '--force', '--directive', '--no-cache']],
    [
      'install',
      ['--kernelver', '--all-kernels', '--jobs', '--force', '--destdir', '--no-depmod', '--no-cache'],
    ],
    ['autoinstall', ['--kernelver', '--no-cache']],
    ['kernel_postinst', ['--kernelver', '--no-cache']],
    ['mkrpm', ['--kernelver', '--no-cache']],
    ['mkdeb', ['--kernelver', '--no-cache']],
    ['remove', ['--kernelver', '--all', '--no-depmod']],
    ['mktarball', ['--kernelver', '--all', '--archive', '--source-only', '--binaries-only']],
    ['match', ['--kernelver', '--templatekernel']],
    ['status', ['--kernelver', '--arch', '--verify']],
    ['install', ['--verify', '--verify-timeout']],
  ])('%s takes %j', (name, expected) => {
    expect(longs(name)).toEqual(expect.arrayContaining(expected));
  });

  it.each([
    ['status', '--force'],
    ['kernels', '--kernelver'],
    ['build', '--sig-enforce'],
    ['add', '--jobs'],
    ['build', '--templatekernel'],
    ['build', '--all'],
  ])('%s does not offer %s', (name, option) => {
    expect(longs(name)).not.toContain(option);
  });
});

describe('the CLI refuses what a command does not take', () => {
  const run = async (...argv: string[]): Promise<{ code: number; out: string; err: string }> => {
    let out = '';
    let err = '';
    const { main } = await import('../../../src/cli/main.ts');
    const code = await main(argv, {
      out: (t) => (out += t),
      err: (t) => (err += t),
      color: false,
    });
    return { code, out, err };
  };

  it.each(['add', 'build', 'install', 'autoinstall'])('%s --all: exit 5, as dkms 3.0.10', async (action) => {
    const { code, err } = await run(action, ...(action === 'autoinstall' ? [] : ['foo/1.0']), '--all');
    expect([code, err]).toEqual([5, `Error! The action ${action} does not support the --all parameter.\n`]);
  });

  it('an option no command of that name takes: exit 2', async () => {
    const { code, err } = await run('status', '--force');
    expect([code, err]).toEqual([2, "error: unknown option '--force'\n"]);
  });

  it('build --help lists its own options with a line of help each, and the global ones', async () => {
    const { code, out } = await run('build', '--help');
    expect(code).toBe(0);
    for (const line of [
      '-k, --kernelver <kernel[/arch]>',
      '--all-kernels',
      '-j, --jobs <n>',
      '--force',
      '--json',
    ])
      expect(out).toContain(line);
    expect(out).not.toContain('--templatekernel');
  });
});
