import type { InstallOutcome } from '../../../commands/install.ts';
import type { KernelTarget } from '../../../kernel/target.ts';
import { findModuleFile } from '../../../state/module-file.ts';
import { readRegisteredConf } from '../../../state/registered.ts';
import { tree } from '../../../state/tree.ts';
import type { DkmsInvocation } from '../invocation.ts';
import { parseScriptRuns, sayScriptRuns } from '../text/add-remove-scripts.ts';
import { die, newTranscript, say, type DkmsTranscript } from '../text/build-text.ts';
import {
  formatAlreadyInstalled,
  formatDkmsInstallation,
  formatDkmsOriginal,
  type DkmsOriginalFacts,
} from '../text/install-text.ts';
import { prepareAddedBuild, type QueuedBuild } from './build.ts';
import { sayBuildOutcome } from './build-outcome.ts';
import { readDkmsModuleSuffix } from './install.ts';
import { printRuns, type DkmsKernelRun } from './kernel-run.ts';
import { runDkmsSigning } from './signing.ts';

/**
 * dkms's text for an install kmodforge already ran (autoinstall): the build's when one ran, then
 * do_install's, told from the outcome and the trees after it.
 */
export async function writeDkmsInstallOutcome(inv: DkmsInvocation, o: InstallOutcome): Promise<void> {
  const target: KernelTarget = { release: o.kernel, arch: o.arch };
  const run: DkmsKernelRun = { target, t: newTranscript() };
  if (o.status === 'already-installed')
    say(run.t, formatAlreadyInstalled(o.module, o.version, o.kernel, o.arch));
  else await sayInstallOutcome(inv, o, run.t, target);
  printRuns(inv, [run]);
}

async function sayInstallOutcome(
  inv: DkmsInvocation,
  o: InstallOutcome,
  t: DkmsTranscript,
  target: KernelTarget,
): Promise<void> {
  const { ctx } = inv;
  const build = o.build;
  if (build !== undefined && build.status !== 'already-built') {
    const q = await prepareToldBuild(inv, o, t, target);
    if (q !== undefined) await sayBuildOutcome(inv, q, build);
    if (t.status !== 0) return;
  }
  if (o.status === 'failed' || o.status === 'excluded') {
    if (o.error !== undefined) die(t, o.error.exitCode, o.error.message.split('\n'));
    return;
  }
  const suffix = await readDkmsModuleSuffix(inv, o.kernel);
  const { conf } = await readRegisteredConf(ctx, o.module, o.version, target);
  const originals = tree.originalModules(ctx.paths, o.module, o.kernel, o.arch);
  let alreadyFound = false;
  for (const [i, record] of conf.modules.entries()) {
    say(t, `\n${record.destName}${suffix}:\nRunning module version sanity check.\n`);
    if (i === 0) sayScriptRuns(t, parseScriptRuns(inv.events, ['PRE_INSTALL'], target));
    const archived = await findModuleFile(originals, record.destName);
    const original: DkmsOriginalFacts =
      archived === undefined ? { kind: 'none' } : { kind: 'found', file: archived };
    say(t, formatDkmsOriginal(original, { distroId: ctx.distro.id, archiveDir: originals, alreadyFound }));
    if (original.kind === 'found') alreadyFound = true;
    say(t, formatDkmsInstallation(ctx.paths.installTree, o.kernel, record.destLocation));
  }
  sayScriptRuns(t, parseScriptRuns(inv.events, ['POST_INSTALL'], target));
  say(t, 'depmod...\n');
}

/**
 * The build text's facts for a build kmodforge already ran: its prologue and make line as dkms would print
 * them. prepare_signing runs as dkms's would, and so may generate the key pair.
 */
async function prepareToldBuild(
  inv: DkmsInvocation,
  o: InstallOutcome,
  t: DkmsTranscript,
  target: KernelTarget,
): Promise<QueuedBuild | undefined> {
  const signs = await runDkmsSigning(inv, o.kernel, t);
  return prepareAddedBuild(
    inv,
    { target, t },
    { module: o.module, version: o.version, signs, added: false, unbuilt: true },
  );
}
