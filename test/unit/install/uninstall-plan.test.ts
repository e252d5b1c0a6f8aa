import { describe, expect, it } from 'vitest';
import type { ModuleConf } from '../../../src/conf/module-conf.ts';
import type { Op } from '../../../src/install/journal.ts';
import { planUninstallOps, type UninstallFacts } from '../../../src/install/uninstall-plan.ts';
import { resolvePaths } from '../../../src/paths.ts';
import { existingPaths } from '../../support/plan-facts.ts';

const paths = resolvePaths({ root: '/r' });
const K = '6.1.0-56-amd64';
const A = 'x86_64';
/** The kernel's module tree, <installTree>/<K>. */
const KT = `/r/lib/modules/${K}`;
const DEST = `${KT}/updates/dkms`;
/** DEST_MODULE_LOCATION as written in dkms.conf (the distro override moved it to /updates/dkms). */
const RAW = `${KT}/kernel/drivers/misc`;
const ORIGINALS = `/r/var/lib/dkms/m/original_module/${K}/${A}`;
const unlink: Op = { op: 'delete', path: `/r/var/lib/dkms/m/kernel-${K}-${A}` };

/** Only the fields the planner reads. */
const conf = {
  modules: [
    { destName: 'm', destLocation: '/updates/dkms', rawDestLocation: '/kernel/drivers/misc' },
    { destName: 'n', destLocation: '/updates/dkms', rawDestLocation: '/kernel/drivers/misc' },
  ],
} as unknown as ModuleConf;

const existing = existingPaths;

function facts(overrides: Partial<UninstallFacts>): UninstallFacts {
  return {
    module: 'm',
    kernel: K,
    arch: A,
    conf,
    installedFiles: [`${DEST}/m.ko`],
    archived: [],
    existing: existing(`${DEST}/m.ko`),
    ...overrides,
  };
}

