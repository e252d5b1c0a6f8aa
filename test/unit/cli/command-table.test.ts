import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { commandTable } from '../../../src/cli/command-table.ts';
import type { Io } from '../../../src/cli/io.ts';

const silent: Io = { out: () => undefined, err: () => undefined, color: false };

describe('the command table', () => {
  it.each(commandTable.map((entry) => [entry.names[0] ?? '', entry] as const))(
    '%s: the names are those its module registers',
    async (_, entry) => {
      const program = new Command('kmodforge');
      (await entry.load())(program, silent, { result: undefined });
      expect(program.commands.flatMap((c) => [c.name(), ...c.aliases()])).toEqual(entry.names);
    },
  );

  it('names each command once', () => {
    const names = commandTable.flatMap((entry) => entry.names);
    expect(new Set(names).size).toBe(names.length);
  });
});
