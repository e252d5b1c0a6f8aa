import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withJobSlots, type JobServer } from '../../../src/build/job-slots.ts';
import { runTasks } from '../../../src/build/schedule.ts';
import { baseEnv, runCommand, type RunResult } from '../../../src/exec/run.ts';
import { jsonLines } from '../../support/cli.ts';
import {
  arch,
  copyFixture,
  makeTempDir,
  makeTestRoot,
  modinfo,
  statusLines,
  type TestRoot,
} from '../../support/test-root.ts';

/**
 * kmf-jobs compiles through count-cc, which records the most compiles of its six objects that ever ran at
 * once, over every build of a command: the jobserver all builds share must keep that within -j.
 */
async function addCountingModule(
  t: TestRoot,
  dir: string,
  edit: (conf: string) => string = (c) => c,
): Promise<{ most: () => Promise<number> }> {
  const counts = path.join(dir, 'counts');
  await mkdir(counts, { recursive: true });
  await writeFile(path.join(counts, 'now'), '0\n');
  await writeFile(path.join(counts, 'most'), '0\n');
  const source = await copyFixture('kmf-jobs', path.join(dir, 'src'), { 'dkms.conf': edit });
  await writeFile(path.join(source, 'count-dir'), `${counts}\n`);
  expect((await t.cli('add', source)).code).toBe(0);
  return { most: async () => Number(await readFile(path.join(counts, 'most'), 'utf8')) };
}

describe('builds that share one jobserver', () => {
  let t: TestRoot;
  let tmp: string;

  beforeAll(async () => {
    t = await makeTestRoot({ prefix: 'kmf-jobs-' });
    tmp = await makeTempDir('kmf-jobs-src-');
  });
  afterAll(async () => {
    await t.cleanup();
    await rm(tmp, { recursive: true, force: true });
  });

  it('never run more compiles at once than -j, across builds for three kernels, and keep every job busy', async () => {
    const counter = await addCountingModule(t, path.join(tmp, 'plain'));
    const targets = t.kernels.flatMap((k) => ['-k', k]);
    const { code, stderr } = await t.cli('build', 'kmf-jobs/1.0', ...targets, '-j', '2');
    expect([code, stderr]).toEqual([0, '']);
    expect(await counter.most()).toBe(2);
    const kernel = t.kernels[0] ?? '';
    const log = await readFile(
      path.join(t.dkmsTree, 'kmf-jobs', '1.0', kernel, arch, 'log', 'make.log'),
      'utf8',
    );
    expect(log).toContain(`# command: make KERNELRELEASE=${kernel} -C `);
    expect(log).not.toMatch(/jobserver unavailable|-jN forced/);
  });

  it('hold a MAKE that dkms gives no -j (one starting with "(") to the same budget', async () => {
    const counter = await addCountingModule(t, path.join(tmp, 'subshell'), (conf) =>
      conf
        .replace('PACKAGE_NAME="kmf-jobs"', 'PACKAGE_NAME="kmf-jobs-sub"')
        .replace(/MAKE\[0\]="(.*)"/, 'MAKE[0]="( $1 )"')
        .replaceAll('${PACKAGE_NAME}', 'kmf-jobs-sub'),
    );
    const targets = t.kernels.flatMap((k) => ['-k', k]);
    const { code, stderr } = await t.cli('build', 'kmf-jobs-sub/1.0', ...targets, '-j', '2');
    expect([code, stderr]).toEqual([0, '']);
    expect(await counter.most()).toBeLessThanOrEqual(2);
    expect(await counter.most()).toBeGreaterThan(0);
  });
});

describe('autoinstall of dependent modules for every kernel at once', () => {
  let t: TestRoot;
  let tmp: string;

  beforeAll(async () => {
    t = await makeTestRoot({ prefix: 'kmf-jobs-deps-' });
    tmp = await makeTempDir('kmf-jobs-deps-src-');
  });
  afterAll(async () => {
    await t.cleanup();
    await rm(tmp, { recursive: true, force: true });
  });

  it('starts a dependent build for a kernel only once its dependency is installed there', async () => {
    for (const name of ['kmf-consumer', 'kmf-provider']) {
      const source = await copyFixture(name, path.join(tmp, name), {
        'dkms.conf': (conf) => `${conf}AUTOINSTALL="yes"\n`,
      });
      expect((await t.cli('add', source)).code).toBe(0);
    }
    const targets = t.kernels.flatMap((k) => ['-k', k]);
    const { code, stdout } = await t.cli('autoinstall', ...targets, '-j', '2', '--json');
    expect(code).toBe(0);
    const events = jsonLines(stdout);
    for (const kernel of t.kernels) {
      const at = (type: string, module: string): number =>
        events.findIndex((e) => e['type'] === type && e['module'] === module && e['kernel'] === kernel);
      expect(at('build-done', 'kmf-provider')).toBeGreaterThanOrEqual(0);
      expect(at('build-start', 'kmf-consumer')).toBeGreaterThan(at('build-done', 'kmf-provider'));
      const consumer = path.join(t.root, 'lib', 'modules', kernel, 'updates', 'dkms', 'kmf_consumer.ko');
      expect((await modinfo('depends', consumer)).split(',')).toContain('kmf_provider');
    }
    expect(await statusLines(t, 'kmf-consumer')).toHaveLength(t.kernels.length);
  });
});

describe('the jobs of builds that end', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await makeTempDir('kmf-jobs-tail-');
    // Eight half-second jobs that record the most of them that ran at once (flock serializes the count).
    await writeFile(
      path.join(dir, 'jobs.mk'),
      [
        'all: $(foreach i,1 2 3 4 5 6 7 8,j$(i))',
        'j%:',
        "\t@flock lock sh -c 'n=$$(($$(cat now) + 1)); echo $$n >now; [ $$n -le $$(cat most) ] || echo $$n >most'",
        '\t@sleep 0.5',
        "\t@flock lock sh -c 'echo $$(($$(cat now) - 1)) >now'",
        '',
      ].join('\n'),
    );
    await writeFile(path.join(dir, 'now'), '0\n');
    await writeFile(path.join(dir, 'most'), '0\n');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('go to the builds still running: the last one alone gets the whole budget', async () => {
    const shell = (script: string, server: JobServer | undefined): Promise<RunResult> =>
      runCommand('bash', ['-c', script], {
        cwd: dir,
        env: baseEnv(server === undefined ? {} : { MAKEFLAGS: server.makeflags }),
        passFds: server === undefined ? undefined : [server.fd, server.fd],
      });
    // The first task holds make's implicit job longest, the second a token; the third waits for the
    // second's token, and must get the first's job too once it ends.
    const outcomes = await withJobSlots(2, (slots) =>
      runTasks(
        [
          { id: 'first', after: [], run: (a) => shell('sleep 1', a.server) },
          { id: 'second', after: [], run: (a) => shell('sleep 0.2', a.server) },
          { id: 'third', after: [], run: (a) => shell('make -s -f jobs.mk', a.server) },
        ],
        slots,
      ),
    );
    expect(outcomes.map((o) => o.ok && o.value.exitCode)).toEqual([0, 0, 0]);
    expect(Number(await readFile(path.join(dir, 'most'), 'utf8'))).toBe(2);
  });
});
