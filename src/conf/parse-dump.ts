import { isDirectiveName, type DirectiveName, type RawDirectives } from './directives.ts';
import { dumpEndMarker } from './eval-script.ts';

export interface ConfDump {
  directives: RawDirectives;
  /** Files that were sourced to their end, in order. */
  sourced: string[];
  /** `[[ subject =~ regex ]]` status per directive and index: 0 match, 1 no match, 2 invalid regex. */
  matches: ReadonlyMap<string, ReadonlyMap<number, number>>;
  /** Set when a file called `exit` before its end. */
  exited: { file: string; status: number } | undefined;
  complete: boolean;
}

/** Parses the NUL-separated dump written by the program from {@link buildEvalScript}. */
export function parseConfDump(dump: string): ConfDump {
  const tokens = dump.split('\0');
  const directives = new Map<DirectiveName, Map<number, string>>();
  const matches = new Map<string, Map<number, number>>();
  const sourced: string[] = [];
  let exited: ConfDump['exited'];
  let complete = false;
  let i = 0;
  const next = (): string => {
    const token = tokens[i++];
    if (token === undefined) throw new Error('truncated dkms.conf dump');
    return token;
  };
  while (i < tokens.length && !complete) {
    const kind = tokens[i++];
    switch (kind) {
      case 'F':
        sourced.push(next());
        break;
      case 'X':
        exited = { file: next(), status: Number(next()) };
        break;
      case 'S':
        break;
      case 'V': {
        const name = next();
        const index = Number(next());
        const value = next();
        if (!isDirectiveName(name)) throw new Error(`unexpected variable ${name} in dkms.conf dump`);
        let values = directives.get(name);
        if (values === undefined) directives.set(name, (values = new Map<number, string>()));
        values.set(index, value);
        break;
      }
      case 'M': {
        const name = next();
        const index = Number(next());
        const status = Number(next());
        let values = matches.get(name);
        if (values === undefined) matches.set(name, (values = new Map<number, number>()));
        values.set(index, status);
        break;
      }
      case dumpEndMarker:
        complete = true;
        break;
      case '':
      case undefined:
        i = tokens.length;
        break;
      default:
        throw new Error(`unexpected record ${kind} in dkms.conf dump`);
    }
  }
  return { directives, sourced, matches, exited, complete };
}
