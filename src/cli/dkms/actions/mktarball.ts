import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { withMutation } from '../../../commands/mutation.ts';
import { makeTarball } from '../../../commands/tarball.ts';
import { KmodError } from '../../../errors.ts';
import type { KernelTarget } from '../../../kernel/target.ts';
import { planTarballName } from '../../../package/tarball/layout.ts';
import { isDir } from '../../../state/fs.ts';
import { tree } from '../../../state/tree.ts';
import type { DkmsInvocation } from '../invocation.ts';
import { readDkmsConf } from '../read-dkms-conf.ts';
import {
  formatMarkingModules,
  formatMarkingSource,
  formatTarballLocation,
  mktarballNotBuilt,
  planTarballDestination,
  tarballNoWritePermission,
  tarballNotWritten,
} from '../text/tarball.ts';

/**
 * make_tarball: each kernel's built modules (checked and announced in order, as dkms copies them), the
 * source or a binaries-only stub, written by kmodforge's mktarball where --archive (or dkms's default) says.
 */
export async function runDkmsMktarball(inv: DkmsInvocation): Promise<number> {
  const { args, ctx, io } = inv;
  const module = args.module ?? '';
  const version = args.moduleVersion ?? '';
  // make_tarball reads dkms.conf for the first kernel first.
  await readDkmsConf(
    inv,
    args.conf ?? path.join(tree.sourceLink(ctx.paths, module, version), 'dkms.conf'),
    args.conf ?? '',
    { release: args.kernels[0] ?? ctx.runningKernel, arch: args.arches[0] ?? ctx.hostArch },
    { module, version },
  );
  const targets: KernelTarget[] = args.sourceOnly
    ? []
    : args.kernels.map((release, i) => ({ release, arch: args.arches[i] ?? '' }));
  for (const { release, arch } of targets) {
    if (!(await isDir(tree.built(ctx.paths, { module, version, kernel: release, arch }))))
      throw new KmodError('INSTALL_FAILED', mktarballNotBuilt(release, arch), { exitCode: 6 });
    io.out(formatMarkingModules(release, arch));
  }
  io.out(formatMarkingSource(args.binariesOnly, tree.sourceLink(ctx.paths, module, version)));
  const { dest, name } = planTarballDestination(
    args.archive,
    tree.tarballs(ctx.paths, module, version),
    planTarballName(module, version, targets, args.sourceOnly),
  );
  io.out(formatTarballLocation(dest, name));
  // dkms creates the destination with `mkdir -p`: an empty one (--archive=/x) is not a directory it can make.
  const writable =
    dest !== '' &&
    (await mkdir(dest, { recursive: true }).then(
      () => true,
      () => false,
    ));
  if (!writable) throw new KmodError('NOT_PERMITTED', tarballNoWritePermission(dest), { exitCode: 9 });
  if (name === '') throw new KmodError('INSTALL_FAILED', tarballNotWritten, { exitCode: 6 });
  await withMutation(ctx, (locked) =>
    makeTarball(locked, {
      module,
      version,
      targets,
      sourceOnly: args.sourceOnly,
      binariesOnly: args.binariesOnly,
      archive: path.resolve(dest, name),
      sourceDateEpoch: undefined,
    }),
  );
  return 0;
}
