import type { CommandPlan } from '../commands/command-plan.ts';
import type { Op } from '../install/journal.ts';
import type { Io } from './io.ts';
import type { GlobalOptions } from './global-options.ts';
import { writeJson } from './render.ts';

/** One journal op as a line of a dry run: what would change on disk. */
export function formatOp(op: Op): string {
  switch (op.op) {
    case 'place':
      return `install ${op.dest}${op.replaces ? ' (replacing the file there)' : ''}`;
    case 'move':
      return `move ${op.from} to ${op.to}`;
    case 'copy':
      return `copy ${op.from} to ${op.to}`;
    case 'write':
      return `write ${op.path}`;
    case 'delete':
      return `remove ${op.path}`;
    case 'link':
      return `point ${op.link} at ${op.target}`;
    case 'mkdir':
      return `create ${op.path}/`;
  }
}

/** Prints a plan without applying it; returns the exit code of a dry run (0). */
export function renderPlan(io: Io, options: Pick<GlobalOptions, 'json'>, plan: CommandPlan): number {
  if (options.json) {
    writeJson(io, {
      type: 'plan',
      command: plan.command,
      steps: plan.steps,
      ops: plan.ops,
      depmod: plan.depmod,
    });
    return 0;
  }
  const lines = [
    ...plan.steps,
    ...plan.ops.map(formatOp),
    ...plan.depmod.map((kernel) => `run depmod for ${kernel}`),
  ];
  io.out(
    `Dry run of ${plan.command}: nothing is changed.\n${lines.length === 0 ? '  nothing to do\n' : lines.map((l) => `  ${l}\n`).join('')}`,
  );
  return 0;
}
