import { withMutation } from '../../../commands/mutation.ts';
import { loadTarballOutcome } from '../../../commands/tarball.ts';
import { KmodError } from '../../../errors.ts';
import { readTarComplaints, readTarEntries } from '../../../package/tarball/archive.ts';
import { planDkmsConfDir, type TarEntry } from '../../../package/tarball/layout.ts';
import { exists } from '../../../state/fs.ts';
import { tree } from '../../../state/tree.ts';
import { runCommand } from '../../../exec/run.ts';
import { dkmsChildEnv, type DkmsInvocation } from '../invocation.ts';
import { writeRpmSafeUpgradeLock } from '../rpm-safe-upgrade.ts';
import {
  addAlreadyAdded,
  formatBinariesOnlyStub,
  formatBuildKept,
  formatCreatingSymlink,
  formatForcingInstall,
  formatLoadingBuild,
  formatLoadingTarball,
  ldtarballAlreadyAdded,
  ldtarballForceNeedsRoot,
  ldtarballMissing,
  ldtarballNotDkms,
  ldtarballRpmFailed,
} from '../text/tarball.ts';
import { runDkmsAutoinstall } from './autoinstall.ts';
import { printPostAdd } from './kernel-run.ts';

/** The tarball's entries; for one tar cannot read, tar's own complaints (as dkms prints them) and exit 7. */
async function readDkmsTarEntries(inv: DkmsInvocation, archive: string): Promise<TarEntry[]> {
  try {
    return await readTarEntries(archive);
  } catch (error) {
    if (!(error instanceof KmodError) || error.code !== 'ARCHIVE_INVALID') throw error;
    inv.io.err(await readTarComplaints(archive));
    throw new KmodError('ARCHIVE_INVALID', ldtarballNotDkms(archive), { exitCode: 7 });
  }
}

/**
 * load_tarball of an .rpm: dkms installs it with `rpm -Uvh` (its output is rpm's own), then its autoinstall
 * is the whole action's end and exit status.
 */
async function loadRpm(inv: DkmsInvocation, archive: string): Promise<number> {
  const result = await runCommand('rpm', ['-Uvh', archive], { env: dkmsChildEnv(inv.env) });
  inv.io.out(result.stdout);
  inv.io.err(result.stderr);
  if (result.exitCode !== 0)
    throw new KmodError('INSTALL_FAILED', ldtarballRpmFailed(archive), { exitCode: 9 });
  return runDkmsAutoinstall(inv);
}

/**
 * load_tarball && add_module: a tarball made by mktarball (dkms's or kmodforge's) is loaded by kmodforge's
 * ldtarball, and what it did is told in dkms's words. A binaries-only tarball whose source is not in the
 * source tree leaves a stub and exits 1, as dkms's does; --force over a module that is added loads the
 * builds and ends in add's exit 3, as dkms's does.
 */
export async function runDkmsLdtarball(inv: DkmsInvocation): Promise<number> {
  const { args, ctx, io } = inv;
  if (!inv.isRoot && args.force)
    throw new KmodError('NOT_PERMITTED', ldtarballForceNeedsRoot, { exitCode: 1 });
  const archive = args.archive ?? '';
  if (archive === '' || !(await exists(archive)))
    throw new KmodError('NO_SOURCE_DIR', ldtarballMissing(archive), { exitCode: 2 });
  if (archive.endsWith('.rpm')) return loadRpm(inv, archive);
  if (planDkmsConfDir(await readDkmsTarEntries(inv, archive)) === undefined)
    throw new KmodError('ARCHIVE_INVALID', ldtarballNotDkms(archive), { exitCode: 7 });
  const target = { release: args.kernels[0] ?? ctx.runningKernel, arch: args.arches[0] ?? ctx.hostArch };
  const from = inv.events.length;
  const outcome = await withMutation(ctx, (locked) =>
    loadTarballOutcome(locked, {
      file: archive,
      force: args.force,
      target,
      confirm: (module, version, added) => {
        if (added && !args.force)
          throw new KmodError('ALREADY_ADDED', ldtarballAlreadyAdded(module, version), { exitCode: 8 });
      },
    }),
  );
  const { module, version } = outcome.result;
  const link = tree.sourceLink(ctx.paths, module, version);
  io.out(formatLoadingTarball(module, version));
  if (outcome.from === 'source' && args.force && outcome.hadSourceDir) {
    io.err('\n');
    io.out(formatForcingInstall(module, version));
  }
  if (outcome.from === 'binaries-only' && !outcome.hadSourceDir) io.out(formatBinariesOnlyStub(link));
  for (const { target: build, loaded } of outcome.builds) {
    const dir = tree.built(ctx.paths, { module, version, kernel: build.release, arch: build.arch });
    if (loaded) io.out(formatLoadingBuild(dir));
    else io.err(formatBuildKept(dir));
  }
  if (outcome.from === 'binaries-only' && !outcome.hadSourceDir) return 1;
  // add_module from here: the lock comes before its already-added check.
  await writeRpmSafeUpgradeLock(inv, module, version);
  if (outcome.wasAdded) throw new KmodError('ALREADY_ADDED', addAlreadyAdded(module, version));
  io.out(formatCreatingSymlink(link, tree.source(ctx.paths, module, version)));
  return printPostAdd(io, inv.events.slice(from));
}
