import { access, constants, readFile } from 'node:fs/promises';
import path from 'node:path';
import { withMutation } from '../../../commands/mutation.ts';
import { applyRemovePlan, readRemoveFacts, type RemoveMode } from '../../../commands/remove.ts';
import { KmodError } from '../../../errors.ts';
import { planRemove } from '../../../install/remove-plan.ts';
import type { KernelTarget } from '../../../kernel/target.ts';
import { isDir } from '../../../state/fs.ts';
import { readBuilds } from '../../../state/read-state.ts';
import { tree } from '../../../state/tree.ts';
import type { DkmsInvocation } from '../invocation.ts';
import { formatDkmsError } from '../text/messages.ts';
import { parseScriptRuns } from '../text/add-remove-scripts.ts';
import {
  formatDeletedVersion,
  formatDkmsUninstall,
  formatSkipped,
  parseModuleSuffix,
  type UninstallTextFacts,
} from '../text/remove-text.ts';

/** dkms remove: uninstall and unbuild for each kernel, then the version once no build is left. */
export function runDkmsRemove(inv: DkmsInvocation): Promise<number> {
  return runDkmsRemoval(inv, 'remove');
}

/**
 * dkms's remove_module, unbuild_module and uninstall_module: kernel by kernel, uninstall where the version
 * is installed (do_uninstall's words), then, but for uninstall, forget the build; kmodforge does it all in
 * one transaction, and the words are dkms's, in dkms's order.
 */
export async function runDkmsRemoval(inv: DkmsInvocation, mode: RemoveMode): Promise<number> {
  const { args, ctx, io } = inv;
  const module = args.module ?? '';
  const version = args.moduleVersion ?? '';
  let targets: KernelTarget[] = args.kernels.map((release, i) => ({
    release,
    arch: args.arches[i] ?? args.arches[0] ?? ctx.hostArch,
  }));
  const unreadable = await readUnreadableConf(inv, module, version, targets);
  if (unreadable !== undefined) {
    const message = `Could not locate dkms.conf file.\nFile: ${unreadable} does not exist.`;
    if (!args.all) throw new KmodError('CONF_NOT_FOUND', message);
    // --all lists the builds in a subshell that dies on the first one: dkms goes on with no kernel.
    io.err(formatDkmsError(message.split('\n')));
    targets = [];
  }
  const done = await withMutation(ctx, async (locked) => {
    const facts = await readRemoveFacts(locked, { module, version, targets, mode });
    const textFacts = new Map<string, Omit<UninstallTextFacts, 'script'>>();
    for (const { target, uninstall } of facts.targets) {
      if (uninstall === undefined) continue;
      textFacts.set(`${target.release}/${target.arch}`, await readTextFacts(inv, module, target));
    }
    const plan = planRemove(ctx.paths, facts);
    const from = inv.events.length;
    await applyRemovePlan(locked, plan, { module, version, targets, noDepmod: args.noDepmod });
    return { facts, plan, textFacts, scripts: parseScriptRuns(inv.events.slice(from), ['POST_REMOVE']) };
  });
  const scripts = [...done.scripts];
  for (const { target, built, uninstall } of done.facts.targets) {
    const { release, arch } = target;
    const text = done.textFacts.get(`${release}/${arch}`);
    if (uninstall === undefined || text === undefined) {
      io.out(formatSkipped('installed', module, version, release, arch));
    } else {
      const script = uninstall.conf.scripts.postRemove === undefined ? undefined : scripts.shift();
      const printed = formatDkmsUninstall(ctx.paths, version, uninstall, { ...text, script });
      io.out(printed.out);
      if (printed.err !== '') io.err(printed.err);
    }
    if (mode !== 'uninstall' && !built) io.out(formatSkipped('built', module, version, release, arch));
  }
  if (done.plan.removedVersion) io.out(formatDeletedVersion(module, version));
  return 0;
}

/**
 * dkms reads dkms.conf for each kernel the version is built for (is_module_built) before it acts, and dies
 * (exit 4) when the source link no longer leads to it: the file it could not read, if so.
 */
async function readUnreadableConf(
  inv: DkmsInvocation,
  module: string,
  version: string,
  targets: readonly KernelTarget[],
): Promise<string | undefined> {
  const { paths } = inv.ctx;
  const conf = inv.args.conf ?? path.join(tree.sourceLink(paths, module, version), 'dkms.conf');
  for (const target of targets) {
    const builds = await readBuilds(paths, module, version, { kernel: target.release, arch: target.arch });
    if (builds.length === 0) continue;
    try {
      await access(conf, constants.R_OK);
      return undefined;
    } catch {
      return conf;
    }
  }
  return undefined;
}
async function readTextFacts(
  inv: DkmsInvocation,
  module: string,
  target: KernelTarget,
): Promise<Omit<UninstallTextFacts, 'script'>> {
  const { ctx } = inv;
  const originals = tree.originalModules(ctx.paths, module, target.release, target.arch);
  const modulesDep = await readFile(
    path.join(ctx.paths.installTree, target.release, 'modules.dep'),
    'utf8',
  ).catch(() => undefined);
  return {
    moduleSuffix: parseModuleSuffix(modulesDep),
    keepsOriginals: /^(debian|ubuntu)/.test(ctx.distro.id),
    originals: !(await isDir(originals))
      ? 'none'
      : (await isDir(path.join(originals, 'collisions')))
        ? 'collisions'
        : 'present',
    verbose: inv.args.verbose,
  };
}
