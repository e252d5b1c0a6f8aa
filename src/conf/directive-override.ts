import { KmodError } from '../errors.ts';
import { isDirectiveName } from './directives.ts';
import type { DirectiveOverride } from './eval-script.ts';

/** Parses `--directive NAME=value` or `NAME[i]=value`; the name must be a dkms.conf directive. */
export function parseDirectiveOverride(text: string): DirectiveOverride {
  const m = /^([A-Za-z_]\w*)(?:\[(\d+)\])?=(.*)$/s.exec(text);
  if (m === null) {
    throw new KmodError('USAGE', `--directive "${text}": expected NAME=value or NAME[index]=value`);
  }
  const name = m[1] ?? '';
  if (!isDirectiveName(name)) {
    throw new KmodError('USAGE', `--directive "${text}": ${name} is not a dkms.conf directive`, {
      hint: 'directives are upper case, e.g. --directive "MAKE[0]=make -C src"',
    });
  }
  return { name, index: m[2] === undefined ? undefined : Number(m[2]), value: m[3] ?? '' };
}
