/**
 * `dkms autoinstall`, `match`, `kernel_postinst` and `kernel_prerm` side by side with dkms 3.0.10. The last
 * two are dkms 3.1's and 3.0.10 has no such action, so each row says what it is compared with:
 * kernel_postinst with 3.0.10's `autoinstall -k K` (3.1 defines it so), kernel_prerm with what 3.0.10's
 * /etc/kernel/prerm.d/dkms hook prints for the kernel, and their one-kernel checks with the same check of
 * 3.0.10's match, whose words name the action.
 */
import { execFile as execFileCallback } from 'node:child_process';
import { chmod, cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  makeSideBySide,
  normalizeSide,
  runFrontEnd,
  runRealDkms,
  type SideBySide,
  type SideRun,
} from '../../support/dkms-side-by-side.ts';
import { installedKernels } from '../../support/debian-dkms.ts';
import { inRootModules, makeSigningKeyPair, treeOptions, type TestRoot } from '../../support/test-root.ts';

const execFile = promisify(execFileCallback);
const fixtures = path.resolve(import.meta.dirname, '../../fixtures/modules');

const kernels = installedKernels();
const find = (suffix: RegExp): string => {
  const kernel = kernels.find((k) => suffix.test(k));
  if (kernel === undefined) throw new Error(`no kernel with headers matching ${String(suffix)}`);
  return kernel;
};
const generic = find(/^\d[^-]*-\d+-amd64$/);
const cloud = find(/-cloud-amd64$/);

/** How the dkms side of a row runs: the same command line, another one, or the kernel's prerm hook. */
type Reference = { kind: 'same' } | { kind: 'args'; args: string[] } | { kind: 'prerm-hook'; kernel: string };

interface Row {
  name: string;
  args: string[];
  reference?: Reference;
  /** Words to put back in dkms's output where its reference action names itself (e.g. "match"). */
  rename?: [string, string];
}

let work: string;
let sbs: SideBySide;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'kmf-autoinstall-match-'));
  sbs = await makeSideBySide({ signing: await makeSigningKeyPair(work) });
});
afterAll(async () => {
  await sbs.cleanup();
  await rm(work, { recursive: true, force: true });
});

/** Copies a fixture into both roots' source trees as <name>-1.0, AUTOINSTALL="yes" added when asked. */
async function placeSource(name: string, autoinstall: boolean): Promise<void> {
  for (const root of [sbs.dkms, sbs.kmodforge]) {
    const dir = path.join(root.sourceTree, `${name}-1.0`);
    await cp(path.join(fixtures, name), dir, { recursive: true });
    if (!autoinstall) continue;
    const conf = path.join(dir, 'dkms.conf');
    const text = await readFile(conf, 'utf8');
    if (!/^AUTOINSTALL=/m.test(text)) await writeFile(conf, `${text}AUTOINSTALL="yes"\n`);
  }
}

/** Adds a module on both sides: dkms's own add, and kmodforge's (the state trees are the same). */
async function addModule(name: string): Promise<void> {
  const dkms = await sbs.runDkmsOnly('add', `${name}/1.0`);
  expect(dkms.code, dkms.stderr).toBe(0);
  const kmodforge = await sbs.kmodforge.cli('add', `${name}/1.0`);
  expect(kmodforge.code, kmodforge.stderr).toBe(0);
}

/** 3.0.10's prerm hook, run for a kernel of the dkms root with the root's trees. */
async function runPrermHook(root: TestRoot, kernel: string): Promise<SideRun> {
  const wrapper = path.join(work, 'dkms-wrapper');
  await writeFile(
    wrapper,
    `#!/bin/sh\nexec /usr/sbin/dkms "$@" ${treeOptions(root)
      .map((o) => `'${o}'`)
      .join(' ')}\n`,
  );
  await chmod(wrapper, 0o755);
  const hook = (await readFile('/etc/kernel/prerm.d/dkms', 'utf8'))
    .replaceAll('dkms status', `${wrapper} status`)
    .replaceAll('dkms remove', `${wrapper} remove`)
    .replaceAll('"/lib/modules/', `"${root.installTree}/`);
  const script = path.join(work, 'prerm-hook');
  await writeFile(script, hook);
  const env = {
    ...process.env,
    LC_ALL: 'C',
    mok_signing_key: root.signingKey,
    mok_certificate: root.signingCertificate,
  };
  try {
    const { stdout, stderr } = await execFile(...inRootModules(root, 'sh', [script, kernel]), { env });
    return normalizeSide({ code: 0, stdout, stderr }, root.root);
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return normalizeSide({ code: failed.code, stdout: failed.stdout, stderr: failed.stderr }, root.root);
  }
}

