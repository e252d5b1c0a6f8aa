import type { KmodEvent, ScriptKind } from '../../../context.ts';
import type { KernelTarget } from '../../../kernel/target.ts';
import type { DkmsTranscript } from './build-text.ts';

/** A piece of dkms's output, on the stream it goes to. */
export type OutputChunk = DkmsTranscript['chunks'][number];

/** One run_build_script of dkms, as kmodforge's `script` events report it. */
export interface ScriptRun {
  /** dkms's name for it: post_add, pre_build, … */
  kind: string;
  kernel: string | undefined;
  arch: string | undefined;
  /** False when the script was not executable, and so not run. */
  ran: boolean;
  stdout: string;
  stderr: string;
  /** Its exit status, which dkms's add passes on as its own. */
  status: number;
}

/**
 * The module scripts a command ran, in order, from its events (see src/commands/module-scripts.ts and
 * src/build/run-build.ts); only those of the kinds given, if any are, and of the kernel given, if one is.
 * Pure.
 */
export function parseScriptRuns(
  events: readonly KmodEvent[],
  kinds: readonly ScriptKind[] = [],
  target?: KernelTarget,
): ScriptRun[] {
  const runs: ScriptRun[] = [];
  for (const event of events) {
    if (event.type !== 'script' || (kinds.length > 0 && !kinds.includes(event.kind))) continue;
    if (target !== undefined && (event.kernel !== target.release || event.arch !== target.arch)) continue;
    runs.push({
      kind: event.kind.toLowerCase(),
      kernel: event.kernel,
      arch: event.arch,
      ran: event.ran,
      stdout: event.stdout,
      stderr: event.stderr,
      status: event.exitStatus,
    });
  }
  return runs;
}

/**
 * What dkms's run_build_script prints for a run: a blank line, then its heading and the script's own
 * output, each stream to its own, or a warning.
 */
export function formatScriptRun(run: ScriptRun): { out: string; err: string } {
  if (!run.ran) return { out: '\n', err: `Warning: The ${run.kind} script is not executable.\n` };
  return { out: `\nRunning the ${run.kind} script:\n${run.stdout}`, err: run.stderr };
}

/** formatScriptRun for each run, in order, as the chunks of output dkms prints. Pure. */
export function formatScriptChunks(runs: readonly ScriptRun[]): OutputChunk[] {
  return runs.flatMap((run) => {
    const printed = formatScriptRun(run);
    return [
      { stream: 'out' as const, text: printed.out },
      ...(printed.err === '' ? [] : [{ stream: 'err' as const, text: printed.err }]),
    ];
  });
}

/** Adds run_build_script's text for each run to a kernel's transcript. */
export function sayScriptRuns(t: DkmsTranscript, runs: readonly ScriptRun[]): void {
  t.chunks.push(...formatScriptChunks(runs));
}
