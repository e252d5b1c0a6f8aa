import type { DkmsAction, DkmsOption } from '../dkms/grammar.ts';
import { describeExitStatus } from './exit-status.ts';
import { formatSentence, type Inline, type ManBlock, type ManPage } from './man-page.ts';
import { dkmsDescription, dkmsFiles } from './man-sections.ts';

export interface DkmsGrammar {
  actions: readonly DkmsAction[];
  options: readonly DkmsOption[];
  /** The dkms whose interface the front end keeps. */
  dkmsVersion: string;
}

/** dkms(8) for kmodforge's `dkms` front end: its actions and options from the dkms grammar. */
export function planDkmsManPage(grammar: DkmsGrammar, version: string): ManPage {
  const equalsExample = grammar.options
    .filter((o) => o.value !== undefined)
    .flatMap((o) =>
      o.patterns.filter((p) => p.startsWith('--') && p.endsWith('*')).map((p) => [p, o] as const),
    )[0];
  return {
    name: 'dkms',
    section: 8,
    source: `kmodforge ${version}`,
    manual: 'System Administration',
    summary: `Dynamic Kernel Module Support: kmodforge's front end with the interface of dkms ${grammar.dkmsVersion}`,
    sections: [
      {
        title: 'Synopsis',
        blocks: [
          {
            kind: 'lines',
            lines: [
              [
                { bold: 'dkms' },
                ' ',
                { italic: 'action' },
                ' [',
                { italic: 'options' },
                '] [',
                { italic: 'module/module-version' },
                '] [',
                { italic: '/path/to/source-tree' },
                '] [',
                { italic: '/path/to/tarball.tar' },
                ']',
              ],
            ],
          },
        ],
      },
      { title: 'Description', blocks: dkmsDescription },
      { title: 'Actions', blocks: grammar.actions.map(actionItem) },
      {
        title: 'Options',
        blocks: [
          {
            kind: 'paragraph',
            text: [
              'Options may come anywhere on the command line, before or after the action.',
              ...(equalsExample === undefined
                ? []
                : [
                    ' A long option takes its value as the next argument or after an equals sign, as in ',
                    { bold: `${equalsExample[0].slice(0, -1)}=` },
                    { italic: equalsExample[1].value ?? '' },
                    '.',
                  ]),
            ],
          },
          ...grammar.options.map(optionItem),
        ],
      },
      {
        title: 'Exit status',
        blocks: describeExitStatus([`The exit statuses are those of dkms ${grammar.dkmsVersion}:`]),
      },
      { title: 'Files', blocks: dkmsFiles },
      {
        title: 'See also',
        blocks: [
          {
            kind: 'paragraph',
            text: [{ bold: 'kmodforge' }, '(1), ', { bold: 'depmod' }, '(8), ', { bold: 'modprobe' }, '(8)'],
          },
        ],
      },
    ],
  };
}

function actionItem(action: DkmsAction): ManBlock {
  return {
    kind: 'item',
    term: [{ bold: action.name }, ...(action.synopsis === '' ? [] : [` ${action.synopsis}`])],
    body: [[formatSentence(action.description)]],
  };
}

/** `-m, --module module[/version]`: short spellings first, without the `*` of dkms's case patterns. */
function optionItem(option: DkmsOption): ManBlock {
  const names = [...option.patterns]
    .map((p) => p.replace(/\*$/, ''))
    .sort((a, b) => Number(a.startsWith('--')) - Number(b.startsWith('--')));
  const term: Inline[] = names.flatMap((n, i): Inline[] => [i === 0 ? '' : ', ', { bold: n }]);
  if (option.value !== undefined) term.push(' ', { italic: option.value });
  return { kind: 'item', term, body: [[formatSentence(option.description)]] };
}
