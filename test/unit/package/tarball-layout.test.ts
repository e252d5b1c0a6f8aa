import { describe, expect, it } from 'vitest';
import { checkTarEntry, planTarballName } from '../../../src/package/tarball/layout.ts';

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
