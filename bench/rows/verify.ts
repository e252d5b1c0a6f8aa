/**
 * A warm `kmodforge verify` of one module in one kernel: kmf-simple built for the amd64 kernel, its
 * linux-image package given with --kernel-package, one verify to extract the kernel into the root's verify
 * cache, then the timed rounds. dkms has no equivalent, so the row has no baseline: its goal is the issue's
 * absolute time.
 */
import { fetchLinuxImage } from '../../test/support/linux-image.ts';
import { fixtureDir, kernelOfFlavor } from '../../test/support/test-root.ts';
import { median, ok } from '../harness.ts';
import { atMost, seconds, side } from '../result.ts';
import { kmodforge } from '../tools.ts';
import type { RowGroup } from './group.ts';

interface VerifyRecord {
  type: string;
  ok?: boolean;
  boot?: string;
  seconds?: number;
}

/** The verify's own result record (its boot and the time it measured itself), from --json. */
function readResult(stdout: string): VerifyRecord {
  const result = stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as VerifyRecord)
    .find((r) => r.type === 'result');
  if (result?.ok !== true) throw new Error(`verify did not load the module:\n${stdout}`);
  return result;
}

export const verifyGroup: RowGroup = {
  id: 'verify',
  rows: [{ id: 'verify-warm', title: 'warm `verify` of one module in one kernel (QEMU, TCG)' }],
  defaultRounds: 5,
  cost: 'about 3 s per round, after a minute to fetch and extract the kernel once',
  run: async (ctx) => {
    const rounds = ctx.rounds(verifyGroup.defaultRounds);
    const kernel = kernelOfFlavor(ctx.kernels, 'amd64');
    const deb = await fetchLinuxImage(kernel);
    const root = await ctx.newRoot('verify', [kernel]);
    ok(
      await kmodforge(root, ['build', fixtureDir('kmf-simple'), '-k', kernel]),
      'kmodforge build kmf-simple',
    );
    const args = ['verify', 'kmf-simple/1.0', '-k', kernel, '--kernel-package', deb, '--json'];
    const cold = ok(await kmodforge(root, args), 'the first (cold) verify');
    ctx.log(`verify: cold (kernel extracted into the cache) ${cold.wall.toFixed(2)} s`);
    const walls: number[] = [];
    const own: number[] = [];
    let boot = '';
    for (let i = 0; i < rounds; i++) {
      const run = ok(await kmodforge(root, args), 'verify');
      const result = readResult(run.stdout);
      walls.push(run.wall);
      own.push(result.seconds ?? Number.NaN);
      boot = result.boot ?? '';
      ctx.log(`verify round ${i + 1}/${rounds}: ${run.wall.toFixed(2)} s`);
    }
    await ctx.dropRoot(root);
    const kmf = side('kmodforge', walls);
    return [
      {
        id: 'verify-warm',
        title: verifyGroup.rows[0]?.title ?? 'verify-warm',
        rounds,
        baseline: { label: 'dkms 3.0.10: no equivalent', wall: Number.NaN },
        kmodforge: kmf,
        goals: [atMost('<= 4 s', kmf.wall, 4, seconds)],
        notes: [
          `\`verify kmf-simple/1.0 -k ${kernel} --kernel-package <linux-image .deb>\` as a process, the kernel already extracted into the root's verify cache by one cold verify (${seconds(cold.wall)}); boot: ${boot}`,
          `the verify's own measure (from the package's sha256 to the parsed results), median ${seconds(median(own))}; the rest is Node starting and loading the command`,
          `rounds: ${walls.map((w) => seconds(w)).join(', ')}`,
        ],
      },
    ];
  },
};
