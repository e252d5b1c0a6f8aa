import { describe, expect, it } from 'vitest';
import type { ModuleConf } from '../../../src/conf/module-conf.ts';
import { planInstallOps, type InstallFacts } from '../../../src/install/install-plan.ts';
import type { Op } from '../../../src/install/journal.ts';
import type { OriginalModule } from '../../../src/install/originals.ts';
import { resolvePaths } from '../../../src/paths.ts';
import { existingPaths } from '../../support/plan-facts.ts';

const paths = resolvePaths({ root: '/r' });
const K = '6.1.0-56-amd64';
const A = 'x86_64';
/** The kernel's module tree, <installTree>/<K>. */
const KT = `/r/lib/modules/${K}`;
/** A sibling kernel whose name starts with K's: "inside the kernel tree" must mean under `${KT}/`. */
const KT_RT = `/r/lib/modules/${K}-rt`;
const DEST = `${KT}/updates/dkms`;
const ORIGINALS = `/r/var/lib/dkms/m/original_module/${K}/${A}`;
const LINK = `/r/var/lib/dkms/m/kernel-${K}-${A}`;
const built = (name: string, version = '2.0'): string =>
  `/r/var/lib/dkms/m/${version}/${K}/${A}/module/${name}`;

/** Only the fields the planner reads. */
const confOf = (...modules: { destName: string; destLocation: string }[]): ModuleConf =>
  ({ modules: modules.map((m) => ({ ...m, rawDestLocation: m.destLocation })) }) as unknown as ModuleConf;
const oneModule = confOf({ destName: 'm', destLocation: '/updates/dkms' });

const existing = existingPaths;

const found = (file: string): OriginalModule => ({ kind: 'found', file });

function facts(overrides: Partial<InstallFacts>): InstallFacts {
  return {
    module: 'm',
    version: '2.0',
    kernel: K,
    arch: A,
    conf: oneModule,
    builtFiles: new Map([['m', built('m.ko')]]),
    linkedVersion: undefined,
    staleFiles: [],
    originals: new Map([['m', { kind: 'none' }]]),
    existing: existing(KT),
    archiveByCopy: false,
    ...overrides,
  };
}

const firstLink: Op = { op: 'link', link: LINK, target: `2.0/${K}/${A}`, previous: undefined };

