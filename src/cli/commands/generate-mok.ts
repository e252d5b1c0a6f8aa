import type { Command } from 'commander';
import { generateMok, readGenerateMokPlan } from '../../commands/generate-mok.ts';
import { defineAction, type Dispatch } from '../command.ts';
import type { Io } from '../io.ts';
import { writeJson } from '../render.ts';
import { addCommandOptions } from '../global-options.ts';
import { renderPlan } from '../render-plan.ts';
import { withMutation } from '../../commands/mutation.ts';

export function registerGenerateMok(program: Command, io: Io, dispatch: Dispatch): void {
  const command = program
    .command('generate-mok')
    .alias('generate_mok')
    .description('create the module signing key and certificate (if missing) and show how to enroll them');
  addCommandOptions(command, ['kernel', 'dryRun']);
  defineAction<[]>(command, io, dispatch, async ({ options, ctx }) => {
    const [first] = options.kernels;
    const [kernel = ctx.runningKernel, arch = ctx.hostArch] = first === undefined ? [] : first.split('/', 2);
    if (options.dryRun) return renderPlan(io, options, await readGenerateMokPlan(ctx, kernel, arch));
    // The key pair is written as two files: the lock keeps a build from reading one of each.
    const result = await withMutation(ctx, (locked) => generateMok(locked, kernel, arch));
    if (options.json) writeJson(io, { type: 'result', command: 'generate-mok', ...result });
    else {
      io.out(
        `${result.generated ? 'Generated' : 'Using the existing'} signing key ${result.key}\nand certificate ${result.certificate}.\n`,
      );
      io.out(
        `To load modules signed with it on a Secure Boot machine, enroll the certificate and reboot:\n  ${result.enroll}\n`,
      );
    }
    return 0;
  });
}
