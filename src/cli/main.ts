import { Command, CommanderError } from 'commander';
import { KmodError, exitCodes, internalErrorExitCode } from '../errors.ts';
import { addGlobalOptions } from './global-options.ts';
import { processIo, type Io } from './io.ts';
export { exitOnSignals } from './io.ts';
import { asKmodError, renderError } from './render.ts';
import type { Dispatch } from './command.ts';
import { registerConf } from './commands/conf.ts';
import { registerKernels } from './commands/kernels.ts';
import { registerAdd } from './commands/add.ts';
import { registerBuild } from './commands/build.ts';
import { registerStatus } from './commands/status.ts';
import { registerInstall } from './commands/install.ts';
import { registerRemove } from './commands/remove.ts';
import { registerAutoinstall } from './commands/autoinstall.ts';
import { registerGenerateMok } from './commands/generate-mok.ts';
import { registerMksrpm } from './commands/mksrpm.ts';
import { registerMkrpm } from './commands/mkrpm.ts';
import { registerMkdeb } from './commands/mkdeb.ts';
import { registerTarballs } from './commands/tarball.ts';

export const version = '0.1.0';

export function buildProgram(io: Io, dispatch: Dispatch): Command {
  const program = new Command('kmodforge')
    .description(
      'Build, install and package out-of-tree kernel modules for every kernel and flavor, from dkms.conf',
    )
    .version(version, '-V, --version')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .configureHelp({ showGlobalOptions: true })
    .showSuggestionAfterError();
  addGlobalOptions(program);
  registerKernels(program, io, dispatch);
  registerConf(program, io, dispatch);
  registerAdd(program, io, dispatch);
  registerBuild(program, io, dispatch);
  registerInstall(program, io, dispatch);
  for (const mode of ['uninstall', 'unbuild', 'remove'] as const) registerRemove(program, io, dispatch, mode);
  registerAutoinstall(program, io, dispatch);
  registerStatus(program, io, dispatch);
  registerGenerateMok(program, io, dispatch);
  registerMksrpm(program, io, dispatch);
  registerMkrpm(program, io, dispatch);
  registerMkdeb(program, io, dispatch);
  registerTarballs(program, io, dispatch);
  return program;
}

/** Runs the CLI and returns the exit code; never throws. */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  const json = argv.includes('--json');
  const dispatch: Dispatch = { result: undefined };
  try {
    await buildProgram(io, dispatch).parseAsync([...argv], { from: 'user' });
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
