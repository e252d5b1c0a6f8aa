import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DirectiveName } from '../../../src/conf/directives.ts';
import type { ConfVariables } from '../../../src/conf/eval-script.ts';
import { evaluateConf, type EvaluatedConf } from '../../../src/conf/evaluate.ts';
import { KmodError } from '../../../src/errors.ts';
import { DetachedSleepers } from '../exec/leftover-processes.ts';

// The background processes below live for a minute or more, so an evaluation that waited for them fails
// by the test's 10 s time limit: this is a hang check, not a benchmark.
const hangCheck = { timeout: 10_000 };

const vars: ConfVariables = {
  kernelver: '6.1.0-56-amd64',
  arch: 'x86_64',
  kernel_source_dir: '/lib/modules/6.1.0-56-amd64/build',
  kernel_config: '/boot/config-6.1.0-56-amd64',
  module: 'foo',
  module_version: '1.0',
  dkms_tree: '/var/lib/dkms',
  source_tree: '/usr/src',
  install_tree: '/lib/modules',
  tmp_location: '/tmp',
  parallel_jobs: '2',
  running_distribution: 'debian12',
  current_kernel: '6.1.0-56-amd64',
  current_os: 'Linux',
};

const minimal =
  'PACKAGE_NAME=foo\nPACKAGE_VERSION=1.0\nBUILT_MODULE_NAME[0]=foo\nDEST_MODULE_LOCATION[0]=/updates\n';

let sleepers: DetachedSleepers;
let dir: string;
beforeEach(async () => {
  sleepers = await DetachedSleepers.create();
  dir = await mkdtemp(path.join(os.tmpdir(), 'kmf-conf-bg-'));
});
afterEach(async () => {
  await sleepers.killAll();
  await rm(dir, { recursive: true, force: true });
});

async function writeConf(text: string, name = 'dkms.conf'): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, text);
  return file;
}

async function evaluate(
  file: string | readonly string[],
  timeoutMs?: number,
): Promise<EvaluatedConf | KmodError> {
  const files = (typeof file === 'string' ? [file] : file).map((p) => ({ path: p, crlf: false }));
  return evaluateConf(files, vars, { timeoutMs }).catch((error: unknown) => {
    if (error instanceof KmodError) return error;
    throw error;
  });
}

function directive(conf: EvaluatedConf | KmodError, name: DirectiveName): string | undefined {
  if (conf instanceof KmodError) throw conf;
  return conf.directives.get(name)?.get(0);
}

describe('evaluateConf with a dkms.conf that leaves a process behind', hangCheck, () => {
  it('ends when bash ends although a setsid process keeps stderr open', async () => {
    const file = await writeConf(`echo a warning >&2\n${sleepers.start('62.401')}\n${minimal}`);
    const result = await evaluate(file);
    expect(directive(result, 'PACKAGE_NAME')).toBe('foo');
    expect((result as EvaluatedConf).stderr).toBe('a warning\n');
  });

  it('ends when bash ends although a background function outlives the file', async () => {
    // A forked function keeps every descriptor bash had while sourcing, not just stdout and stderr.
    const file = await writeConf(`${minimal}linger() { sleep 62.402; }\nlinger &\n`);
    const result = await evaluate(file);
    expect(directive(result, 'BUILT_MODULE_NAME')).toBe('foo');
  });

  it('fails with CONF_FAILED at the time limit when the file never ends and a setsid child holds the pipe', async () => {
    const file = await writeConf(`${minimal}${sleepers.start('62.403')}\nwhile :; do sleep 0.05; done\n`);
    const result = await evaluate(file, 1000);
    expect(result).toBeInstanceOf(KmodError);
    expect((result as KmodError).code).toBe('CONF_FAILED');
    expect((result as KmodError).message).toBe(`${file}: did not finish within 1 s when sourced by bash`);
  });
});

describe('evaluateConf handing variables from one file to the next', () => {
  it('works for a file that sets noclobber', async () => {
    const file = await writeConf(`set -o noclobber\n${minimal}`);
    const override = await writeConf('set -C\nBUILT_MODULE_NAME[0]=bar\n', 'override.conf');
    const result = await evaluate([file, override]);
    expect(directive(result, 'PACKAGE_NAME')).toBe('foo');
    expect(directive(result, 'BUILT_MODULE_NAME')).toBe('bar');
  });

  it('tells a later file that exits part way from the one before it', async () => {
    const file = await writeConf(minimal);
    const override = await writeConf('BUILT_MODULE_NAME[0]=bar\nexit 4\n', 'override.conf');
    const result = await evaluate([file, override]);
    expect(result).toBeInstanceOf(KmodError);
    expect((result as KmodError).message).toBe(
      `${override}: exited with status 4 before its end when sourced by bash`,
    );
  });
});
