import type { PackageResult } from '../../commands/mkrpm.ts';
import type { PackageRequest } from '../../commands/read-package-plan.ts';
import { planBuildExitCode } from '../../commands/build.ts';
import { resolveTargets } from '../../commands/targets.ts';
import type { Context } from '../../context.ts';
import type { GlobalOptions } from '../global-options.ts';
import type { Io } from '../io.ts';
import { writeJson } from '../render.ts';
import { renderOutcomes } from './build.ts';
import { readSpec } from './module-spec.ts';

/**
 * What a packaging command's dry run plans from the command line: the module argument, the kernels
 * (none for packages that are not per kernel) and the options every build takes.
 */
export async function readPackageRequest(
  ctx: Context,
  options: GlobalOptions,
  arg: string | undefined,
  action: string,
  kernels: 'targets' | 'none' = 'targets',
): Promise<PackageRequest> {
  return {
    action,
    spec: await readSpec(arg, options),
    targets: kernels === 'none' ? [] : await resolveTargets(ctx, options),
    directives: options.directives,
    force: options.force,
  };
}

/** Prints what a packaging command made, after the build outcomes that need saying; returns the exit code. */
export function renderPackages(
  io: Io,
  options: GlobalOptions,
  kind: 'rpm' | 'deb',
  result: PackageResult,
): number {
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