describe('planUninstallOps', () => {
  it.each<[string, UninstallFacts, Op[]]>([
    [
      'no archived original (dkms: "No original module was found"): rm -f the installed files, rm -f kernel-K-A',
      facts({ installedFiles: [`${DEST}/m.ko`, `${DEST}/n.ko.xz`] }),
      [{ op: 'delete', path: `${DEST}/m.ko` }, { op: 'delete', path: `${DEST}/n.ko.xz` }, unlink],
    ],
    [
      'nothing installed any more: only the kernel link goes',
      facts({ installedFiles: [], existing: existing(KT) }),
      [unlink],
    ],
    [
      'original with an .origin inside the kernel tree: moved back there, its missing dir made from the kernel tree, .origin deleted',
      facts({
        archived: [{ file: `${ORIGINALS}/m.ko`, origin: `/lib/modules/${K}/kernel/drivers/net/m.ko` }],
        existing: existing(`${DEST}/m.ko`),
      }),
      [
        { op: 'delete', path: `${DEST}/m.ko` },
        { op: 'mkdir', path: `${KT}/kernel/drivers/net`, existingParent: KT },
        { op: 'move', from: `${ORIGINALS}/m.ko`, to: `${KT}/kernel/drivers/net/m.ko` },
        { op: 'delete', path: `${ORIGINALS}/m.ko.origin` },
        unlink,
      ],
    ],
    [
      'original with an .origin inside the kernel tree: the mkdir is undone only down to the deepest existing dir',
      facts({
        archived: [{ file: `${ORIGINALS}/m.ko.xz`, origin: `/lib/modules/${K}/kernel/drivers/net/m.ko.xz` }],
        existing: existing(`${DEST}/m.ko`, `${KT}/kernel/drivers`),
      }),
      [
        { op: 'delete', path: `${DEST}/m.ko` },
        { op: 'mkdir', path: `${KT}/kernel/drivers/net`, existingParent: `${KT}/kernel/drivers` },
        { op: 'move', from: `${ORIGINALS}/m.ko.xz`, to: `${KT}/kernel/drivers/net/m.ko.xz` },
        { op: 'delete', path: `${ORIGINALS}/m.ko.xz.origin` },
        unlink,
      ],
    ],
    [
      'original moved away from the dest path on install: the installed file goes, then the original comes back in its place',
      facts({
        archived: [{ file: `${ORIGINALS}/m.ko`, origin: `/lib/modules/${K}/updates/dkms/m.ko` }],
        existing: existing(`${DEST}/m.ko`),
      }),
      [
        { op: 'delete', path: `${DEST}/m.ko` },
        { op: 'move', from: `${ORIGINALS}/m.ko`, to: `${DEST}/m.ko` },
        { op: 'delete', path: `${ORIGINALS}/m.ko.origin` },
        unlink,
      ],
    ],
    [
      'two originals going back to the same missing dir: one mkdir',
      facts({
        installedFiles: [`${DEST}/m.ko`, `${DEST}/n.ko`],
        archived: [
          { file: `${ORIGINALS}/m.ko`, origin: `/lib/modules/${K}/kernel/net/m.ko` },
          { file: `${ORIGINALS}/n.ko`, origin: `/lib/modules/${K}/kernel/net/n.ko` },
        ],
        existing: existing(`${DEST}/m.ko`, `${DEST}/n.ko`),
      }),
      [
        { op: 'delete', path: `${DEST}/m.ko` },
        { op: 'delete', path: `${DEST}/n.ko` },
        { op: 'mkdir', path: `${KT}/kernel/net`, existingParent: KT },
        { op: 'move', from: `${ORIGINALS}/m.ko`, to: `${KT}/kernel/net/m.ko` },
        { op: 'delete', path: `${ORIGINALS}/m.ko.origin` },
        { op: 'move', from: `${ORIGINALS}/n.ko`, to: `${KT}/kernel/net/n.ko` },
        { op: 'delete', path: `${ORIGINALS}/n.ko.origin` },
        unlink,
      ],
    ],
    [
      'an .origin outside the kernel tree (/etc/m.ko) is not followed: back to DEST_MODULE_LOCATION as written, as dkms 3.0.10 does',
      facts({
        archived: [{ file: `${ORIGINALS}/m.ko`, origin: '/etc/m.ko' }],
        existing: existing(`${DEST}/m.ko`, RAW),
      }),
      [
        { op: 'delete', path: `${DEST}/m.ko` },
        { op: 'move', from: `${ORIGINALS}/m.ko`, to: `${RAW}/m.ko` },
        { op: 'delete', path: `${ORIGINALS}/m.ko.origin` },
        unlink,
      ],
    ],
    [
      'an .origin escaping the kernel tree with .. is not followed: DEST_MODULE_LOCATION, its missing dir made',
      facts({
        archived: [{ file: `${ORIGINALS}/m.ko`, origin: `/lib/modules/${K}/../../../etc/m.ko` }],
        existing: existing(`${DEST}/m.ko`),
      }),
      [
        { op: 'delete', path: `${DEST}/m.ko` },
        { op: 'mkdir', path: RAW, existingParent: KT },
        { op: 'move', from: `${ORIGINALS}/m.ko`, to: `${RAW}/m.ko` },
        { op: 'delete', path: `${ORIGINALS}/m.ko.origin` },
        unlink,
      ],
    ],
    [
      "an .origin in another kernel's tree whose name starts with this kernel's is not followed: DEST_MODULE_LOCATION",
      facts({
        archived: [{ file: `${ORIGINALS}/m.ko`, origin: `/lib/modules/${K}-rt/kernel/drivers/misc/m.ko` }],
        existing: existing(`${DEST}/m.ko`, RAW),
      }),
      [
        { op: 'delete', path: `${DEST}/m.ko` },
        { op: 'move', from: `${ORIGINALS}/m.ko`, to: `${RAW}/m.ko` },
        { op: 'delete', path: `${ORIGINALS}/m.ko.origin` },
        unlink,
      ],
    ],
    [
      'an archived original named by no dkms.conf record, outside the tree: /updates',
      facts({
        archived: [{ file: `${ORIGINALS}/other.ko`, origin: '/etc/other.ko' }],
        existing: existing(`${DEST}/m.ko`),
      }),
      [
        { op: 'delete', path: `${DEST}/m.ko` },
        { op: 'move', from: `${ORIGINALS}/other.ko`, to: `${KT}/updates/other.ko` },
        { op: 'delete', path: `${ORIGINALS}/other.ko.origin` },
        unlink,
      ],
    ],
    [
      'original archived as a copy (Debian/Ubuntu) and still in place: only the copy and its .origin are deleted',
      facts({
        archived: [{ file: `${ORIGINALS}/m.ko`, origin: `/lib/modules/${K}/kernel/drivers/misc/m.ko` }],
        existing: existing(`${DEST}/m.ko`, `${RAW}/m.ko`),
      }),
      [
        { op: 'delete', path: `${DEST}/m.ko` },
        { op: 'delete', path: `${ORIGINALS}/m.ko` },
        { op: 'delete', path: `${ORIGINALS}/m.ko.origin` },
        unlink,
      ],
    ],
    [
      'original archived without an .origin (by dkms 3.0.10 itself): mv to DEST_MODULE_LOCATION as written, with mkdir -p, no .origin to delete',
      facts({
        archived: [{ file: `${ORIGINALS}/m.ko.xz`, origin: undefined }],
        existing: existing(`${DEST}/m.ko`),
      }),
      [
        { op: 'delete', path: `${DEST}/m.ko` },
        { op: 'mkdir', path: RAW, existingParent: KT },
        { op: 'move', from: `${ORIGINALS}/m.ko.xz`, to: `${RAW}/m.ko.xz` },
        unlink,
      ],
    ],
    [
      'original without an .origin whose DEST_MODULE_LOCATION target still exists: only the archived copy is deleted',
      facts({
        archived: [{ file: `${ORIGINALS}/m.ko`, origin: undefined }],
        existing: existing(`${DEST}/m.ko`, `${RAW}/m.ko`),
      }),
      [{ op: 'delete', path: `${DEST}/m.ko` }, { op: 'delete', path: `${ORIGINALS}/m.ko` }, unlink],
    ],
  ])('%s', (_, input, expected) => {
    expect(planUninstallOps(paths, input)).toEqual(expected);
  });
});
