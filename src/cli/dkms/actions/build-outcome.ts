import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { BuildStepError } from '../../../build/build-steps.ts';
import type { BuildOutcome } from '../../../commands/build.ts';
import { isErrno } from '../../../errors.ts';
import { exists } from '../../../state/fs.ts';
import { tree } from '../../../state/tree.ts';
import type { DkmsInvocation } from '../invocation.ts';
import { parseScriptRuns, sayScriptRuns } from '../text/add-remove-scripts.ts';
import {
  die,
  formatBadReturnStatus,
  formatBuildExclusive,
  formatBuiltModuleMissing,
  formatNoHeaders,
  formatProgressDots,
  say,
} from '../text/build-text.ts';
import type { QueuedBuild } from './build.ts';

/**
 * dkms's make.log is <dkms_tree>/M/V/build/make.log, which its failure message names: the failed build's
 * own log is copied there so that the message points at it.
 */
async function copyFailedLog(inv: DkmsInvocation, q: QueuedBuild): Promise<void> {
  const { paths } = inv.ctx;
  const key = { module: q.module, version: q.version, kernel: q.run.target.release, arch: q.run.target.arch };
  const log = path.join(tree.work(paths, key), 'make.log');
  if (!(await exists(log))) return;
  try {
    await copyFile(log, path.join(tree.sharedBuild(paths, q.module, q.version), 'make.log'));
  } catch (error) {
    if (!isErrno(error, 'ENOENT', 'EACCES', 'EROFS', 'EPERM')) throw error;
  }
}

/** actual_build and clean_build, in dkms's words, for a build kmodforge ran. */
export async function sayBuildOutcome(inv: DkmsInvocation, q: QueuedBuild, o: BuildOutcome): Promise<void> {
  const { t } = q.run;
  const { release: kernel, arch } = q.run.target;
  const buildDir = tree.sharedBuild(inv.ctx.paths, q.module, q.version);
  const step = o.error instanceof BuildStepError ? o.error.step : undefined;
  for (const patch of q.conf.patches) {
    if (step?.kind === 'patch-missing' && step.patch === patch) {
      die(t, 5, [` Patch ${patch} as specified in dkms.conf cannot be`, `found in ${buildDir}/patches/.`]);
      return;
    }
    if (step?.kind === 'patch' && step.patch === patch) {
      say(t, `applying patch ${patch}...(bad exit status: ${step.exitStatus})\n`);
      die(t, 6, [`Application of patch ${patch} failed.`, `Check ${buildDir} for more information.`]);
      return;
    }
    say(t, `applying patch ${patch}...\n`);
  }
  sayScriptRuns(t, parseScriptRuns(inv.events, ['PRE_BUILD'], q.run.target));
  if (o.status === 'excluded') {
    die(t, 77, formatBuildExclusive(tree.built(inv.ctx.paths, { ...q, kernel, arch }), q.module));
    return;
  }
  if (o.status === 'failed' && o.error?.code === 'NO_HEADERS') {
    die(t, 1, formatNoHeaders(kernel));
    return;
  }
  if (o.status === 'failed' && step?.kind !== 'make' && step?.kind !== 'module-missing') {
    die(t, o.error?.exitCode ?? 1, (o.error?.message ?? 'build failed').split('\n'));
    return;
  }
  const dots = formatProgressDots(o.seconds);
  say(t, `\nBuilding module:\nCleaning build area...\n${q.makeLine}...${dots}`);
  if (step?.kind === 'make') {
    say(t, `(bad exit status: ${step.exitStatus})\n`);
    await copyFailedLog(inv, q);
    die(t, 10, formatBadReturnStatus(kernel, arch, buildDir));
    return;
  }
  say(t, '\n');
  if (step?.kind === 'module-missing') {
    const record = q.conf.modules.find((m) => m.index === step.index);
    await copyFailedLog(inv, q);
    die(t, 7, formatBuiltModuleMissing(record?.builtName ?? '', kernel, arch, buildDir));
    return;
  }
  if (q.signs)
    for (const m of q.conf.modules)
      say(t, `Signing module ${buildDir}/${m.builtLocation}${m.builtName}.ko\n`);
  sayScriptRuns(t, parseScriptRuns(inv.events, ['POST_BUILD'], q.run.target));
  say(t, 'Cleaning build area...\n');
}