describe('planInstallOps', () => {
  it.each<[string, InstallFacts, Op[]]>([
    [
      'first install, no original: mkdir -p of the missing dest dir (undone down to the kernel tree), cp, ln -s kernel-K-A',
      facts({}),
      [
        { op: 'mkdir', path: DEST, existingParent: KT },
        { op: 'place', source: built('m.ko'), dest: `${DEST}/m.ko`, replaces: false },
        firstLink,
      ],
    ],
    [
      'first install, no original: the mkdir is undone only down to the deepest directory that exists',
      facts({ existing: existing(`${KT}/updates`) }),
      [
        { op: 'mkdir', path: DEST, existingParent: `${KT}/updates` },
        { op: 'place', source: built('m.ko'), dest: `${DEST}/m.ko`, replaces: false },
        firstLink,
      ],
    ],
    [
      'first install into an existing dest dir: no mkdir',
      facts({ existing: existing(`${DEST}/other.ko`) }),
      [{ op: 'place', source: built('m.ko'), dest: `${DEST}/m.ko`, replaces: false }, firstLink],
    ],
    [
      'first install shadowing an original at the dest path, moved (dkms mv -f to original_module/): the place replaces nothing',
      facts({ originals: new Map([['m', found(`${DEST}/m.ko`)]]), existing: existing(`${DEST}/m.ko`) }),
      [
        { op: 'move', from: `${DEST}/m.ko`, to: `${ORIGINALS}/m.ko` },
        { op: 'write', path: `${ORIGINALS}/m.ko.origin`, text: `/lib/modules/${K}/updates/dkms/m.ko\n` },
        { op: 'place', source: built('m.ko'), dest: `${DEST}/m.ko`, replaces: false },
        firstLink,
      ],
    ],
    [
      'first install shadowing an original at the dest path, archived by copy (Debian/Ubuntu leave it): the place replaces it',
      facts({
        originals: new Map([['m', found(`${DEST}/m.ko`)]]),
        existing: existing(`${DEST}/m.ko`),
        archiveByCopy: true,
      }),
      [
        { op: 'copy', from: `${DEST}/m.ko`, to: `${ORIGINALS}/m.ko` },
        { op: 'write', path: `${ORIGINALS}/m.ko.origin`, text: `/lib/modules/${K}/updates/dkms/m.ko\n` },
        { op: 'place', source: built('m.ko'), dest: `${DEST}/m.ko`, replaces: true },
        firstLink,
      ],
    ],
    [
      'first install shadowing an in-tree original elsewhere (only same-named module, dkms archive_pref4), moved; .origin keeps its suffix and the path under the root',
      facts({
        originals: new Map([['m', found(`${KT}/kernel/drivers/misc/m.ko.xz`)]]),
        existing: existing(`${KT}/kernel/drivers/misc/m.ko.xz`),
      }),
      [
        { op: 'move', from: `${KT}/kernel/drivers/misc/m.ko.xz`, to: `${ORIGINALS}/m.ko.xz` },
        {
          op: 'write',
          path: `${ORIGINALS}/m.ko.xz.origin`,
          text: `/lib/modules/${K}/kernel/drivers/misc/m.ko.xz\n`,
        },
        { op: 'mkdir', path: DEST, existingParent: KT },
        { op: 'place', source: built('m.ko'), dest: `${DEST}/m.ko`, replaces: false },
        firstLink,
      ],
    ],
    [
      'first install shadowing an in-tree original elsewhere, archived by copy: it stays, the new module goes beside it',
      facts({
        originals: new Map([['m', found(`${KT}/kernel/drivers/misc/m.ko`)]]),
        existing: existing(`${KT}/kernel/drivers/misc/m.ko`),
        archiveByCopy: true,
      }),
      [
        { op: 'copy', from: `${KT}/kernel/drivers/misc/m.ko`, to: `${ORIGINALS}/m.ko` },
        {
          op: 'write',
          path: `${ORIGINALS}/m.ko.origin`,
          text: `/lib/modules/${K}/kernel/drivers/misc/m.ko\n`,
        },
        { op: 'mkdir', path: DEST, existingParent: KT },
        { op: 'place', source: built('m.ko'), dest: `${DEST}/m.ko`, replaces: false },
        firstLink,
      ],
    ],
    [
      'first install with several same-named modules in the tree (dkms: "does not know which to pick"): nothing archived',
      facts({
        originals: new Map<string, OriginalModule>([
          ['m', { kind: 'ambiguous', files: [`${KT}/kernel/a/m.ko`, `${KT}/kernel/b/m.ko`] }],
        ]),
        existing: existing(`${KT}/kernel/a/m.ko`, `${KT}/kernel/b/m.ko`),
      }),
      [
        { op: 'mkdir', path: DEST, existingParent: KT },
        { op: 'place', source: built('m.ko'), dest: `${DEST}/m.ko`, replaces: false },
        firstLink,
      ],
    ],
    [
      'first install of a compressed build: the dest keeps the built file name (dkms cp to ${toinstall##*/})',
      facts({ builtFiles: new Map([['m', built('m.ko.zst')]]), existing: existing(DEST) }),
      [{ op: 'place', source: built('m.ko.zst'), dest: `${DEST}/m.ko.zst`, replaces: false }, firstLink],
    ],
    [
      'two modules: one mkdir per missing dir, each archived original by its own name',
      facts({
        conf: confOf(
          { destName: 'm', destLocation: '/updates/dkms' },
          { destName: 'n', destLocation: '/updates/dkms' },
          { destName: 'o', destLocation: '/extra' },
        ),
        builtFiles: new Map([
          ['m', built('m.ko')],
          ['n', built('n.ko')],
          ['o', built('o.ko')],
        ]),
        originals: new Map<string, OriginalModule>([
          ['m', { kind: 'none' }],
          ['n', found(`${KT}/kernel/n.ko`)],
          ['o', { kind: 'none' }],
        ]),
        existing: existing(`${KT}/kernel/n.ko`),
      }),
      [
        { op: 'move', from: `${KT}/kernel/n.ko`, to: `${ORIGINALS}/n.ko` },
        { op: 'write', path: `${ORIGINALS}/n.ko.origin`, text: `/lib/modules/${K}/kernel/n.ko\n` },
        { op: 'mkdir', path: DEST, existingParent: KT },
        { op: 'place', source: built('m.ko'), dest: `${DEST}/m.ko`, replaces: false },
        { op: 'place', source: built('n.ko'), dest: `${DEST}/n.ko`, replaces: false },
        { op: 'mkdir', path: `${KT}/extra`, existingParent: KT },
        { op: 'place', source: built('o.ko'), dest: `${KT}/extra/o.ko`, replaces: false },
        firstLink,
      ],
    ],
    [
      'a module whose built file is missing from builtFiles: no mkdir and no place for it',
      facts({
        conf: confOf(
          { destName: 'm', destLocation: '/updates/dkms' },
          { destName: 'n', destLocation: '/extra' },
        ),
      }),
      [
        { op: 'mkdir', path: DEST, existingParent: KT },
        { op: 'place', source: built('m.ko'), dest: `${DEST}/m.ko`, replaces: false },
        firstLink,
      ],
    ],
    [
      'reinstall over an older linked version (dkms: original already stored, none archived again): old files not overwritten are deleted, only inside the kernel tree; the link keeps its previous target',
      facts({
        linkedVersion: '1.0',
        originals: new Map([['m', found(`${DEST}/m.ko`)]]),
        staleFiles: [
          `${DEST}/m.ko`,
          `${DEST}/gone.ko`,
          `${KT}/extra/old.ko.xz`,
          `${KT_RT}/updates/dkms/gone.ko`,
          '/r/etc/gone.ko',
        ],
        existing: existing(
          `${DEST}/m.ko`,
          `${DEST}/gone.ko`,
          `${KT}/extra/old.ko.xz`,
          `${KT_RT}/updates/dkms/gone.ko`,
          '/r/etc/gone.ko',
        ),
      }),
      [
        { op: 'place', source: built('m.ko'), dest: `${DEST}/m.ko`, replaces: true },
        { op: 'delete', path: `${DEST}/gone.ko` },
        { op: 'delete', path: `${KT}/extra/old.ko.xz` },
        { op: 'link', link: LINK, target: `2.0/${K}/${A}`, previous: `1.0/${K}/${A}` },
      ],
    ],
    [
      'reinstall over an older linked version into a dest dir it removed: mkdir, then the link moves on',
      facts({
        linkedVersion: '1.0',
        staleFiles: [`${KT}/extra/m.ko`],
        existing: existing(`${KT}/extra/m.ko`),
      }),
      [
        { op: 'mkdir', path: DEST, existingParent: KT },
        { op: 'place', source: built('m.ko'), dest: `${DEST}/m.ko`, replaces: false },
        { op: 'delete', path: `${KT}/extra/m.ko` },
        { op: 'link', link: LINK, target: `2.0/${K}/${A}`, previous: `1.0/${K}/${A}` },
      ],
    ],
    [
      'forced reinstall of the linked version: replaces its own file, archives nothing, link re-pointed at itself',
      facts({ linkedVersion: '2.0', existing: existing(`${DEST}/m.ko`) }),
      [
        { op: 'place', source: built('m.ko'), dest: `${DEST}/m.ko`, replaces: true },
        { op: 'link', link: LINK, target: `2.0/${K}/${A}`, previous: `2.0/${K}/${A}` },
      ],
    ],
  ])('%s', (_, input, expected) => {
    expect(planInstallOps(paths, input)).toEqual(expected);
  });
});
