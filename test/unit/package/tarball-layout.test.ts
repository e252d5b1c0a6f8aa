import { describe, expect, it } from 'vitest';
import {
  checkTarEntry,
  planTarballLoad,
  planTarballName,
  type TarEntry,
} from '../../../src/package/tarball/layout.ts';

describe('dkms tarball names', () => {
  it('names the kernels, or source-only, or manykernels past 200 characters', () => {
    expect(
      planTarballName(
        'hello',
        '1.0',
        [
          { release: '6.1.0-56-amd64', arch: 'x86_64' },
          { release: '6.1.0-56-rt-amd64', arch: 'x86_64' },
        ],
        false,
      ),
    ).toBe('hello-1.0-kernel6.1.0-56-amd64-x86_64-kernel6.1.0-56-rt-amd64-x86_64.dkms.tar.gz');
    expect(planTarballName('hello', '1.0', [], true)).toBe('hello-1.0-source-only.dkms.tar.gz');
    const many = Array.from({ length: 10 }, (_, i) => ({
      release: `6.1.0-${i}-cloud-amd64`,
      arch: 'x86_64',
    }));
    expect(planTarballName('hello', '1.0', many, false)).toBe('hello-1.0-manykernels.dkms.tar.gz');
  });
});

describe('checkTarEntry', () => {
  it.each([
    [{ path: 'dkms_source_tree/hello.c', type: 'File' }, undefined],
    [{ path: 'dkms_main_tree/6.1.0/x86_64/module/', type: 'Directory' }, undefined],
    [{ path: 'dkms_source_tree/link', type: 'SymbolicLink', linkpath: 'hello.c' }, undefined],
    [{ path: 'dkms_source_tree/sub/link', type: 'SymbolicLink', linkpath: '../hello.c' }, undefined],
    [{ path: '/etc/passwd', type: 'File' }, 'has an absolute path'],
    [{ path: 'a/../../b', type: 'File' }, 'has a ".." component'],
    [
      { path: 'a/link', type: 'SymbolicLink', linkpath: '../../etc' },
      'is a link to ../../etc, outside the archive',
    ],
    [{ path: 'a/link', type: 'SymbolicLink', linkpath: '/etc' }, 'is a link to the absolute path /etc'],
    [{ path: 'a/hard', type: 'Link', linkpath: '../x' }, 'is a link to ../x, outside the archive'],
    [
      { path: 'a/null', type: 'CharacterDevice' },
      'is a CharacterDevice entry (only files, directories and links are allowed)',
    ],
    [{ path: 'a/fifo', type: 'FIFO' }, 'is a FIFO entry (only files, directories and links are allowed)'],
  ])('%j', (entry, reason) => {
    expect(checkTarEntry(entry)).toBe(reason);
  });
});

describe('planTarballLoad', () => {
  const K = '6.1.0-56-amd64';
  const dir = (p: string): TarEntry => ({ path: p, type: 'Directory' });
  const file = (p: string): TarEntry => ({ path: p, type: 'File' });
  const link = (p: string, linkpath: string): TarEntry => ({ path: p, type: 'SymbolicLink', linkpath });
  const dkms = (...more: TarEntry[]): TarEntry[] => [
    dir('./'),
    dir('./dkms_main_tree/'),
    dir(`./dkms_main_tree/${K}/`),
    dir(`./dkms_main_tree/${K}/x86_64/`),
    dir(`./dkms_main_tree/${K}/x86_64/module/`),
    file(`./dkms_main_tree/${K}/x86_64/module/real.ko`),
    dir('./dkms_source_tree/'),
    file('./dkms_source_tree/dkms.conf'),
    ...more,
  ];
  const problems = (entries: TarEntry[]): string[] => planTarballLoad(entries).problems;

  it('plans the source and every kernel/arch of a dkms tarball', () => {
    expect(
      planTarballLoad(
        dkms(dir(`./dkms_main_tree/${K}/i686/`), link(`./dkms_main_tree/${K}/x86_64/module/m.ko`, 'real.ko')),
      ).plan,
    ).toEqual({
      kind: 'dkms',
      confDir: 'dkms_source_tree',
      builds: [
        { release: K, arch: 'i686' },
        { release: K, arch: 'x86_64' },
      ],
    });
  });

  it('takes a binaries-only stub, and a plain source tarball by its first dkms.conf', () => {
    const stub = dkms().filter((e) => !e.path.includes('dkms_source_tree'));
    expect(planTarballLoad([...stub, file('dkms_binaries_only/dkms.conf')]).plan?.confDir).toBe(
      'dkms_binaries_only',
    );
    expect(
      planTarballLoad([file('b/dkms.conf'), file('a/z/dkms.conf'), file('a/y.c'), link('a/z/l', 'x/../k.c')])
        .plan,
    ).toEqual({ kind: 'source', confDir: 'a/z' });
  });

  // Issue 8, defect 1: a relative link was rewritten to the temporary extraction directory; a link must
  // stay inside the part of the archive it is copied with.
  it('refuses a link that leads out of its kernel directory or out of the source', () => {
    expect(
      problems(dkms(link(`dkms_main_tree/${K}/x86_64/module/m.ko`, '../../../../dkms_source_tree/x'))),
    ).toEqual([
      `dkms_main_tree/${K}/x86_64/module/m.ko is a link to ../../../../dkms_source_tree/x, outside dkms_main_tree/${K}/x86_64`,
    ]);
    expect(problems([file('a/z/dkms.conf'), file('a/y.c'), link('a/z/l', '../y.c')])).toEqual([
      'a/z/l is a link to ../y.c, outside a/z',
    ]);
  });

  // Issue 8, defects 7 and 8: a kernel entry that is a file, an arch entry that is a file, kernel names such
  // as -rf, and names too long for the file system were taken as they came.
  it.each([
    [
      [file(`dkms_main_tree/${K}`)],
      `dkms_main_tree/${K} must be a directory (dkms_main_tree/<kernel>/<arch>/), not a File`,
    ],
    [[file(`dkms_main_tree/${K}/x86_64`)], `dkms_main_tree/${K}/x86_64 must be a directory`],
    [
      [dir('dkms_main_tree/-rf/'), dir('dkms_main_tree/-rf/x86_64/')],
      '"-rf" is not a kernel release: it must not begin with "-"',
    ],
    [[dir(`dkms_main_tree/${K}/..x/`)], '"..x" is not an arch'],
    [[file(`dkms_source_tree/${'d/'.repeat(1600)}f`)], 'has a path longer than 3072 bytes'],
    [[file(`dkms_source_tree/${'n'.repeat(300)}`)], 'has a name longer than 255 bytes'],
    [
      [link(`dkms_main_tree/${K}/x86_64/module/m.ko`, '/tmp/kmodforge-ldtarball-x/m.ko')],
      'is a link to the absolute path',
    ],
    [[{ path: 'dkms_source_tree/fifo', type: 'FIFO' }], 'is a FIFO entry'],
  ])('refuses %#', (more, message) => {
    expect(problems(dkms(...more)).join('\n')).toContain(message);
  });

  it('refuses a tarball without dkms.conf', () => {
    expect(problems([file('a/Makefile')])).toEqual(['no dkms.conf found within it']);
    expect(problems(dkms().filter((e) => !e.path.endsWith('dkms.conf')))).toEqual([
      'no dkms.conf in dkms_source_tree or dkms_binaries_only',
    ]);
  });
});
