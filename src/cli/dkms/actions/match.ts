import { access, constants, stat } from 'node:fs/promises';
import path from 'node:path';
import { KmodError } from '../../../errors.ts';
import { isDir, exists } from '../../../state/fs.ts';
import { tree } from '../../../state/tree.ts';
import type { DkmsInvocation } from '../invocation.ts';
import { formatDkmsError } from '../text/messages.ts';
import { planDkmsSignFile, planDkmsSigningStart } from '../text/build-text.ts';
import {
  dkmsMatchNothingToDo,
  dkmsMatchSameKernel,
  dkmsMatchUsage,
  formatDkmsMatchHeader,
  formatDkmsMatchModule,
  formatDkmsMatchNotAdded,
  formatDkmsMissingHeaders,
  formatDkmsMissingSource,
  parseDkmsMatchLine,
  planDkmsMatchLines,
} from '../text/match.ts';
import { readDkmsStatusLines } from './status.ts';

/**
 * run_match, as dkms 3.0.10 runs it (see text/match.ts): its checks, the template's installed modules,
 * and for each the build and install of a pair that is never added, which both end in add_module's
 * `die 2`. Nothing is built or installed, as with dkms.
 */
export async function runDkmsMatch(inv: DkmsInvocation): Promise<number> {
  const { args, ctx, io } = inv;
  const kernel = args.kernels[0] ?? '';
  const arch = args.arches[0] ?? ctx.hostArch;
  const template = args.templateKernel ?? '';
  if (template === '') throw new KmodError('MISSING_ARGS', dkmsMatchUsage.join('\n'), { exitCode: 1 });
  if (template === kernel) throw new KmodError('USAGE', dkmsMatchSameKernel, { exitCode: 2 });
  const module = args.module ?? '';
  if (module !== '' && !(await isDir(tree.module(ctx.paths, module))))
    throw new KmodError('NOT_ADDED', formatDkmsMatchNotAdded(module), { exitCode: 3 });
  const lines = planDkmsMatchLines(await readDkmsStatusLines(inv, template, arch), module);
  io.out(formatDkmsMatchHeader(kernel, template, arch));
  if (lines.length === 0) {
    io.out(dkmsMatchNothingToDo);
    return 0;
  }
  const headers = args.kernelSourceDir ?? path.join(ctx.paths.installTree, kernel, 'build');
  if (!(await exists(path.join(headers, 'include'))))
    throw new KmodError('NO_HEADERS', formatDkmsMissingHeaders(kernel), { exitCode: 1 });
  let status = 0;
  for (const line of lines) {
    const pair = parseDkmsMatchLine(line);
    io.out(formatDkmsMatchModule(pair));
    // maybe_build_module, then maybe_install_module, whose do_install builds first: each prepares the
    // signing, then fails to add the pair.
    for (let attempt = 0; attempt < 2; attempt++) {
      io.out(await readSigningPreamble(inv, kernel));
      io.err(formatDkmsError(formatDkmsMissingSource(ctx.paths.sourceTree, pair).split('\n')));
      status = 2;
    }
  }
  return status;
}

/** prepare_signing's lines for a kernel, up to where the build would start. */
async function readSigningPreamble(inv: DkmsInvocation, kernel: string): Promise<string> {
  const { ctx } = inv;
  const isFile = async (file: string): Promise<boolean> =>
    (await stat(file).catch(() => undefined))?.isFile() === true;
  let signFile = ctx.signing.signFile ?? planDkmsSignFile(kernel, ctx.distro.id) ?? '';
  if (ctx.signing.signFile === undefined && !(await isFile(signFile)))
    signFile = `/lib/modules/${kernel}/build/scripts/sign-file`;
  const usable =
    (await isFile(signFile)) &&
    (await access(signFile, constants.X_OK).then(
      () => true,
      () => false,
    ));
  const start = planDkmsSigningStart({
    signFile,
    signFileUsable: usable,
    key: ctx.signing.key,
    certificate: ctx.signing.certificate,
    keyExists: await isFile(ctx.signing.key),
    certificateExists: await isFile(ctx.signing.certificate),
  });
  return start.lines.map((l) => `${l}\n`).join('');
}
