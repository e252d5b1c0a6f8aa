import type { Command } from 'commander';
import { recoverIfIdle } from '../../commands/mutation.ts';
import {
  formatStatusLine,
  formatVerifyFinding,
  readStatus,
  verifyStatus,
  type StatusRecord,
  type VerifyFinding,
} from '../../commands/status.ts';
import { exitCodes } from '../../errors.ts';
import { checkKernelTarget } from '../../kernel/target.ts';
import { defineAction, type Dispatch } from '../command.ts';
import type { Io } from '../io.ts';
import { writeJson } from '../render.ts';
import { readSpec } from './module-spec.ts';
import { addCommandOptions, moduleOptions } from '../global-options.ts';

export function statusRecord(r: StatusRecord) {
  return {
    module: r.module,
    version: r.version,
    kernel: r.kernel ?? null,
    arch: r.arch ?? null,
    state: r.state,
    notes: r.notes,
  };
}

/** A finding of `status --verify` in `--json` output, after the status records. */
export function verifyRecord(f: VerifyFinding) {
  return {
    type: 'verify' as const,
    module: f.module,
    version: f.version,
    kernel: f.kernel,
    arch: f.arch,
    name: f.name,
    finding: f.kind,
    file: f.file,
    detail: f.detail,
  };
}

export function registerStatus(program: Command, io: Io, dispatch: Dispatch): void {
  const command = program
    .command('status')
    .description('show the state of added modules, as dkms status prints it')
    .argument('[module]', 'module or module/version');
  addCommandOptions(command, [...moduleOptions, 'verify']);
  defineAction<[string | undefined]>(command, io, dispatch, async ({ options, ctx }, arg) => {
    const spec = await readSpec(arg, options);
    const filter = spec?.kind === 'registered' ? { module: spec.module, version: spec.version } : {};
    // Unlike other commands, status takes the arch only from K/A or -a: a bare -k matches every arch.
    const targets = options.kernels.map((k, i) => {
      const [release = '', arch] = k.split('/', 2);
      const target = { release, arch: arch ?? options.arches[options.arches.length === 1 ? 0 : i] };
      // Filters, but still names: a kernel or arch that cannot be one is a usage error, as elsewhere.
      checkKernelTarget({ release, arch: target.arch ?? ctx.hostArch }, `-k "${k}"`);
      return target;
    });
    await recoverIfIdle(ctx);
    const request = { ...filter, targets };
    const { records, findings } = options.verify
      ? await verifyStatus(ctx, request)
      : { records: await readStatus(ctx, request), findings: [] };
    for (const r of records) {
      if (r.state === 'broken' && !options.json) {
        io.err(
          `Error! ${r.module}/${r.version}: Missing the module source directory or the symbolic link pointing to it.\nManual intervention is required!\n`,
        );
      }
      if (options.json) writeJson(io, statusRecord(r));
      else io.out(`${formatStatusLine(r)}\n`);
    }
    // After every line, so the lines stay dkms's; a finding is the answer asked for, not an error.
    for (const f of findings) {
      if (options.json) writeJson(io, verifyRecord(f));
      else io.out(`${formatVerifyFinding(f)}\n`);
    }
    return findings.length === 0 ? 0 : exitCodes.VERIFY_FAILED;
  });
}
