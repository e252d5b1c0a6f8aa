import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Context } from '../context.ts';
import { KmodError } from '../errors.ts';
import { lastLines, runCommand } from '../exec/run.ts';
import { findOnPath } from '../exec/which.ts';
import { exists, readOptional } from '../state/fs.ts';
import { withTempDir } from '../state/temp-dir.ts';
import { writeInitramfs } from './initramfs.ts';
import { readCachedKernel } from './kernel-cache.ts';
import { readKernelSource } from './kernel-image.ts';
import { readModuleClosure } from './module-closure.ts';
import { parseCertificate, planVarsWithDb } from './ovmf-vars.ts';
import { parseGuestReport, planVerifyReport, type VerifyReport } from './parse-results.ts';
import { planGuestMemoryMb, planQemuCommand, qemuProgram, type Accel } from './qemu-command.ts';

export interface VerifyBootRequest {
  kernel: string;
  /** The module files to load (ours); what they need from the kernel is added. */
  moduleFiles: readonly string[];
  /** Modules of the kernel's to load before ours (names, as for modprobe). */
  modprobe: readonly string[];
  kernelImage?: string | undefined;
  kernelPackage?: string | undefined;
  sigEnforce: boolean;
  /**
   * With sigEnforce, a certificate for the guest to trust besides the kernel's own keys: it boots through
   * OVMF with the certificate in its UEFI db (slower: the firmware, then the kernel's own decompressor).
   */
  trustedCertificate?: string | undefined;
  timeoutMs: number;
  accel: Accel;
}

export interface VerifyBootResult extends VerifyReport {
  /** Dependencies modprobe could not find in the kernel's modules. */
  unresolved: { name: string; message: string }[];
  /** Whether QEMU booted the vmlinux directly (PVH), the bzImage, or the bzImage through UEFI firmware. */
  boot: 'pvh' | 'bzimage' | 'uefi';
  /** The certificate the guest's firmware had in db, null for none. */
  trusted: string | null;
  seconds: number;
}

/** After the last load, how long the guest waits for a late oops before it reports. */
const settleMs = 1000;

/** How long one module's init may run, at most, before it is called hung. */
function loadTimeout(timeoutMs: number): number {
  return Math.min(20_000, Math.max(1000, Math.floor(timeoutMs / 3)));
}

/**
 * Boots the kernel under QEMU with the modules and what they need in a busybox initramfs, loads them, and
 * reports per module. QEMU runs in its own process group with the time limit, so a hung or panicked guest
 * ends within it and leaves no process behind.
 */
export async function runVerifyBoot(ctx: Context, request: VerifyBootRequest): Promise<VerifyBootResult> {
  const started = performance.now();
  const qemu = findOnPath(qemuProgram);
  if (qemu === undefined)
    throw new KmodError('COMMAND_FAILED', `verify needs ${qemuProgram}, and it is not installed`, {
      hint: 'on Debian: apt-get install qemu-system-x86',
    });
  const source = await readKernelSource(ctx, request);
  const kernel = await readCachedKernel(ctx, source, request.kernel);
  return withTempDir('kmf-verify-', async (dir) => {
    const emptyDir = path.join(dir, 'modprobe.d');
    await mkdir(emptyDir);
    const closure = await readModuleClosure(
      kernel.modulesRoot,
      kernel.release,
      request.moduleFiles,
      request.modprobe,
      emptyDir,
    );
    const loadTimeoutMs = loadTimeout(request.timeoutMs);
    const initrd = path.join(dir, 'initramfs.cpio');
    const size = await writeInitramfs(ctx.paths.verifyCache, initrd, closure.entries, {
      loadTimeoutMs,
      settleMs,
    });
    const consoleLog = path.join(dir, 'console.log');
    const resultsLog = path.join(dir, 'results.log');
    const firmware = await writeFirmware(ctx, request, dir);
    const args = planQemuCommand({
      kernel: firmware === undefined ? kernel.bootImage : kernel.bzImage,
      firmware,
      initrd,
      accel: request.accel,
      memoryMb: planGuestMemoryMb(size),
      consoleLog,
      resultsLog,
      sigEnforce: request.sigEnforce,
    });
    const run = await runCommand(qemu, args, { timeoutMs: request.timeoutMs });
    const consoleText = (await readOptional(consoleLog)) ?? '';
    const guest = parseGuestReport((await readOptional(resultsLog)) ?? '');
    if (guest.kernel === undefined) throw noBoot(run.timedOut, request, consoleText, run.all);
    const report = planVerifyReport(closure.entries, guest, consoleText, {
      timedOut: run.timedOut,
      timeoutMs: request.timeoutMs,
      loadTimeoutMs,
    });
    return {
      ...report,
      unresolved: closure.unresolved,
      boot: firmware !== undefined ? 'uefi' : kernel.pvh ? 'pvh' : 'bzimage',
      trusted: firmware === undefined ? null : (request.trustedCertificate ?? null),
      seconds: (performance.now() - started) / 1000,
    };
  });
}

