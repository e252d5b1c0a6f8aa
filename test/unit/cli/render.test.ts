import { describe, expect, it } from 'vitest';
import { asKmodError, formatEvent } from '../../../src/cli/render.ts';
import type { ScriptEvent, ScriptKind } from '../../../src/context.ts';
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

describe('formatEvent: script runs, as kmodforge printed them before they were events', () => {
  const run = (kind: ScriptKind, ran: boolean): ScriptEvent => ({
    type: 'script',
    kind,
    module: 'm',
    version: '1',
    kernel: 'K',
    arch: 'x86_64',
    script: 'scripts/a.sh arg',
    path: '/usr/src/m-1/scripts/a.sh',
    ran,
    exitStatus: 0,
    stdout: 'out\n',
    stderr: 'err\n',
    output: 'out\nerr\n\n',
  });
  const options = { quiet: false, verbose: false };

  it('a module script: its heading and both streams as they came, trimmed, on stdout', () => {
    expect(formatEvent(options, false, run('POST_INSTALL', true))).toEqual({
      to: 'out',
      text: 'Running the post_install script: scripts/a.sh arg\nout\nerr\n',
    });
  });

  it('one that is not executable: a warning naming the file', () => {
    expect(formatEvent(options, false, run('POST_ADD', false))).toEqual({
      to: 'err',
      text: 'Warning: The post_add script /usr/src/m-1/scripts/a.sh is not executable; not running it.\n',
    });
  });

  it("a build's scripts: nothing (their output is in make.log), but for the warning", () => {
    expect(formatEvent(options, false, run('PRE_BUILD', true))).toBeUndefined();
    expect(formatEvent(options, false, run('POST_BUILD', false))?.to).toBe('err');
    expect(formatEvent({ quiet: true, verbose: false }, false, run('POST_ADD', true))).toBeUndefined();
  });
});
