import type { Command, Help, Option } from 'commander';

/** An option as `--help` shows it, split into the parts a man page and a completion need. */
export interface OptionDoc {
  /** The spellings, short first: `['-k', '--kernelver']`. */
  names: readonly string[];
  /** The value's name without its brackets (`kernel[/arch]` of `<kernel[/arch]>`), if it takes one. */
  value: string | undefined;
  /** Whether the value may be left out (`[value]`). */
  valueOptional: boolean;
  /** The values commander accepts, if it restricts them. */
  choices: readonly string[];
  /** `--help`'s text for it, with any default and choices. */
  description: string;
}

export interface ArgumentDoc {
  name: string;
  required: boolean;
  variadic: boolean;
  description: string;
}

/** A command (or the program itself) as `--help` shows it. */
export interface CommandDoc {
  name: string;
  aliases: readonly string[];
  /** The words from the program's name to this command: `['cache', 'clear']`; empty for the program. */
  path: readonly string[];
  description: string;
  /** `--help`'s usage line after the command's path: `[options] [module]`. */
  usage: string;
  arguments: readonly ArgumentDoc[];
  /**
   * The options --help lists for it. A command's list leaves out those the program itself takes with the
   * same spelling (-h, --help), which are documented once, with the program's.
   */
  options: readonly OptionDoc[];
  commands: readonly CommandDoc[];
}

/**
 * Describes a commander program through its Help, so the man page and the completions say what `--help`
 * says: the visible commands, arguments and options, with --help's own texts.
 */
export function describeProgram(program: Command): CommandDoc {
  const help = program.createHelp();
  const own = help.visibleOptions(program).map(describeOption(help));
  const ownFlags = new Set(own.map((o) => o.names.join(', ')));
  return describeCommand(help, program, [], own, ownFlags);
}

function describeCommand(
  help: Help,
  command: Command,
  path: readonly string[],
  options: readonly OptionDoc[],
  programFlags: ReadonlySet<string>,
): CommandDoc {
  return {
    name: command.name(),
    aliases: command.aliases(),
    path,
    // The whole description, as the command's own --help shows it (a list of commands may show a summary).
    description: help.commandDescription(command),
    usage: command.usage(),
    // Every argument, even one without a description (help's [command]), which visibleArguments leaves out.
    arguments: command.registeredArguments.map((a) => ({
      name: a.name(),
      required: a.required,
      variadic: a.variadic,
      description: help.argumentDescription(a),
    })),
    options,
    commands: help.visibleCommands(command).map((sub) =>
      describeCommand(
        help,
        sub,
        [...path, sub.name()],
        help
          .visibleOptions(sub)
          .map(describeOption(help))
          .filter((o) => !programFlags.has(o.names.join(', '))),
        programFlags,
      ),
    ),
  };
}

const describeOption =
  (help: Help) =>
  (option: Option): OptionDoc => {
    // commander splits flags at spaces, commas and bars; the value is the token in <> or [].
    const value = option.flags.split(/[ ,|]+/).find((t) => t.startsWith('<') || t.startsWith('['));
    return {
      names: [option.short, option.long].filter((n): n is string => n !== undefined),
      value: value?.slice(1, -1),
      // Not option.optional: commander sets it for any "[" in the flags, as in <kernel[/arch]>.
      valueOptional: value?.startsWith('[') === true,
      choices: option.argChoices ?? [],
      description: help.optionDescription(option),
    };
  };
