import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonLines, runCliOnTerminal } from '../../support/cli.ts';
import { arch, copyFixture, kernelOfFlavor, makeTestRoot, type TestRoot } from '../../support/test-root.ts';

const M = 'kmf-simple';

describe('builds for three kernels, one of which fails', () => {
  let t: TestRoot;
  let good: [string, string];
  let failing: string;
  const kernelArgs = (): string[] => [...good, failing].flatMap((k) => ['-k', k]);

  beforeAll(async () => {
    t = await makeTestRoot({ prefix: 'kmf-progress-' });
    good = [kernelOfFlavor(t.kernels, 'amd64'), kernelOfFlavor(t.kernels, 'cloud-amd64')];
    failing = kernelOfFlavor(t.kernels, 'rt-amd64');
    await copyFixture(M, path.join(t.sourceTree, `${M}-1.0`));
    // dkms's per-kernel override: only this kernel's make fails.
    await mkdir(path.join(t.root, 'etc', 'dkms'), { recursive: true });
    await writeFile(path.join(t.root, 'etc', 'dkms', `${M}-1.0-${failing}.conf`), 'MAKE[0]="false"\n');
    expect((await t.cli('add', `${M}/1.0`)).code).toBe(0);
  });
  afterAll(async () => {
    await t.cleanup();
  });

  it('without a terminal: the failure stops neither other build, and each finished build is one line', async () => {
    const { code, stdout, stderr } = await t.cli('build', `${M}/1.0`, ...kernelArgs());
    expect(code).toBe(10);
    for (const k of good) await access(t.builtKo(M, '1.0', k, 'kmf_simple'));
    await expect(access(path.join(t.dkmsTree, M, '1.0', failing))).rejects.toThrow();
    // Besides the builds' lines: the first signed build's note that it generated the signing key.
    const lines = stdout
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('Generated the module signing key'));
    // In the order they finished; sorted: the two built (amd64, cloud-amd64), then the failed one.
    const sorted = lines.toSorted();
    expect(sorted).toHaveLength(3);
    good.forEach((k, i) => {
      expect(sorted[i]).toMatch(new RegExp(`^Built ${M}/1\\.0 for ${k} \\(${arch}\\) in \\d+\\.\\d s$`));
    });
    expect(sorted[2]).toMatch(new RegExp(`^Failed ${M}/1\\.0 for ${failing} \\(${arch}\\) in \\d+\\.\\d s$`));
    expect(stderr).toContain(`${M}/1.0 for ${failing} (${arch}): make failed`);
  });

  it('keeps every step of a build with its start and duration in make.log', async () => {
    const log = await readFile(path.join(t.dkmsTree, M, '1.0', good[0], arch, 'log', 'make.log'), 'utf8');
    for (const step of ['building the module', 'stripping kmf_simple', 'signing kmf_simple']) {
      expect(log).toMatch(
        new RegExp(
          `# ${step}\\n# started: \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\n# command: .*\\n[^]*?# exit code: 0\\n# elapsed time: \\d\\d:\\d\\d:\\d\\d \\(\\d+\\.\\d{3} s\\)\\n`,
        ),
      );
    }
  });

  it('with --json: every build event names its build and its time, and each start last time’s duration', async () => {
    const { code, stdout } = await t.cli(
      'build',
      `${M}/1.0`,
      ...kernelArgs(),
      '--force',
      '--no-cache',
      '--json',
    );
    expect(code).toBe(10);
    const records = jsonLines(stdout);
    const events = records.filter((r) => String(r['type']).startsWith('build-'));
    for (const e of events) {
      expect(e).toMatchObject({ module: M, version: '1.0', arch, time: expect.any(String) as unknown });
      expect([...good, failing]).toContain(e['kernel']);
    }
    const starts = events.filter((e) => e['type'] === 'build-start');
    expect(starts).toHaveLength(3);
    // The kernels built before have their own last time; the failed one gets the module's latest.
    for (const s of starts) expect(s['estimateSeconds']).toEqual(expect.any(Number));
    const stepsOf = (k: string): unknown[] =>
      events.filter((e) => e['type'] === 'build-step' && e['kernel'] === k).map((e) => e['step']);
    for (const k of good)
      expect(stepsOf(k)).toEqual(expect.arrayContaining(['copying source', expect.stringMatching(/^make /)]));
    // The failing kernel's make command is its override's.
    expect(stepsOf(failing)).toEqual(['copying source', 'false']);
    expect(
      records
        .filter((r) => r['type'] === 'build')
        .map((r) => [r['kernel'], r['status']])
        .toSorted(),
    ).toEqual([...good.map((k) => [k, 'built']), [failing, 'failed']].toSorted());
  });

  it('on a terminal: a live view of the running builds, then a summary of every result', async () => {
    const { code, stdout, stderr, terminal } = await runCliOnTerminal(
      200,
      '--root',
      t.root,
      'build',
      `${M}/1.0`,
      ...kernelArgs(),
      '--force',
      '--no-cache',
    );
    expect(code).toBe(10);
    expect(terminal).toMatch(/Building: [1-3] running/);
    expect(terminal).toMatch(new RegExp(`  ${M}/1\\.0  ${good[0]}\\s+\\d+ s / ~\\d+ s  `));
    expect(stderr).toContain(`${M}/1.0 for ${failing} (${arch}): make failed`);
    const table = stdout.slice(stdout.indexOf('MODULE')).split('\n');
    expect(table[0]).toMatch(/^MODULE\s+KERNEL\s+ARCH\s+RESULT\s+TIME$/);
    // In the order of -k.
    good.forEach((k, i) => {
      expect(table[i + 1]).toMatch(new RegExp(`^${M}/1\\.0\\s+${k}\\s+${arch}\\s+built\\s+\\d+\\.\\d s$`));
    });
    expect(table[3]).toMatch(
      new RegExp(`^${M}/1\\.0\\s+${failing}\\s+${arch}\\s+failed \\(exit 10\\)\\s+\\d+\\.\\d s$`),
    );
    expect(table[4]).toBe('3 in all, 1 failed');
  });
});