async function runRow(row: Row): Promise<{ dkms: SideRun; kmodforge: SideRun }> {
  const reference = row.reference ?? { kind: 'same' };
  const dkmsSide =
    reference.kind === 'prerm-hook'
      ? runPrermHook(sbs.dkms, reference.kernel)
      : runRealDkms(sbs.dkms, reference.kind === 'args' ? reference.args : row.args);
  const [dkms, kmodforge] = await Promise.all([dkmsSide, runFrontEnd(sbs.kmodforge, row.args)]);
  if (row.rename === undefined) return { dkms, kmodforge };
  const [from, to] = row.rename;
  return { dkms: { ...dkms, stderr: dkms.stderr.replaceAll(from, to) }, kmodforge };
}

/** invoke_command prints a dot every 3 seconds a build runs: timing, not text, on either side. */
function withoutDots(run: SideRun): SideRun {
  return { ...run, stdout: run.stdout.replace(/(M=\S+\/build\.\.\.)\.+/g, '$1') };
}

function table(rows: readonly Row[]): void {
  for (const row of rows)
    it(row.name, async () => {
      const { dkms, kmodforge } = await runRow(row);
      expect(withoutDots(kmodforge)).toEqual(withoutDots(dkms));
    });
}

describe('with nothing to install', () => {
  table([
    { name: 'autoinstall with nothing added', args: ['autoinstall', '-k', generic] },
    {
      name: 'kernel_postinst with nothing added (vs autoinstall -k K)',
      args: ['kernel_postinst', '-k', generic],
      reference: { kind: 'args', args: ['autoinstall', '-k', generic] },
    },
    {
      name: 'kernel_prerm with nothing added (vs the prerm hook)',
      args: ['kernel_prerm', '-k', generic],
      reference: { kind: 'prerm-hook', kernel: generic },
    },
    {
      name: 'kernel_postinst with two kernels (vs match with two kernels)',
      args: ['kernel_postinst', '-k', generic, '-k', cloud],
      reference: { kind: 'args', args: ['match', '--templatekernel', generic, '-k', generic, '-k', cloud] },
      rename: ['action match', 'action kernel_postinst'],
    },
    {
      name: 'kernel_prerm with --all (vs match with --all)',
      args: ['kernel_prerm', '--all'],
      reference: { kind: 'args', args: ['match', '--templatekernel', generic, '--all'] },
      rename: ['action match', 'action kernel_prerm'],
    },
    { name: 'match without --templatekernel', args: ['match', '-k', cloud] },
    {
      name: 'match on the template kernel itself',
      args: ['match', '--templatekernel', generic, '-k', generic],
    },
    {
      name: 'match with two kernels',
      args: ['match', '--templatekernel', generic, '-k', cloud, '-k', generic],
    },
    { name: 'match with --all', args: ['match', '--templatekernel', generic, '--all'] },
    {
      name: 'match of a module not added',
      args: ['match', '--templatekernel', generic, '-k', cloud, 'kmf-nosuch'],
    },
    {
      name: 'match from a kernel that does not exist',
      args: ['match', '--templatekernel', 'nosuch', '-k', cloud],
    },
    { name: 'match with nothing installed', args: ['match', '--templatekernel', generic, '-k', cloud] },
  ]);
});

