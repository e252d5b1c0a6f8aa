import { KmodError } from '../errors.ts';
import type { DirectiveName } from './directives.ts';

/** One thing wrong with a dkms.conf, located as precisely as we can. */
export interface ConfProblem {
  directive: DirectiveName | undefined;
  index: number | undefined;
  line: number | undefined;
  message: string;
}

/** `NAME=`, `NAME[2]=`, `NAME+=`, `export NAME=`, `declare -a NAME=(` at the start of a line. */
export function findDirectiveLine(text: string, name: string, index?: number): number | undefined {
  const lines = text.split('\n');
  const subscript =
    index === undefined ? '(\\[[^\\]]*\\])?' : index === 0 ? '(\\[\\s*0\\s*\\])?' : `\\[\\s*${index}\\s*\\]`;
  const re = new RegExp(
    `^\\s*(?:(?:export|declare|typeset|readonly)\\s+(?:-\\w+\\s+)*)?${name}${subscript}\\+?=`,
  );
  let found: number | undefined;
  lines.forEach((line, i) => {
    if (re.test(line)) found = i + 1;
  });
  return found;
}

export function describeDirective(directive: DirectiveName | undefined, index: number | undefined): string {
  if (directive === undefined) return '';
  return index === undefined ? directive : `${directive}[${index}]`;
}

/** Throws one CONF_INVALID error that lists every problem, each as `file:line: DIRECTIVE[i]: message`. */
export function throwConfProblems(file: string, problems: readonly ConfProblem[]): never {
  const lines = problems.map((p) => {
    const where = p.line === undefined ? file : `${file}:${p.line}`;
    const what = describeDirective(p.directive, p.index);
    return `${where}: ${what === '' ? '' : `${what}: `}${p.message}`;
  });
  throw new KmodError('CONF_INVALID', `invalid dkms.conf:\n${lines.join('\n')}`, {
    hint: 'see dkms.conf(5) / `man dkms` for the directives and their values',
  });
}
