import { describe, expect, it } from 'vitest';
import type { ModuleConf } from '../../../src/conf/module-conf.ts';
import { planRemove, type RemoveFacts, type RemoveMode } from '../../../src/install/remove-plan.ts';
import { resolvePaths } from '../../../src/paths.ts';

const paths = resolvePaths({ root: '/r' });
const K1 = { release: '6.1.0-56-amd64', arch: 'x86_64' };
const K2 = { release: '6.1.0-56-rt-amd64', arch: 'x86_64' };
const conf = { modules: [], scripts: {} } as unknown as ModuleConf;
const installed = (target: typeof K1): RemoveFacts['targets'][number]['uninstall'] => ({
  module: 'm',
  kernel: target.release,
  arch: target.arch,
  conf,
  installedFiles: [`/r/lib/modules/${target.release}/updates/dkms/m.ko`],
  archived: [],
  existing: new Set(),
});
const built = (t: typeof K1): string => `/r/var/lib/dkms/m/1.0/${t.release}/${t.arch}`;

function facts(
  mode: RemoveMode,
  targets: RemoveFacts['targets'],
  builtDirs: string[],
  entries = ['1.0'],
): RemoveFacts {
  return { module: 'm', version: '1.0', mode, targets, builtDirs, moduleDirEntries: entries };
}

describe('planRemove', () => {
  it.each<[string, RemoveFacts, string[], boolean]>([
    [
      'uninstall of an installed module: its files and the kernel link',
      facts('uninstall', [{ target: K1, built: true, uninstall: installed(K1) }], [built(K1)]),
      [
        'delete /r/lib/modules/6.1.0-56-amd64/updates/dkms/m.ko',
        'delete /r/var/lib/dkms/m/kernel-6.1.0-56-amd64-x86_64',
      ],
      false,
    ],
    [
      'unbuild of a built, not installed module: the build only',
      facts('unbuild', [{ target: K1, built: true, uninstall: undefined }], [built(K1), built(K2)]),
      [`delete ${built(K1)}`],
      false,
    ],
    [
      'remove of the last build: the whole module directory goes',
      facts('remove', [{ target: K1, built: true, uninstall: undefined }], [built(K1)]),
      [`delete ${built(K1)}`, 'delete /r/var/lib/dkms/m'],
      true,
    ],
    [
      'remove while another version stays: only this version goes',
      facts('remove', [{ target: K1, built: true, uninstall: undefined }], [built(K1)], ['1.0', '2.0']),
      [`delete ${built(K1)}`, 'delete /r/var/lib/dkms/m/1.0'],
      true,
    ],
    [
      'remove of one of two builds: the version stays',
      facts('remove', [{ target: K1, built: true, uninstall: undefined }], [built(K1), built(K2)]),
      [`delete ${built(K1)}`],
      false,
    ],
  ])('%s', (_, input, ops, removedVersion) => {
    const plan = planRemove(paths, input);
    expect(plan.ops.map((o) => `${o.op} ${'path' in o ? o.path : ''}`)).toEqual(ops);
    expect(plan.removedVersion).toBe(removedVersion);
  });

  it('says why nothing is done for a kernel, as dkms does', () => {
    const plan = planRemove(
      paths,
      facts('uninstall', [{ target: K2, built: false, uninstall: undefined }], []),
    );
    expect(plan.outcomes[0]?.skipped).toBe(
      'Module m 1.0 is not installed for kernel 6.1.0-56-rt-amd64 (x86_64). Skipping...',
    );
    expect(plan.ops).toEqual([]);
    expect(plan.kernels).toEqual([]);
  });

  it('runs depmod once per kernel uninstalled from', () => {
    const plan = planRemove(
      paths,
      facts(
        'uninstall',
        [
          { target: K1, built: true, uninstall: installed(K1) },
          { target: K2, built: true, uninstall: installed(K2) },
        ],
        [built(K1), built(K2)],
      ),
    );
    expect(plan.kernels).toEqual([K1.release, K2.release]);
  });
});