/** Debian's OVMF (package ovmf): the firmware, and the empty variable store each guest gets a copy of. */
const ovmfCode = '/usr/share/OVMF/OVMF_CODE_4M.fd';
const ovmfVarsTemplate = '/usr/share/OVMF/OVMF_VARS_4M.fd';

/**
 * The firmware of a boot that must trust the certificate, with a variable store holding it in db; undefined
 * for the usual boot, or (with a warning) when OVMF is missing or its store is not one kmodforge can write.
 */
async function writeFirmware(
  ctx: Context,
  request: VerifyBootRequest,
  dir: string,
): Promise<{ code: string; vars: string } | undefined> {
  const certificate = request.trustedCertificate;
  if (!request.sigEnforce || certificate === undefined) return undefined;
  const untrusted = `the guest trusts only the kernel's own keys, not ${certificate}`;
  if (!(await exists(ovmfCode)) || !(await exists(ovmfVarsTemplate))) {
    ctx.emit({
      type: 'warning',
      message: `${untrusted}: no UEFI firmware (on Debian: apt-get install ovmf)`,
    });
    return undefined;
  }
  const vars = planVarsWithDb(
    await readFile(ovmfVarsTemplate),
    parseCertificate(await readFile(certificate)),
  );
  if (typeof vars === 'string') {
    ctx.emit({ type: 'warning', message: `${untrusted}: ${ovmfVarsTemplate}: ${vars}` });
    return undefined;
  }
  const file = path.join(dir, 'vars.fd');
  await writeFile(file, vars);
  return { code: ovmfCode, vars: file };
}

/** Terminal control sequences, which the firmware writes to the console. */
const escapeSequence = new RegExp(`${String.fromCharCode(27)}(\\[[0-9;?]*[A-Za-z]|c)`, 'g');

/** The guest never ran /init: nothing was learnt about the modules, so it is an error, not a result. */
function noBoot(
  timedOut: boolean,
  request: VerifyBootRequest,
  consoleText: string,
  qemuOutput: string,
): KmodError {
  const said = lastLines(`${consoleText}\n${qemuOutput}`.replace(/\r/g, '').replace(escapeSequence, ''), 8);
  const how = timedOut
    ? `did not reach /init within ${Math.round(request.timeoutMs / 1000)} s`
    : 'did not reach /init';
  return new KmodError(
    'COMMAND_FAILED',
    `the guest kernel ${request.kernel} ${how}${said.trim() === '' ? '' : `:\n${said}`}`,
    {
      hint:
        request.accel === 'kvm'
          ? 'KVM hangs where the CPU has no virtualization extensions: try --accel tcg'
          : 'check that busybox is the static one (apt-get install busybox-static), or raise --timeout',
    },
  );
}
