import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { quietOnClose } from '../../../src/cli/io.ts';

describe('quietOnClose', () => {
  // Issue 8, defect 6: `kmodforge status | head -1` crashed with an unhandled EPIPE.
  it('stops writing, without throwing, once the reader has gone', async () => {
    const written: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        written.push(chunk.toString());
        callback(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      },
    });
    const write = quietOnClose(stream);
    write('one\n');
    await new Promise((resolve) => setImmediate(resolve));
    write('two\n');
    write('three\n');
    expect(written).toEqual(['one\n']);
  });
});
