/** Helpers for unit tests of the pure planners: facts as the read* functions would report them. */
import path from 'node:path';
import { buildProgram } from '../../src/cli/program.ts';
import type { Io } from '../../src/cli/io.ts';

/** These paths and all their ancestors, as read-install-facts.ts readExisting reports them. */
export function existingPaths(...files: string[]): Set<string> {
  const set = new Set<string>();
  for (const file of files)
    for (let current = file; current !== path.dirname(current); current = path.dirname(current))
      set.add(current);
  return set;
}

const silent: Io = { out: () => undefined, err: () => undefined, color: false };
const program = await buildProgram(silent, { result: undefined });

/** The visible long options a CLI command declares, read from the real command table. */
export function declaredOptions(name: string): string[] {
  return (
    program.commands
      .find((c) => c.name() === name)
      ?.options.filter((o) => !o.hidden)
      .map((o) => o.long ?? o.short ?? '') ?? []
  );
}
