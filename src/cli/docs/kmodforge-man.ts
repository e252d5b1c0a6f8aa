import type { CommandDoc, OptionDoc } from './describe-program.ts';
import { describeExitStatus } from './exit-status.ts';
import { formatSentence, type Inline, type ManBlock, type ManPage, type Text } from './man-page.ts';
import { kmodforgeDescription, kmodforgeEnvironment, kmodforgeFiles } from './man-sections.ts';

/**
 * kmodforge(1): its commands, arguments and options as `--help` describes them (the program's description,
 * walked by describeProgram), around the hand-written sections of man-sections.ts.
 */
export function planKmodforgeManPage(program: CommandDoc, version: string): ManPage {
  return {
    name: program.name,
    section: 1,
    source: `${program.name} ${version}`,
    manual: 'User Commands',
    summary: program.description.charAt(0).toLowerCase() + program.description.slice(1),
    sections: [
      { title: 'Synopsis', blocks: [{ kind: 'lines', lines: [usageLine(program)] }] },
      { title: 'Description', blocks: kmodforgeDescription },
      { title: 'Options', blocks: program.options.map(optionItem) },
      { title: 'Commands', blocks: program.commands.flatMap((c) => commandBlocks(program.name, c)) },
      { title: 'Exit status', blocks: describeExitStatus(["The numbers are dkms's where dkms has one."]) },
      { title: 'Environment', blocks: kmodforgeEnvironment },
      { title: 'Files', blocks: kmodforgeFiles },
      {
        title: 'See also',
        blocks: [
          {
            kind: 'paragraph',
            text: [{ bold: 'dkms' }, '(8), ', { bold: 'depmod' }, '(8), ', { bold: 'modprobe' }, '(8)'],
          },
        ],
      },
    ],
  };
}

function commandBlocks(programName: string, command: CommandDoc): ManBlock[] {
  const blocks: ManBlock[] = [
    { kind: 'subsection', title: command.path.join(' ') },
    { kind: 'lines', lines: [usageLine(command, programName)] },
    { kind: 'paragraph', text: [formatSentence(command.description)] },
  ];
  if (command.aliases.length > 0) {
    blocks.push({
      kind: 'paragraph',
      text: [
        'Also spelled ',
        ...command.aliases.flatMap((a, i): Inline[] => [i === 0 ? '' : ', ', { bold: a }]),
        '.',
      ],
    });
  }
  for (const argument of command.arguments) {
    if (argument.description !== '') {
      blocks.push({
        kind: 'item',
        term: [{ italic: argument.name }],
        body: [[formatSentence(argument.description)]],
      });
    }
  }
  blocks.push(...command.options.map(optionItem));
  return [...blocks, ...command.commands.flatMap((c) => commandBlocks(programName, c))];
}

/** `kmodforge cache clear [options]`: the command's path in bold, its usage's words in italic. */
function usageLine(command: CommandDoc, programName = command.name): Text {
  const usage = command.usage
    .replace(/[<>]/g, '')
    .split(/([\w.-]+)/)
    .map((part, i): Inline => (i % 2 === 1 ? { italic: part } : part));
  return [{ bold: [programName, ...command.path].join(' ') }, ' ', ...usage];
}

function optionItem(option: OptionDoc): ManBlock {
  const term: Inline[] = option.names.flatMap((n, i): Inline[] => [i === 0 ? '' : ', ', { bold: n }]);
  if (option.value !== undefined) {
    term.push(
      ...(option.valueOptional ? [' [', { italic: option.value }, ']'] : [' ', { italic: option.value }]),
    );
  }
  return { kind: 'item', term, body: [[formatSentence(option.description)]] };
}
