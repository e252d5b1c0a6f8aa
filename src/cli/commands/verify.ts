import { Option, type Command } from 'commander';
import { requireModuleVersion } from '../../commands/module-arg.ts';
import { resolveTargets } from '../../commands/targets.ts';
import {
  defaultVerifyTimeoutSeconds,
  verifyModule,
  type BuildVerify,
  type VerifyResult,
} from '../../commands/verify.ts';
import { KmodError, exitCodes } from '../../errors.ts';
import type { ModuleResult } from '../../verify/parse-results.ts';
import { accels, type Accel } from '../../verify/qemu-command.ts';
import { defineAction, type Dispatch } from '../command.ts';
import { addCommandOptions, moduleOptions, parseSeconds } from '../global-options.ts';
import type { Io } from '../io.ts';
import { renderError, writeJson } from '../render.ts';
import type { GlobalOptions } from '../global-options.ts';
import { readSpec } from './module-spec.ts';

interface VerifyCommandOptions {
  kernelImage: string | undefined;
  kernelPackage: string | undefined;
  modprobe: string[] | undefined;
  sigEnforce: boolean | undefined;
  timeout: number;
  accel: Accel;
}

/** One module's result in `--json` output. */
export function loadRecord(r: VerifyResult, m: ModuleResult) {
  return {
    type: 'load' as const,
    module: r.module,
    version: r.version,
    kernel: r.kernel,
    arch: r.arch,
    name: m.name,
    origin: m.origin,
    status: m.status,
    reason: m.reason,
    taint: m.taint,
    file: m.file,
    log: m.log,
  };
}

/** The boot's result in `--json` output, after its modules'. */
export function verifyResultRecord(r: VerifyResult) {
  return {
    type: 'result' as const,
    command: 'verify' as const,
    module: r.module,
    version: r.version,
    kernel: r.kernel,
    arch: r.arch,
    ok: r.ok,
    end: r.end,
    endDetail: r.endDetail,
    taint: r.taint,
    notes: r.notes,
    unresolved: r.unresolved,
    boot: r.boot,
    trusted: r.trusted,
    seconds: Math.round(r.seconds * 100) / 100,
  };
}

/** A verify as text: a line for the boot, then one per module. */
export function formatVerifyResult(r: VerifyResult, failuresOnly: boolean): string {
  const lines: string[] = [];
  if (!failuresOnly || !r.ok)
    lines.push(
      `${r.module}/${r.version}, ${r.kernel}, ${r.arch}: ${r.ok ? 'loads' : 'FAILED'} (${r.seconds.toFixed(1)} s, ${r.boot}${r.trusted === null ? '' : `, trusting ${r.trusted}`})`,
    );
  const width = Math.max(...r.modules.map((m) => m.name.length));
  for (const m of r.modules) {
    if (failuresOnly && m.status === 'loaded') continue;
    const what =
      m.status === 'loaded'
        ? [m.origin === 'built' ? '' : m.origin, m.taint ? `taint ${m.taint}` : ''].filter(Boolean).join(', ')
        : (m.reason ?? '');
    lines.push(`  ${m.status.padEnd(7)} ${m.name.padEnd(width)}  ${what}`.trimEnd());
  }
  for (const u of r.unresolved)
    lines.push(`  note: ${u.name} is not among ${r.kernel}'s modules: ${u.message}`);
  for (const n of r.notes) lines.push(`  note: the kernel logged: ${n}`);
  if (r.end !== 'powered-off' && r.endDetail !== null) lines.push(`  note: ${r.endDetail}`);
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/** One verify's result: its modules' and the boot's records, or its text (failures only with --quiet). */
function renderVerifyResult(
  io: Io,
  options: Pick<GlobalOptions, 'json' | 'quiet'>,
  result: VerifyResult,
): void {
  if (options.json) {
    for (const m of result.modules) writeJson(io, loadRecord(result, m));
    writeJson(io, verifyResultRecord(result));
  } else io.out(formatVerifyResult(result, options.quiet));
}

/**
 * The verifies of build --verify and install --verify: each boot's result and, where the outcome does not
 * carry it (build, whose build stays), the error of each failed one.
 */
export function renderBuildVerifies(
  io: Io,
  options: Pick<GlobalOptions, 'json' | 'quiet'>,
  verifies: readonly (BuildVerify | undefined)[],
  errors: 'with-errors' | 'results-only',
): void {
  for (const v of verifies) {
    if (v === undefined) continue;
    if (v.result !== undefined) renderVerifyResult(io, options, v.result);
    // In --json, the records of a boot already say which module failed and why.
    if (errors === 'with-errors' && v.error !== undefined && (!options.json || v.result === undefined))
      renderError(io, options.json, v.error);
  }
}

const collect = (value: string, previous: readonly string[] = []): string[] => [...previous, value];

/** `kmodforge verify`: boots each kernel under QEMU and loads the built module there. */
export function registerVerify(program: Command, io: Io, dispatch: Dispatch): void {
  const command = program
    .command('verify')
    .description('boot the kernel under QEMU and load the built module there; report per module')
    .argument('[module]', 'module/version')
    .option(
      '--kernel-image <file>',
      'the kernel image (bzImage) to boot, instead of <root>/boot/vmlinuz-<kernel>',
    )
    .option(
      '--kernel-package <deb>',
      'the linux-image .deb to boot, instead of downloading linux-image-<kernel>',
    )
    .option('--modprobe <name>', "also load this module of the kernel's first (repeatable)", collect)
    .option(
      '--sig-enforce',
      "boot with module.sig_enforce=1: modules need a signature by the kernel's keys or the signing certificate (in the UEFI db of an OVMF guest)",
    )
    .addOption(
      new Option('--timeout <seconds>', 'the time limit of each boot')
        .argParser((value) => parseSeconds('--timeout', value))
        .default(defaultVerifyTimeoutSeconds),
    )
    .addOption(
      new Option('--accel <accel>', 'QEMU accelerator (KVM only when asked)').choices(accels).default('tcg'),
    );
  addCommandOptions(command, moduleOptions);
  defineAction<[string | undefined]>(command, io, dispatch, async ({ options, ctx }, arg) => {
    const own = command.opts<VerifyCommandOptions>();
    const { module, version } = requireModuleVersion(await readSpec(arg, options), 'verify');
    const targets = await resolveTargets(ctx, options);
    if (targets.length > 1 && (own.kernelImage !== undefined || own.kernelPackage !== undefined))
      throw new KmodError('USAGE', '--kernel-image and --kernel-package name one kernel: give one -k');
    if (own.kernelImage !== undefined && own.kernelPackage !== undefined)
      throw new KmodError('USAGE', '--kernel-image and --kernel-package cannot be used together');
    let failed = false;
    for (const target of targets) {
      const result = await verifyModule(ctx, {
        module,
        version,
        kernel: target.release,
        arch: target.arch,
        modprobe: own.modprobe,
        kernelImage: own.kernelImage,
        kernelPackage: own.kernelPackage,
        sigEnforce: own.sigEnforce === true,
        timeoutSeconds: own.timeout,
        accel: own.accel,
      });
      failed ||= !result.ok;
      renderVerifyResult(io, options, result);
    }
    return failed ? exitCodes.LOAD_FAILED : 0;
  });
}
