import path from 'node:path';
import { installModule } from '../../../commands/install.ts';
import { withMutation, type LockedContext } from '../../../commands/mutation.ts';
import { KmodError } from '../../../errors.ts';
import { findModulesNamed } from '../../../install/originals.ts';
import { compareModuleVersions, readModuleVersion } from '../../../install/version-sanity.ts';
import { underRoot } from '../../../paths.ts';
import { isDir, readOptional } from '../../../state/fs.ts';
import { findModuleFile } from '../../../state/module-file.ts';
import { isInstalled, readKernelLink } from '../../../state/read-state.ts';
import { readRegisteredConf } from '../../../state/registered.ts';
import { tree } from '../../../state/tree.ts';
import type { DkmsInvocation } from '../invocation.ts';
import { installIsForced } from '../rpm-safe-upgrade.ts';
import { formatBadConf } from '../text/add-conf-errors.ts';
import { formatScriptChunks, parseScriptRuns, type OutputChunk } from '../text/add-remove-scripts.ts';
import { die, newTranscript, say, sayErr } from '../text/build-text.ts';
import {
  formatAlreadyInstalled,
  formatDkmsInstallation,
  formatDkmsOriginal,
  formatDkmsUninstall,
  formatNoKernelDir,
  planDkmsSanity,
  type DkmsOriginalFacts,
} from '../text/install-text.ts';
import { prepareDkmsBuild, readDkmsBuilt, runQueuedBuilds, type QueuedBuild } from './build.ts';
import {
  dkmsDirectives,
  dkmsTargets,
  printRuns,
  sayModuleConfRead,
  type DkmsKernelRun,
} from './kernel-run.ts';

/** A kernel that reached do_install's own work (built, or building now). */
interface PendingInstall {
  run: DkmsKernelRun;
  module: string;
  version: string;
  /** Installed already and --force: dkms uninstalls it first. */
  reinstall: boolean;
}

/**
 * set_module_suffix: ".ko" and the compression the kernel's modules.dep shows, read where dkms reads it
 * (/lib/modules/<K>, whatever --installtree says).
 */
export async function readDkmsModuleSuffix(inv: DkmsInvocation, kernel: string): Promise<string> {
  const dep = (await readOptional(underRoot(inv.ctx.paths.root, `/lib/modules/${kernel}/modules.dep`))) ?? '';
  for (const suffix of ['.zst', '.xz', '.gz']) if (dep.includes(`${suffix}:`)) return `.ko${suffix}`;
  return '.ko';
}

/** do_uninstall's text for a module active on the kernel (install --force), from the trees before the install. */
async function sayReinstallUninstall(
  inv: DkmsInvocation,
  p: PendingInstall,
  suffix: string,
): Promise<Set<string>> {
  const { ctx } = inv;
  const { release: kernel, arch } = p.run.target;
  const { conf } = await readRegisteredConf(ctx, p.module, p.version, p.run.target, {
    directives: dkmsDirectives(inv),
  });
  const deleted = new Set<string>();
  const originals = tree.originalModules(ctx.paths, p.module, kernel, arch);
  const modules = [];
  for (const record of conf.modules) {
    let foundIn: string | undefined;
    for (const location of new Set([record.destLocation, record.rawDestLocation])) {
      const file = await findModuleFile(path.join(ctx.paths.installTree, kernel, location), record.destName);
      if (file === undefined) continue;
      foundIn = location;
      deleted.add(file);
      break;
    }
    modules.push({
      file: `${record.destName}${suffix}`,
      foundIn,
      hasOriginal: (await findModuleFile(originals, record.destName)) !== undefined,
    });
  }
  say(
    p.run.t,
    formatDkmsUninstall({
      module: p.module,
      version: p.version,
      kernel,
      arch,
      installTree: ctx.paths.installTree,
      distroId: ctx.distro.id,
      modules,
      originalsDir: (await isDir(originals)) ? originals : undefined,
      dkmsTree: ctx.paths.dkmsTree,
    }),
  );
  return deleted;
}

