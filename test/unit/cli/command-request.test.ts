import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { parseCommandRequest, type CommandRequest } from '../../../src/cli/command-request.ts';
import { commandTable } from '../../../src/cli/command-table.ts';
import type { Io } from '../../../src/cli/io.ts';
import { buildProgram } from '../../../src/cli/program.ts';
import { versionFlags } from '../../../src/cli/version.ts';

const silent: Io = { out: () => undefined, err: () => undefined, color: false };
const program = await buildProgram(silent, { result: undefined });
const request = (argv: readonly string[]): CommandRequest =>
  parseCommandRequest(program.options, versionFlags, argv);

/** What commander itself does with argv and every command: print the version, dispatch to a command, or neither. */
async function commanderDispatch(argv: readonly string[]): Promise<CommandRequest> {
  const full = await buildProgram(silent, { result: undefined });
  let name: string | undefined;
  full.hook('preSubcommand', (_, sub) => {
    name = sub.name();
    throw new Error('dispatched');
  });
  try {
    await full.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError && error.code === 'commander.version') return { kind: 'version' };
  }
  return name === undefined ? { kind: 'other' } : { kind: 'command', name };
}

/** A command line, what parseCommandRequest reads in it, and what commander does when that differs (an alias). */
const cases: readonly [string[], CommandRequest, CommandRequest?][] = [
  [['--version'], { kind: 'version' }],
  [['-V'], { kind: 'version' }],
  [['status', '-k', '6.1.0-1-amd64', '--version'], { kind: 'version' }],
  [['-qV'], { kind: 'version' }],
  [['status'], { kind: 'command', name: 'status' }],
  [['--root', '/r', '-q', 'status', 'hello/1.0'], { kind: 'command', name: 'status' }],
  [['--root=/r', '--json', 'status'], { kind: 'command', name: 'status' }],
  [['--root', 'status', 'build'], { kind: 'command', name: 'build' }],
  [['--root', '-V', 'build'], { kind: 'command', name: 'build' }],
  [
    ['kernel-postinst', '-k', '6.1.0-1-amd64'],
    { kind: 'command', name: 'kernel-postinst' },
    { kind: 'command', name: 'kernel_postinst' },
  ],
  [['--', 'kernels'], { kind: 'command', name: 'kernels' }],
  [['-k', '6.1.0-1-amd64', 'status'], { kind: 'other' }],
  [['--help', 'status'], { kind: 'other' }],
  [['status', '--root'], { kind: 'other' }],
  [[], { kind: 'other' }],
];

describe('the command a command line runs', () => {
  it.each(cases)('%j: %j', async (argv, expected, dispatched = expected) => {
    expect(request(argv)).toEqual(expected);
    expect(await commanderDispatch(argv)).toEqual(dispatched);
  });

  it('names the help command, which is in no entry: main loads every command for it', () => {
    expect(request(['help', 'status'])).toEqual({ kind: 'command', name: 'help' });
    expect(commandTable.some((e) => e.names.includes('help'))).toBe(false);
  });
});
