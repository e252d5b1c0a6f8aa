/** Issue 9: every packaging command, and generate-mok, takes --dry-run and lists it in its help. */
import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.ts';

import { declaredOptions } from '../../support/plan-facts.ts';

const commands = ['mktarball', 'ldtarball', 'mkrpm', 'mkdeb', 'mksrpm', 'generate-mok'];

describe('--dry-run on the packaging commands', () => {
  const longs = declaredOptions;

  it.each(commands)('%s declares --dry-run', (name) => {
    expect(longs(name)).toContain('--dry-run');
  });

  it.each(commands)('%s --help lists --dry-run with its line of help', async (name) => {
    let out = '';
    const code = await main([name, '--help'], { out: (t) => (out += t), err: () => undefined, color: false });
    expect(code).toBe(0);
    expect(out).toMatch(/^ {2}--dry-run +print what would be done, and change nothing$/m);
  });
});
