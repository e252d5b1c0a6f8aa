import { describe, expect, it } from 'vitest';
import { asKmodError } from '../../../src/cli/render.ts';
import { KmodError } from '../../../src/errors.ts';

const errno = (code: string, syscall: string, path: string): NodeJS.ErrnoException =>
  Object.assign(new Error(`${code}: ${syscall} '${path}'`), { code, syscall, path });

describe('asKmodError', () => {
  // Issue 8, defect 7: mktarball without write access was a stack trace and exit 70.
  it.each([
    ['EACCES', 1, 'Cannot mkdir /var/lib/dkms/m/1/tarball: Permission denied'],
    ['EPERM', 1, 'Cannot mkdir /var/lib/dkms/m/1/tarball: Operation not permitted'],
    ['EROFS', 1, 'Cannot mkdir /var/lib/dkms/m/1/tarball: Read-only file system'],
    ['ENOSPC', 1, 'Cannot mkdir /var/lib/dkms/m/1/tarball: No space left on device'],
  ])('%s is a user error naming the path', (code, exitCode, message) => {
    const error = asKmodError(errno(code, 'mkdir', '/var/lib/dkms/m/1/tarball'));
    expect([error?.exitCode, error?.message]).toEqual([exitCode, message]);
  });

  it('keeps a KmodError, and leaves other errors to be reported as bugs', () => {
    const own = new KmodError('NOT_ADDED', 'x');
    expect(asKmodError(own)).toBe(own);
    expect(asKmodError(errno('ENOENT', 'open', '/x'))).toBeUndefined();
    expect(asKmodError(new Error('x'))).toBeUndefined();
  });
});
