import { describe, expect, it } from 'vitest';
import { readModuleSpec } from '../../../src/commands/module-arg.ts';

describe('readModuleSpec', () => {
  it('reads module/version, and -m/-v', async () => {
    expect(await readModuleSpec('foo/1.0', undefined, undefined)).toEqual({
      kind: 'registered',
      module: 'foo',
      version: '1.0',
    });
    expect(await readModuleSpec(undefined, 'foo', '2')).toEqual({
      kind: 'registered',
      module: 'foo',
      version: '2',
    });
  });

  // Issue 9: a typo'd directory was read as module "." and version "examples".
  it.each(['./examples/helo', '../helo', '/nowhere/helo', 'a/b/c', 'x/dkms.conf'])(
    '%s, which is not there, is a missing directory (exit 2)',
    async (arg) => {
      await expect(readModuleSpec(arg, undefined, undefined)).rejects.toMatchObject({
        code: 'NO_SOURCE_DIR',
        exitCode: 2,
        message: `${arg}: no such directory or dkms.conf`,
      });
    },
  );
});
