/**
 * A copyFile that fails on purpose, for tests that run as root and so cannot meet a real EACCES: mock
 * node:fs/promises with it (vi.mock's factory imports this file), and set `code` and `name` to make every
 * copy of a path holding `name` fail with that errno.
 */
import type { PathLike } from 'node:fs';
import type * as FsPromises from 'node:fs/promises';

export interface CopyFailure {
  code: string | undefined;
  name: Buffer;
}

export function withCopyFailure(real: typeof FsPromises, failure: CopyFailure): typeof FsPromises {
  return {
    ...real,
    copyFile: async (from: PathLike, to: PathLike, mode?: number): Promise<void> => {
      const bytes = Buffer.isBuffer(from) ? from : Buffer.from(String(from));
      if (failure.code !== undefined && bytes.includes(failure.name))
        throw Object.assign(new Error(`${failure.code}: injected`), { code: failure.code });
      await real.copyFile(from, to, mode);
    },
  };
}
