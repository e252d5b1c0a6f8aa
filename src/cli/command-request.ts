import type { Option } from 'commander';

/** What a command line asks of the program: its version, one command (by a name or alias), or else. */
export type CommandRequest = { kind: 'version' } | { kind: 'command'; name: string } | { kind: 'other' };

const maybeOption = (arg: string): boolean => arg.length > 1 && arg.startsWith('-');

/**
 * Reads argv as commander's parseOptions reads it for a program with these options and subcommands, so
 * that main loads only the command commander will dispatch to. Commander parses the program's options
 * wherever they are (the version option prints and exits as soon as it is seen); the first operand names
 * the command, unless an option the program does not know comes first, after which every argument goes
 * unparsed to the subcommand.
 */
export function parseCommandRequest(
  options: readonly Option[],
  versionFlags: string,
  argv: readonly string[],
): CommandRequest {
  const find = (flag: string): Option | undefined => options.find((o) => o.short === flag || o.long === flag);
  let name: string | undefined;
  let unknownSeen = false;
  const operand = (arg: string | undefined): void => {
    if (arg !== undefined && name === undefined && !unknownSeen) name = arg;
  };
  let group: string | undefined;
  let i = 0;
  while (i < argv.length || group !== undefined) {
    const arg = group ?? argv[i++] ?? '';
    group = undefined;
    if (arg === '--') {
      operand(argv[i]);
      break;
    }
    const option = maybeOption(arg) ? find(arg) : undefined;
    if (option !== undefined) {
      if (option.flags === versionFlags) return { kind: 'version' };
      if (option.required) {
        // A missing value is commander's error, which every command line with all commands shows alike.
        if (i >= argv.length) return { kind: 'other' };
        i++;
      } else if (option.optional && i < argv.length && !maybeOption(argv[i] ?? '')) i++;
      continue;
    }
    const first = arg.length > 2 && arg[0] === '-' && arg[1] !== '-' ? find(arg.slice(0, 2)) : undefined;
    if (first !== undefined) {
      if (first.flags === versionFlags) return { kind: 'version' };
      if (!first.required && !first.optional) group = `-${arg.slice(2)}`;
      continue;
    }
    const long = /^--[^=]+=/.test(arg) ? find(arg.slice(0, arg.indexOf('='))) : undefined;
    if (long !== undefined && (long.required || long.optional)) continue;
    if (maybeOption(arg)) unknownSeen = true;
    else operand(arg);
  }
  return name === undefined ? { kind: 'other' } : { kind: 'command', name };
}
