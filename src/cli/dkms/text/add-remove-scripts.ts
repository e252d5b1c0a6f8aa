import type { KmodEvent } from '../../../context.ts';

/** One run_build_script of dkms, as kmodforge's runModuleScript reported it through its events. */
export interface ScriptRun {
  /** dkms's name for it: post_add, post_remove, … */
  kind: string;
  /** False when the script was not executable, and so not run. */
  ran: boolean;
  output: string[];
  /** Its exit status, which dkms's add passes on as its own. */
  status: number;
}

const running = /^Running the (\w+) script: /;
const notExecutable = /^The (\w+) script .* is not executable; not running it\.$/;
const failed = /^The \w+ script .* failed \((?:exit code (\d+)|.*)\)\.$/;

/** The module scripts a command ran, in order, from its events (see src/commands/module-scripts.ts). Pure. */
export function parseScriptRuns(events: readonly KmodEvent[]): ScriptRun[] {
  const runs: ScriptRun[] = [];
  let current: ScriptRun | undefined;
  for (const event of events) {
    if (event.type !== 'info' && event.type !== 'warning') {
      current = undefined;
      continue;
    }
    const started = running.exec(event.message);
    const skipped = notExecutable.exec(event.message);
    if (event.type === 'info' && started !== null) {
      current = { kind: started[1] ?? '', ran: true, output: [], status: 0 };
      runs.push(current);
    } else if (event.type === 'warning' && skipped !== null) {
      runs.push({ kind: skipped[1] ?? '', ran: false, output: [], status: 0 });
      current = undefined;
    } else if (event.type === 'warning' && current !== undefined && failed.test(event.message)) {
      // Killed or timed out, it has no status of its own: 1, as a failure.
      current.status = Number(failed.exec(event.message)?.[1] ?? 1);
      current = undefined;
    } else if (event.type === 'info' && current !== undefined) {
      current.output.push(event.message);
    } else {
      current = undefined;
    }
  }
  return runs;
}

/** What dkms's run_build_script prints for a run: a blank line, then its heading and output or a warning. */
export function formatScriptRun(run: ScriptRun): { out: string; err: string } {
  if (!run.ran) return { out: '\n', err: `Warning: The ${run.kind} script is not executable.\n` };
  return { out: `\nRunning the ${run.kind} script:\n${run.output.map((o) => `${o}\n`).join('')}`, err: '' };
}
