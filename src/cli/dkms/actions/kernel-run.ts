import path from 'node:path';
import { parseDirectiveOverride } from '../../../conf/directive-override.ts';
import type { DirectiveOverride } from '../../../conf/eval-script.ts';
import type { ModuleConf } from '../../../conf/module-conf.ts';
import type { KmodEvent } from '../../../context.ts';
import type { KernelTarget } from '../../../kernel/target.ts';
import { tree } from '../../../state/tree.ts';
import type { Io } from '../../io.ts';
import type { DkmsInvocation } from '../invocation.ts';
import { formatScriptChunks, parseScriptRuns, type OutputChunk } from '../text/add-remove-scripts.ts';
import { formatDkmsConfRead, say, sayErr, type DkmsTranscript } from '../text/build-text.ts';

/** One kernel of a dkms command line: its target and what dkms prints for it. */
export interface DkmsKernelRun {
  target: KernelTarget;
  t: DkmsTranscript;
}

export function dkmsTargets(inv: DkmsInvocation): KernelTarget[] {
  const { kernels, arches } = inv.args;
  return kernels.map((release, i) => ({ release, arch: arches[i] ?? arches[0] ?? inv.ctx.hostArch }));
}

export function dkmsDirectives(inv: DkmsInvocation): DirectiveOverride[] {
  return inv.args.directives.map(parseDirectiveOverride);
}

export function printChunks(io: Io, chunks: readonly OutputChunk[]): void {
  for (const chunk of chunks) (chunk.stream === 'out' ? io.out : io.err)(chunk.text);
}

/** add_module's end, run_build_script for POST_ADD: prints its text and returns its status, which is add's. */
export function printPostAdd(io: Io, events: readonly KmodEvent[]): number {
  const runs = parseScriptRuns(events, ['POST_ADD']);
  printChunks(io, formatScriptChunks(runs));
  return runs.at(-1)?.status ?? 0;
}

/** Prints each kernel's text in order and returns dkms's exit code: the last kernel's status. */
export function printRuns(inv: DkmsInvocation, runs: readonly DkmsKernelRun[]): number {
  for (const { t } of runs) printChunks(inv.io, t.chunks);
  return runs.at(-1)?.t.status ?? 0;
}

/**
 * What read_conf prints when it sources a module's dkms.conf for a kernel (`files`: as dkms names them),
 * unless it read it for that kernel already.
 */
export function sayConfRead(
  inv: DkmsInvocation,
  t: DkmsTranscript,
  conf: Pick<ModuleConf, 'deprecated'>,
  files: readonly string[],
): void {
  if (t.confRead) return;
  t.confRead = true;
  const printed = formatDkmsConfRead({ files, deprecated: conf.deprecated, directives: inv.args.directives });
  if (printed.err !== '') sayErr(t, printed.err);
  if (printed.out !== '') say(t, printed.out);
}

/** sayConfRead for a registered module's dkms.conf, named as dkms names it: -c, or through the source link. */
export function sayModuleConfRead(
  inv: DkmsInvocation,
  t: DkmsTranscript,
  module: string,
  version: string,
  conf: ModuleConf,
): void {
  const main = inv.args.conf ?? path.join(tree.sourceLink(inv.ctx.paths, module, version), 'dkms.conf');
  sayConfRead(inv, t, conf, [main, ...conf.sourced.slice(1)]);
}