/** Where do_install's text for a kernel leaves room for the scripts, which run during kmodforge's install. */
interface InstallText {
  /** The modules dkms's version check refused: dkms installs the others, and marks the kernel installed. */
  refused: Set<string>;
  /** The chunk PRE_INSTALL's text goes before: after the first module's version check, if it passed. */
  preInstallAt: number | undefined;
  /** The chunk POST_INSTALL's text goes before: depmod's. */
  postInstallAt: number;
}

/**
 * do_install's text for one kernel, from the trees as they are before kmodforge installs; undefined after
 * a `die`.
 */
async function sayDkmsInstall(inv: DkmsInvocation, p: PendingInstall): Promise<InstallText | undefined> {
  const { ctx, args } = inv;
  const { t, target } = p.run;
  const { release: kernel, arch } = target;
  const kernelTree = path.join(ctx.paths.installTree, kernel);
  if (!(await isDir(kernelTree))) {
    die(t, 6, formatNoKernelDir(ctx.paths.installTree, kernel));
    return undefined;
  }
  const suffix = await readDkmsModuleSuffix(inv, kernel);
  let conf;
  try {
    ({ conf } = await readRegisteredConf(ctx, p.module, p.version, target, {
      directives: dkmsDirectives(inv),
    }));
  } catch (error) {
    if (!(error instanceof KmodError)) throw error;
    die(t, 8, formatBadConf(args.conf ?? '').split('\n'));
    return undefined;
  }
  sayModuleConfRead(inv, t, p.module, p.version, conf);
  const deleted = p.reinstall ? await sayReinstallUninstall(inv, p, suffix) : new Set<string>();
  const linked = !p.reinstall && (await readKernelLink(ctx.paths, p.module, kernel, arch)) !== undefined;
  const originals = tree.originalModules(ctx.paths, p.module, kernel, arch);
  const builtDir = tree.builtModules(ctx.paths, { module: p.module, version: p.version, kernel, arch });
  let alreadyFound = false;
  const refused = new Set<string>();
  let preInstallAt: number | undefined;
  for (const [i, record] of conf.modules.entries()) {
    const file = `${record.destName}${suffix}`;
    say(t, `\n${file}:\n`);
    const existing = (await findModulesNamed(kernelTree, record.destName)).filter((f) => !deleted.has(f));
    const built = await findModuleFile(builtDir, record.destName);
    const only = existing.length === 1 ? existing[0] : undefined;
    const ours = only !== undefined && built !== undefined ? await readModuleVersion(built) : undefined;
    const theirs = only !== undefined ? await readModuleVersion(only) : undefined;
    const sanity = planDkmsSanity({
      file,
      kernel,
      existing: existing.length,
      ours,
      theirs,
      verdict: ours !== undefined && theirs !== undefined ? compareModuleVersions(ours, theirs) : undefined,
      force: installIsForced(args),
      forceVersionOverride: args.forceVersionOverride,
    });
    say(t, sanity.out);
    if (sanity.err !== '') sayErr(t, sanity.err);
    if (!sanity.ok) {
      refused.add(record.destName);
      continue;
    }
    if (i === 0) preInstallAt = t.chunks.length;
    let original: DkmsOriginalFacts;
    if (linked)
      original =
        (await findModuleFile(originals, record.destName)) !== undefined
          ? { kind: 'stored-before' }
          : { kind: 'never-had' };
    else {
      const candidates = [];
      for (const dir of ['/extra', '/updates', record.destLocation]) {
        const found = await findModuleFile(path.join(kernelTree, dir), record.destName);
        if (found !== undefined && !deleted.has(found)) candidates.push(found);
      }
      const first = [...candidates, ...existing][0];
      original = first === undefined ? { kind: 'none' } : { kind: 'found', file: first };
    }
    say(t, formatDkmsOriginal(original, { distroId: ctx.distro.id, archiveDir: originals, alreadyFound }));
    if (original.kind === 'found') alreadyFound = true;
    say(t, formatDkmsInstallation(ctx.paths.installTree, kernel, record.destLocation));
  }
  const postInstallAt = t.chunks.length;
  say(t, 'depmod...\n');
  return { refused, preInstallAt, postInstallAt };
}

/**
 * The scripts' text in do_install's, where dkms prints it; a PRE_INSTALL that failed (without --force)
 * ends the kernel's text there, as dkms's die 101 does.
 */
