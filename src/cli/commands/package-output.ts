import type { PackageResult } from '../../commands/mkrpm.ts';
import { planBuildExitCode } from '../../commands/build.ts';
import type { GlobalOptions } from '../global-options.ts';
import type { Io } from '../io.ts';
import { writeJson } from '../render.ts';
import { renderOutcomes } from './build.ts';

/** Prints what a packaging command made, after the build outcomes that need saying; returns the exit code. */
export function renderPackages(io: Io, options: GlobalOptions, kind: string, result: PackageResult): number {
  renderOutcomes(
    io,
    options,
    result.builds.filter((b) => b.status !== 'already-built'),
  );
  for (const p of result.packages) {
    if (options.json)
      writeJson(io, { type: kind, kernel: p.kernel ?? null, arch: p.arch, name: p.name, file: p.file });
    else if (!options.quiet) io.out(`Wrote ${p.file}\n`);
  }
  return planBuildExitCode(result.builds);
}