describe('BUILD_DEPENDS that are never added', () => {
  beforeAll(async () => {
    await placeSource('kmf-consumer', true);
    await addModule('kmf-consumer');
  });
  afterAll(async () => {
    await sbs.runDkmsOnly('remove', 'kmf-consumer/1.0', '--all');
    await sbs.kmodforge.cli('remove', 'kmf-consumer/1.0', '--all');
  });
  table([
    { name: 'autoinstall of a module whose dependency is missing', args: ['autoinstall', '-k', generic] },
    {
      name: 'kernel_postinst of a module whose dependency is missing (vs autoinstall -k K)',
      args: ['kernel_postinst', '-k', generic],
      reference: { kind: 'args', args: ['autoinstall', '-k', generic] },
    },
  ]);
});

describe('with modules to install', () => {
  beforeAll(async () => {
    for (const [name, autoinstall] of [
      ['kmf-simple', true],
      ['kmf-provider', true],
      ['kmf-consumer', true],
      ['kmf-broken', true],
      ['kmf-exclusive', true],
    ] as const) {
      await placeSource(name, autoinstall);
      await addModule(name);
    }
  });
  table([
    {
      name: 'autoinstall: dependencies first, a failed build, a BUILD_EXCLUSIVE module',
      args: ['autoinstall', '-k', generic, '-k', cloud],
    },
    { name: 'autoinstall on the running kernel, which has no headers', args: ['autoinstall'] },
    {
      name: 'kernel_postinst again: only the failures are tried (vs autoinstall -k K)',
      args: ['kernel_postinst', '-k', generic],
      reference: { kind: 'args', args: ['autoinstall', '-k', generic] },
    },
    { name: 'match of the installed modules', args: ['match', '--templatekernel', generic, '-k', cloud] },
    {
      name: 'match of one installed module',
      args: ['match', '--templatekernel', generic, '-k', cloud, 'kmf-provider'],
    },
    {
      name: 'match onto a kernel without headers',
      args: ['match', '--templatekernel', generic, '-k', 'nosuch'],
    },
    {
      name: 'kernel_prerm of the kernel (vs the prerm hook)',
      args: ['kernel_prerm', '-k', generic],
      reference: { kind: 'prerm-hook', kernel: generic },
    },
    { name: 'status after kernel_prerm', args: ['status'] },
  ]);
});

describe('with a dkms.conf dkms refuses', () => {
  beforeAll(async () => {
    for (const root of [sbs.dkms, sbs.kmodforge])
      await cp(path.join(fixtures, 'kmf-simple'), path.join(root.sourceTree, 'kmf-badconf-1.0'), {
        recursive: true,
      });
    for (const root of [sbs.dkms, sbs.kmodforge]) {
      const conf = path.join(root.sourceTree, 'kmf-badconf-1.0', 'dkms.conf');
      await writeFile(conf, (await readFile(conf, 'utf8')).replace('"kmf-simple"', '"kmf-badconf"'));
    }
    await addModule('kmf-badconf');
    // Broken once added: a destination outside /kernel, /updates and /extra, a module name with .ko.
    for (const root of [sbs.dkms, sbs.kmodforge]) {
      const conf = path.join(root.sourceTree, 'kmf-badconf-1.0', 'dkms.conf');
      await writeFile(
        conf,
        (await readFile(conf, 'utf8'))
          .replace(/^DEST_MODULE_LOCATION.*$/m, 'DEST_MODULE_LOCATION[0]="/usr/lib"')
          .replace(/^BUILT_MODULE_NAME.*$/m, 'BUILT_MODULE_NAME[0]="kmf_simple.ko"'),
      );
    }
  });
  for (const row of [
    { name: 'autoinstall: its complaints, then Bad conf file', args: ['autoinstall', '-k', generic] },
    {
      name: 'autoinstall with -c: Bad conf file names it',
      args: ['autoinstall', '-k', generic, '-c', '/nonexistent/dkms.conf'],
    },
  ])
    it(row.name, async () => {
      const { dkms, kmodforge } = await runRow(row);
      expect(withoutDots(kmodforge)).toEqual(withoutDots(dkms));
      expect(dkms.code).toBe(8);
      expect(dkms.stderr).toMatch(/^dkms\.conf: Error! 'BUILT_MODULE_NAME' directive ends in/);
    });
});
