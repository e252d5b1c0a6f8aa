import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { addCommandOptions, readGlobalOptions, type GlobalOptions } from '../../../src/cli/global-options.ts';
import type { Io } from '../../../src/cli/io.ts';
import { buildProgram } from '../../../src/cli/program.ts';

const silent: Io = { out: () => undefined, err: () => undefined, color: false };
const program = await buildProgram(silent, { result: undefined });

function parse(argv: readonly string[]): GlobalOptions {
  let read: GlobalOptions | undefined;
  const act = new Command('act').exitOverride();
  addCommandOptions(act, ['verifyLoad', 'verifyTimeout']);
  act.action(() => {
    read = readGlobalOptions(act.opts());
  });
  act.parse([...argv], { from: 'user' });
  if (read === undefined) throw new Error('the action did not run');
  return read;
}

function verifyHelp(name: string): string | undefined {
  return program.commands.find((c) => c.name() === name)?.options.find((o) => o.long === '--verify')
    ?.description;
}

describe('build --verify and install --verify', () => {
  it.each(['build', 'install'])('%s takes --verify (a boot under QEMU) and --verify-timeout', (name) => {
    expect(verifyHelp(name)).toMatch(/^first boot each kernel under QEMU/);
    expect(program.commands.find((c) => c.name() === name)?.options.map((o) => o.long)).toContain(
      '--verify-timeout',
    );
  });

  it("says what build keeps, unlike status's --verify", () => {
    expect(verifyHelp('build')).toContain('build keeps such a build in the dkms tree');
    expect(verifyHelp('status')).toMatch(/^also compare built and installed modules/);
  });

  it('reads --verify and a number of seconds', () => {
    expect(parse(['--verify', '--verify-timeout', '30'])).toMatchObject({ verify: true, verifyTimeout: 30 });
    expect(parse([])).toMatchObject({ verify: false, verifyTimeout: undefined });
    expect(() => parse(['--verify-timeout', 'soon'])).toThrow(
      '--verify-timeout "soon": expected a number of seconds',
    );
  });
});
