import { access, constants } from 'node:fs/promises';
import { parseDirectiveOverride } from '../../conf/directive-override.ts';
import { deprecatedDirectives, type RawDirectives } from '../../conf/directives.ts';
import { evaluateConf } from '../../conf/evaluate.ts';
import { planConfVariables, planOverrideFiles, readConfText } from '../../conf/read.ts';
import { readContextKernel } from '../../context.ts';
import { KmodError } from '../../errors.ts';
import type { KernelTarget } from '../../kernel/target.ts';
import { exists } from '../../state/fs.ts';
import type { DkmsInvocation } from './invocation.ts';
import { formatBadConf, planDkmsConfErrors } from './text/add-conf-errors.ts';
import { formatDkmsConfRead } from './text/build-text.ts';

/**
 * dkms's read_conf_or_die on one file: exit 4 if it cannot be read, its DIRECTIVE lines, and, for a file
 * it refuses, its complaints on stderr and exit 8 naming `conf`. Returns the directives as bash left them.
 */
export async function readDkmsConf(
  inv: DkmsInvocation,
  file: string,
  conf: string,
  target: KernelTarget,
  module: { module: string; version: string } = { module: '', version: '' },
  /** The name dkms sources the file by, if not `file`. */
  sourcedAs: string = file,
): Promise<RawDirectives> {
  const { ctx, io, args } = inv;
  try {
    await access(file, constants.R_OK);
  } catch {
    throw new KmodError('CONF_NOT_FOUND', `Could not locate dkms.conf file.\nFile: ${file} does not exist.`);
  }
  const text = await readConfText(file);
  const kernel = await readContextKernel(ctx, target.release);
  const overrides = planOverrideFiles(
    ctx.paths.etcDkms,
    module.module,
    module.version,
    target.release,
    target.arch,
  );
  const present = [];
  for (const f of overrides) if (await exists(f)) present.push({ path: f, crlf: false });
  const evaluated = await evaluateConf(
    [{ path: file, crlf: text.includes('\r') }, ...present],
    planConfVariables(
      { paths: ctx.paths, kernel, arch: target.arch, distro: ctx.distro, runningKernel: ctx.runningKernel },
      module.module,
      module.version,
    ),
    { overrides: args.directives.map(parseDirectiveOverride) },
  );
  const printed = formatDkmsConfRead({
    files: [sourcedAs, ...present.map((f) => f.path)],
    deprecated: deprecatedDirectives.filter((d) => evaluated.directives.has(d)),
    directives: args.directives,
  });
  if (printed.err !== '') io.err(printed.err);
  io.out(printed.out);
  const errors = planDkmsConfErrors(evaluated.directives);
  if (errors.length > 0) {
    io.err(errors.map((l) => `${l}\n`).join(''));
    throw new KmodError('CONF_INVALID', formatBadConf(conf));
  }
  return evaluated.directives;
}