function sayInstallScripts(inv: DkmsInvocation, p: PendingInstall, text: InstallText): void {
  const { t, target } = p.run;
  const runs = parseScriptRuns(inv.events, ['PRE_INSTALL', 'POST_INSTALL'], target);
  const chunksOf = (kind: string): OutputChunk[] => formatScriptChunks(runs.filter((r) => r.kind === kind));
  const pre = runs.find((r) => r.kind === 'pre_install');
  if (text.preInstallAt !== undefined && pre?.ran === true && pre.status !== 0 && !inv.args.force) {
    t.chunks.splice(text.preInstallAt, t.chunks.length - text.preInstallAt, ...chunksOf('pre_install'));
    return;
  }
  t.chunks.splice(text.postInstallAt, 0, ...chunksOf('post_install'));
  if (text.preInstallAt !== undefined) t.chunks.splice(text.preInstallAt, 0, ...chunksOf('pre_install'));
}

/** Installs the kernels dkms would install, in one kmodforge transaction; a failure is each kernel's error. */
async function runInstalls(
  locked: LockedContext,
  inv: DkmsInvocation,
  pending: readonly (PendingInstall & { text: InstallText })[],
): Promise<void> {
  const first = pending[0];
  if (first === undefined) return;
  const outcomes = await installModule(locked, {
    module: first.module,
    version: first.version,
    targets: pending.map((p) => p.run.target),
    force: installIsForced(inv.args),
    directives: dkmsDirectives(inv),
    noDepmod: inv.args.noDepmod,
    dkmsScripts: true,
    dkmsRefused: new Map(
      pending.map((p) => [`${p.run.target.release}/${p.run.target.arch}`, p.text.refused]),
    ),
    modprobe: inv.args.modprobeOnInstall || (inv.ctx.framework.values.modprobe_on_install ?? '') !== '',
  });
  for (const [i, o] of outcomes.entries()) {
    const p = pending[i];
    if (p === undefined) continue;
    sayInstallScripts(inv, p, p.text);
    if (o.status !== 'failed' || o.error === undefined) continue;
    die(p.run.t, o.error.exitCode, [o.error.message, ...(o.error.hint === undefined ? [] : [o.error.hint])]);
  }
}

/**
 * dkms install: maybe_install_module for each kernel in order. Builds that are needed run together first;
 * each kernel's install text is then told from the trees as dkms finds them, and kmodforge installs every
 * kernel in one transaction.
 */
export function runDkmsInstall(inv: DkmsInvocation): Promise<number> {
  return withMutation(inv.ctx, async (locked) => {
    const { args, ctx } = inv;
    const module = args.module ?? '';
    const version = args.moduleVersion ?? '';
    const runs: DkmsKernelRun[] = [];
    const queued: QueuedBuild[] = [];
    const pending: PendingInstall[] = [];
    for (const target of dkmsTargets(inv)) {
      const run = { target, t: newTranscript() };
      runs.push(run);
      const built = await readDkmsBuilt(inv, module, version, target, run.t);
      if (built instanceof KmodError) {
        die(run.t, 8, formatBadConf(args.conf ?? '').split('\n'));
        continue;
      }
      const key = { module, version, kernel: target.release, arch: target.arch };
      const installed = built && (await isInstalled(ctx.paths, key));
      if (installed && !args.force) {
        say(run.t, formatAlreadyInstalled(module, version, target.release, target.arch));
        continue;
      }
      if (built) {
        pending.push({ run, module, version, reinstall: installed });
        continue;
      }
      const q = await prepareDkmsBuild(locked, inv, run, false);
      if (q === undefined) continue;
      queued.push(q);
      pending.push({ run, module: q.module, version: q.version, reinstall: false });
    }
    await runQueuedBuilds(locked, inv, queued);
    const toInstall: (PendingInstall & { text: InstallText })[] = [];
    for (const p of pending) {
      if (p.run.t.status !== 0) continue;
      const text = await sayDkmsInstall(inv, p);
      if (text !== undefined) toInstall.push({ ...p, text });
    }
    await runInstalls(locked, inv, toInstall);
    return printRuns(inv, runs);
  });
}
