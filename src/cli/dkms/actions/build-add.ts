import path from 'node:path';
import { addModule, readAddPlan } from '../../../commands/add.ts';
import type { LockedContext } from '../../../commands/mutation.ts';
import { KmodError } from '../../../errors.ts';
import type { KernelTarget } from '../../../kernel/target.ts';
import { isDir } from '../../../state/fs.ts';
import { isAdded } from '../../../state/read-state.ts';
import { readRegisteredConf } from '../../../state/registered.ts';
import { tree } from '../../../state/tree.ts';
import type { DkmsInvocation } from '../invocation.ts';
import { formatBadConf } from '../text/add-conf-errors.ts';
import { parseScriptRuns, sayScriptRuns } from '../text/add-remove-scripts.ts';
import { dkmsAddUsage, die, say, type DkmsTranscript } from '../text/build-text.ts';
import { dkmsDirectives, sayConfRead } from './kernel-run.ts';

/**
 * prepare_build's add_module, for a module that is not added yet (or a source tree, which dkms adds every
 * time, so a second kernel finds it added: exit 3). Returns the module added, or undefined after a `die`.
 */
export async function addForDkmsBuild(
  locked: LockedContext,
  inv: DkmsInvocation,
  target: KernelTarget,
  t: DkmsTranscript,
): Promise<{ module: string; version: string } | undefined> {
  const { args } = inv;
  const directives = dkmsDirectives(inv);
  const fromSource =
    args.sourceDir !== undefined && (args.module ?? '') === '' && (args.moduleVersion ?? '') === '';
  let module = args.module ?? '';
  let version = args.moduleVersion ?? '';
  const spec = fromSource
    ? { kind: 'source' as const, dir: path.resolve(args.sourceDir ?? '') }
    : { kind: 'registered' as const, module, version };
  if (fromSource) {
    try {
      ({ module, version } = await readAddPlan(locked, spec, { target, directives }));
    } catch (error) {
      if (!(error instanceof KmodError)) throw error;
      die(t, 10, ['Malformed dkms.conf file. Cannot load source tree.']);
      return undefined;
    }
  }
  if (module === '' || version === '') {
    die(t, 1, dkmsAddUsage);
    return undefined;
  }
  if (await isAdded(locked.paths, module, version)) {
    die(t, 3, [
      `DKMS tree already contains: ${module}-${version}`,
      'You cannot add the same module/version combo more than once.',
    ]);
    return undefined;
  }
  const sourceDir = tree.source(locked.paths, module, version);
  if (!fromSource && !(await isDir(sourceDir))) {
    die(t, 2, ['Could not find module source directory.', `Directory: ${sourceDir} does not exist.`]);
    return undefined;
  }
  const from = inv.events.length;
  try {
    await addModule(locked, spec, { target, directives });
  } catch (error) {
    if (!(error instanceof KmodError)) throw error;
    die(t, 8, formatBadConf(args.conf ?? path.join(sourceDir, 'dkms.conf')).split('\n'));
    return undefined;
  }
  // get_pkginfo_from_conf read the source tree's file with no module yet; add_module reads the copy.
  const { conf } = await readRegisteredConf(locked, module, version, target, { directives });
  const addConf = args.conf ?? path.join(sourceDir, 'dkms.conf');
  if (fromSource) {
    sayConfRead(inv, t, conf, [path.join(spec.kind === 'source' ? spec.dir : sourceDir, 'dkms.conf')]);
    t.confRead = false;
  }
  sayConfRead(inv, t, conf, [addConf, ...conf.sourced.slice(1)]);
  say(t, `Creating symlink ${tree.sourceLink(locked.paths, module, version)} -> ${sourceDir}\n`);
  // prepare_build does not look at add_module's status, which is POST_ADD's.
  sayScriptRuns(t, parseScriptRuns(inv.events.slice(from), ['POST_ADD']));
  return { module, version };
}
