import path from 'node:path';
import { readAutoinstallPlan, runAutoinstall } from '../../../commands/autoinstall.ts';
import { KmodError } from '../../../errors.ts';
import { readKernelLink } from '../../../state/read-state.ts';
import { tree } from '../../../state/tree.ts';
import type { DkmsInvocation } from '../invocation.ts';
import { formatDkmsError } from '../text/messages.ts';
import { formatBadConf } from '../text/add-conf-errors.ts';
import {
  dkmsAutoinstallFailure,
  formatDkmsMissingDependencies,
  planDkmsAutoinstallReport,
} from '../text/autoinstall.ts';
import { writeDkmsInstallOutcome } from './install-outcome.ts';
import { readDkmsConf } from '../read-dkms-conf.ts';

/** dkms autoinstall: the first -k only (dkms 3.0.10 reads `$kernelver`, the first of its list). */
export function runDkmsAutoinstall(inv: DkmsInvocation): Promise<number> {
  return runDkmsAutoinstallOn(inv, {
    release: inv.args.kernels[0] ?? '',
    arch: inv.args.arches[0] ?? inv.ctx.hostArch,
  });
}

/**
 * dkms 3.0.10's autoinstall for one kernel, run by kmodforge in parallel (BUILD_DEPENDS first) and told
 * as dkms's sequential loop tells it: each install's own text in dkms's order, the modules whose
 * dependencies never got installed, and `die 11` when anything failed. It does not read
 * /etc/dkms/no-autoinstall: dkms's action does not (its boot service and kernel hooks do).
 */
export async function runDkmsAutoinstallOn(
  inv: DkmsInvocation,
  target: { release: string; arch: string },
): Promise<number> {
  const { args, ctx, io } = inv;
  const options = { targets: [target], noDepmod: args.noDepmod, ignoreNoAutoinstall: true };
  // dkms reads every dkms.conf before it installs anything, and a bad one ends it (read_conf_or_die).
  const unreadable = (await readAutoinstallPlan(ctx, options)).entries.find(
    (e) => e.result === 'failed' && e.install === undefined,
  );
  if (unreadable !== undefined) {
    // read_conf_or_die on the module's own dkms.conf: its complaints, then `Bad conf file`.
    const file = path.join(tree.sourceLink(ctx.paths, unreadable.module, unreadable.version), 'dkms.conf');
    await readDkmsConf(inv, file, args.conf ?? '', target, unreadable);
    throw new KmodError('CONF_INVALID', formatBadConf(args.conf ?? ''), { exitCode: 8 });
  }
  const entries = await runAutoinstall(ctx, options);
  const installed = new Set<string>();
  for (const module of new Set(entries.flatMap((e) => e.depends)))
    if ((await readKernelLink(ctx.paths, module, target.release, target.arch)) !== undefined)
      installed.add(module);
  const report = planDkmsAutoinstallReport(entries, installed);
  for (const entry of report.installs) {
    if (entry.install !== undefined) await writeDkmsInstallOutcome(inv, entry.install);
    else if (entry.error !== undefined) io.err(formatDkmsError(entry.error.message.split('\n')));
  }
  for (const missing of report.missing) io.out(formatDkmsMissingDependencies(missing));
  if (report.failed || report.missing.length > 0)
    throw new KmodError('AUTOINSTALL_FAILED', dkmsAutoinstallFailure.join('\n'), { exitCode: 11 });
  return 0;
}
