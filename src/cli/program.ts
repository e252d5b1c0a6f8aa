import { Command, CommanderError } from 'commander';
import { KmodError, exitCodes, internalErrorExitCode } from '../errors.ts';
import { addGlobalOptions } from './global-options.ts';
import type { Io } from './io.ts';
import { version, versionFlags } from './version.ts';
import { asKmodError, renderError } from './render.ts';
import type { Dispatch } from './command.ts';
import { commandTable, type CommandEntry } from './command-table.ts';
import { parseCommandRequest } from './command-request.ts';

/**
 * The program with the commands that `argv` needs, imported on demand: none for --version, the one it
 * names, else all of them (for --help, the help command and errors such as an unknown command, which list
 * or suggest every command). Without `argv`, all of them.
 */
export async function buildProgram(io: Io, dispatch: Dispatch, argv?: readonly string[]): Promise<Command> {
  const program = new Command('kmodforge')
    .description(
      'Build, install and package out-of-tree kernel modules for every kernel and flavor, from dkms.conf',
    )
    .version(version, versionFlags)
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .configureHelp({ showGlobalOptions: true })
    .showSuggestionAfterError();
  addGlobalOptions(program);
  const registers = await Promise.all(entriesFor(program, argv).map((entry) => entry.load()));
  for (const register of registers) register(program, io, dispatch);
  return program;
}

function entriesFor(program: Command, argv: readonly string[] | undefined): readonly CommandEntry[] {
  if (argv === undefined) return commandTable;
  const request = parseCommandRequest(program.options, versionFlags, argv);
  switch (request.kind) {
    case 'version':
      return [];
    case 'command': {
      const entry = commandTable.find((e) => e.names.includes(request.name));
      return entry === undefined ? commandTable : [entry];
    }
    case 'other':
      return commandTable;
  }
}

/** Runs the CLI with commander and returns the exit code; never throws. */
export async function runProgram(argv: readonly string[], io: Io): Promise<number> {
  const json = argv.includes('--json');
  const dispatch: Dispatch = { result: undefined };
  try {
    await (await buildProgram(io, dispatch, argv)).parseAsync([...argv], { from: 'user' });
    return dispatch.result === undefined ? 0 : await dispatch.result;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with code 0; a usage error is dkms's "bad option".
      return error.exitCode === 0 ? 0 : exitCodes.USAGE;
    }
    const kmodError = asKmodError(error);
    if (kmodError !== undefined) return renderError(io, json, kmodError);
    const bug = new KmodError(
      'COMMAND_FAILED',
      `internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      {
        hint: 'this is a bug in kmodforge; please report it with the command line you ran',
        exitCode: internalErrorExitCode,
      },
    );
    return renderError(io, json, bug);
  }
}
