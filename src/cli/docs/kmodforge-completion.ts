import type { ArgumentDoc, CommandDoc } from './describe-program.ts';
import {
  planValueCompletion,
  type CompletionCommand,
  type CompletionSpec,
  type ValueCompletion,
} from './completion.ts';

/** kmodforge's completion: its commands, options and arguments as describeProgram found them. */
export function planKmodforgeCompletion(program: CommandDoc): CompletionSpec {
  const optionNames = (long: string): string[] =>
    program.options.filter((o) => o.names.includes(long)).flatMap((o) => o.names);
  return {
    program: program.name,
    functionName: `_${program.name}`,
    root: planCommand(program),
    commandAnywhere: false,
    rootOptions: optionNames('--root'),
    dkmsTreeOptions: optionNames('--dkmstree'),
    installTreeOptions: optionNames('--installtree'),
  };
}

function planCommand(command: CommandDoc): CompletionCommand {
  const siblings = command.commands.map((c) => c.name);
  return {
    names: [command.name, ...command.aliases],
    options: command.options.map((o) => ({
      names: o.names,
      value:
        o.value === undefined
          ? undefined
          : o.choices.length > 0
            ? { words: o.choices }
            : planValueCompletion(o.value),
    })),
    arguments: command.arguments.map((a) => planArgumentCompletion(a, [])),
    variadic: command.arguments.at(-1)?.variadic ?? false,
    // help's [command] is one of the commands beside it.
    commands: command.commands.map((c) => ({
      ...planCommand(c),
      arguments: c.arguments.map((a) => planArgumentCompletion(a, siblings)),
    })),
  };
}

/**
 * What a positional argument completes to, from its name and --help's words for it: a module names
 * module/version, and also a path where its description says it may be a directory or a file.
 */
export function planArgumentCompletion(argument: ArgumentDoc, commands: readonly string[]): ValueCompletion {
  const path = /director|path|dkms\.conf|tarball|file/.test(argument.description);
  if (argument.name === 'command' && commands.length > 0) return { words: commands };
  if (argument.name.startsWith('module')) return path ? 'module-version-or-file' : 'module-version';
  if (path || argument.name === 'file') return 'file';
  return 'none';
}
