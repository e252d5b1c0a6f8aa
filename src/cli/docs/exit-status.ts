import { exitCodes, internalErrorExitCode, type ErrorCode } from '../../errors.ts';
import { formatSentence, type ManBlock, type Text } from './man-page.ts';
import { exitCodeMeanings } from './man-sections.ts';

/** EXIT STATUS: each status of the one table `exitCodes` with what its codes mean, lowest first. */
export function describeExitStatus(intro: Text): ManBlock[] {
  const meanings = new Map<number, string[]>([[0, ['success']]]);
  for (const [code, status] of Object.entries(exitCodes) as [ErrorCode, number][]) {
    meanings.set(status, [...(meanings.get(status) ?? []), exitCodeMeanings[code]]);
  }
  meanings.set(internalErrorExitCode, ['an internal error: a bug, to be reported with the command line run']);
  return [
    { kind: 'paragraph', text: intro },
    ...[...meanings]
      .sort(([a], [b]) => a - b)
      .map(([status, texts]): ManBlock => ({
        kind: 'item',
        term: [{ bold: String(status) }],
        body: [[formatSentence(capitalize([...new Set(texts)].join('; ')))]],
      })),
    {
      kind: 'paragraph',
      text: ['Interrupted by SIGINT, SIGTERM or SIGHUP, it exits with 128 plus the signal number.'],
    },
  ];
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
