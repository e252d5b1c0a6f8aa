import type { Command } from 'commander';
import { listKernels } from '../../commands/kernels.ts';
import type { KernelInfo } from '../../kernel/discover.ts';
import { defineAction, type Dispatch } from '../command.ts';
import type { Io } from '../io.ts';
import { formatTable, writeJson } from '../render.ts';

export function kernelRecord(k: KernelInfo) {
  return {
    release: k.release,
    version: k.version,
    abi: k.abi,
    flavor: k.flavor,
    arch: k.arch ?? null,
    family: k.family,
    headers: k.headersDir ?? null,
    compression: k.config?.compression ?? null,
    signing:
      k.config === undefined
        ? null
        : { enabled: k.config.signing.enabled, hash: k.config.signing.hash ?? null },
    compiler:
      k.config === undefined
        ? null
        : {
            clang: k.config.compiler.clang,
            lld: k.config.compiler.lld,
            version: k.config.compiler.versionText ?? null,
          },
    preemptRt: k.config?.preemptRt ?? null,
  };
}

export function formatKernels(kernels: readonly KernelInfo[]): string {
  if (kernels.length === 0) return 'No kernels found.\n';
  const rows = [['RELEASE', 'VERSION', 'FLAVOR', 'ARCH', 'HEADERS', 'COMPRESSION', 'SIGNING']];
  for (const k of kernels) {
    rows.push([
      k.release,
      k.version,
      k.flavor === '' ? '-' : k.flavor,
      k.arch ?? '-',
      k.headersDir === undefined ? 'no' : 'yes',
      k.config?.compression ?? '-',
      k.config === undefined ? '-' : k.config.signing.enabled ? (k.config.signing.hash ?? 'yes') : 'no',
    ]);
  }
  return formatTable(rows);
}

export function registerKernels(program: Command, io: Io, dispatch: Dispatch): void {
  const command = program
    .command('kernels')
    .description('list the kernels of the system, their flavors and what their .config says');
  defineAction<[]>(command, io, dispatch, async ({ options, ctx }) => {
    const kernels = await listKernels(ctx);
    if (options.json) for (const k of kernels) writeJson(io, kernelRecord(k));
    else io.out(formatKernels(kernels));
    return 0;
  });
}
