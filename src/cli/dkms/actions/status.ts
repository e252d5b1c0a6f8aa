import path from 'node:path';
import { formatStatusLine, readStatus, type StatusRecord } from '../../../commands/status.ts';
import { readBuilds } from '../../../state/read-state.ts';
import { tree } from '../../../state/tree.ts';
import type { Io } from '../../io.ts';
import type { DkmsInvocation } from '../invocation.ts';
import { formatDkmsError } from '../text/messages.ts';

/**
 * show_status: dkms's lines, per -k in order (or once for every kernel, -a still filtering), from the same
 * reading as kmodforge status. dkms 3.0.10 has no "broken" state: a version whose source link leads nowhere
 * is "added" until it has a build, whose dkms.conf dkms then cannot read; it says so and lists no more for
 * that -k.
 */
export async function runDkmsStatus(inv: DkmsInvocation): Promise<number> {
  const { args, ctx, io } = inv;
  // setup_kernels_arches gives every kernel the one arch given, for status too.
  const archOf = (i: number): string | undefined =>
    args.arches.length === 1 ? args.arches[0] : args.arches[i];
  const filters =
    args.kernels.length === 0
      ? [{ kernel: undefined, arch: archOf(0) }]
      : args.kernels.map((kernel, i) => ({ kernel, arch: archOf(i) }));
  for (const filter of filters) {
    const records = await readStatus(ctx, {
      module: args.module,
      version: args.moduleVersion,
      targets: filter.kernel === undefined ? [] : [{ release: filter.kernel, arch: filter.arch }],
    });
    for (const record of filter.kernel === undefined ? withArch(records, filter.arch) : records) {
      if (record.state !== 'broken') {
        io.out(`${formatStatusLine(record)}\n`);
        continue;
      }
      const builds = await readBuilds(ctx.paths, record.module, record.version, filter);
      if (builds.length === 0) {
        io.out(`${formatStatusLine({ ...record, state: 'added' })}\n`);
        continue;
      }
      const conf = path.join(tree.sourceLink(ctx.paths, record.module, record.version), 'dkms.conf');
      io.err(formatDkmsError(['Could not locate dkms.conf file.', `File: ${conf} does not exist.`]));
      break;
    }
  }
  return 0;
}

/** -a without -k: only that arch's builds; a version built for other arches only is "added". */
function withArch(records: readonly StatusRecord[], arch: string | undefined): StatusRecord[] {
  if (arch === undefined) return [...records];
  const kept: StatusRecord[] = [];
  for (const [i, record] of records.entries()) {
    if (record.arch === undefined || record.arch === arch) {
      kept.push(record);
      continue;
    }
    const same = (r: StatusRecord): boolean => r.module === record.module && r.version === record.version;
    if (records.findIndex(same) === i && !records.some((r) => same(r) && r.arch === arch))
      kept.push({ ...record, kernel: undefined, arch: undefined, state: 'added', notes: [] });
  }
  return kept;
}

/** What `dkms status -k K [-a A]` prints on stdout, line by line, read with runDkmsStatus itself. */
export async function readDkmsStatusLines(
  inv: DkmsInvocation,
  kernel: string,
  arch: string | undefined,
): Promise<string[]> {
  let out = '';
  const io: Io = { ...inv.io, out: (text) => (out += text), err: () => undefined };
  await runDkmsStatus({
    ...inv,
    io,
    args: {
      ...inv.args,
      module: undefined,
      moduleVersion: undefined,
      kernels: [kernel],
      arches: arch === undefined ? [] : [arch],
    },
  });
  return out.split('\n').filter((line) => line !== '');
}
