/**
 * Issue 11: the man pages and bash completions are generated (scripts/docs.ts) from the command table, as
 * --help shows it, and from the dkms grammar. These check that every command, alias, option and action
 * reaches them, that groff renders the pages without a warning, and that bash completes with the scripts.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderDocs, writeDocs } from '../../../scripts/docs.ts';
import { commandTable } from '../../../src/cli/command-table.ts';
import { dkmsActions, dkmsOptions } from '../../../src/cli/dkms/grammar.ts';
import { planValueCompletion } from '../../../src/cli/docs/completion.ts';
import { escapeRoff, formatManPage } from '../../../src/cli/docs/man-page.ts';
import { buildProgram } from '../../../src/cli/program.ts';
import { itWithTool } from '../../support/tools.ts';

const silent = { out: () => undefined, err: () => undefined, color: false };
let dir: string;
let docs: Record<string, string>;
let program: Command;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'kmf-docs-'));
  await writeDocs(path.join(dir, 'out'));
  docs = await renderDocs();
  program = await buildProgram(silent, { result: undefined });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const file = (name: string): string => path.join(dir, 'out', name);
const bold = (word: string): string => `\\fB${escapeRoff(word)}\\fR`;

/** Every command of the program, subcommands too, with the words that name it. */
function commandsOf(
  command: Command,
  parents: readonly string[] = [],
): { path: string[]; command: Command }[] {
  const help = command.createHelp();
  return help.visibleCommands(command).flatMap((sub) => {
    const p = [...parents, sub.name()];
    return [{ path: p, command: sub }, ...commandsOf(sub, p)];
  });
}

/** The option spellings --help lists for a command. */
function optionNames(command: Command): string[] {
  return command
    .createHelp()
    .visibleOptions(command)
    .flatMap((o) => [o.short, o.long])
    .filter((n): n is string => n !== undefined);
}

/** The roff between a command's .SS line and the next one. */
function manSection(roff: string, title: string): string {
  const start = roff.indexOf(`.SS "${escapeRoff(title)}"\n`);
  expect(start, `.SS "${title}" in kmodforge.1`).toBeGreaterThanOrEqual(0);
  const end = roff.indexOf('\n.S', start + 1);
  return roff.slice(start, end === -1 ? undefined : end);
}

const quote = (word: string): string => `'${word.replace(/'/g, `'\\''`)}'`;

/**
 * Sources a completion script in a non-interactive bash and calls its function for each command line (the
 * last word is the one being completed); returns COMPREPLY of each, sorted.
 */
function complete(script: string, fn: string, lines: readonly (readonly string[])[]): string[][] {
  const calls = lines.map(
    (words) =>
      `COMP_WORDS=(${words.map(quote).join(' ')}); COMP_CWORD=${words.length - 1}; COMPREPLY=(); ${fn}; ` +
      `printf '%s\\n' "\${COMPREPLY[*]}"`,
  );
  const output = execFileSync('bash', ['-c', `source ${quote(script)}\n${calls.join('\n')}`], {
    encoding: 'utf8',
  });
  return output
    .split('\n')
    .slice(0, lines.length)
    .map((line) => (line === '' ? [] : line.split(' ').sort()));
}

describe('kmodforge.1', () => {
  it('has every name of the command table, as a command or as an alias', () => {
    const roff = docs['kmodforge.1'] ?? '';
    for (const name of commandTable.flatMap((entry) => entry.names)) {
      const asCommand = roff.includes(`\n.SS "${escapeRoff(name)}"\n`);
      const asAlias = roff.split('\n').some((l) => l.startsWith('Also spelled ') && l.includes(bold(name)));
      expect(asCommand || asAlias, `${name} in kmodforge.1`).toBe(true);
    }
  });

  it("has every command's description and options, and the program's options", () => {
    const roff = docs['kmodforge.1'] ?? '';
    const global = roff.slice(roff.indexOf('.SH "OPTIONS"'), roff.indexOf('.SH "COMMANDS"'));
    for (const name of optionNames(program)) expect(global, name).toContain(bold(name));
    for (const { path: p, command } of commandsOf(program)) {
      const section = manSection(roff, p.join(' '));
      expect(section).toContain(escapeRoff(command.description()));
      for (const name of optionNames(command)) {
        expect(section.includes(bold(name)) || global.includes(bold(name)), `${p.join(' ')} ${name}`).toBe(
          true,
        );
      }
    }
  });

  it('has an exit status for every code, and the hand-written sections', () => {
    const roff = docs['kmodforge.1'] ?? '';
    for (const title of ['DESCRIPTION', 'EXIT STATUS', 'ENVIRONMENT', 'FILES', 'SEE ALSO']) {
      expect(roff).toContain(`.SH "${title}"`);
    }
    for (const status of [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 21, 70, 77, 101]) {
      expect(roff).toContain(`.TP\n\\fB${status}\\fR\n`);
    }
    expect(roff).toContain(`${bold('dkms')}(8)`);
  });
});

describe('dkms.8', () => {
  it('has every action and option of the dkms grammar, and says whose front end it is', () => {
    const roff = docs['dkms.8'] ?? '';
    for (const action of dkmsActions) expect(roff).toContain(`.TP\n${bold(action.name)}`);
    for (const option of dkmsOptions) {
      for (const pattern of option.patterns) expect(roff).toContain(bold(pattern.replace(/\*$/, '')));
    }
    expect(roff).toContain(escapeRoff('is the front end of '));
    expect(roff).toContain(escapeRoff("with dkms 3.0.10's interface"));
    expect(roff).toContain(escapeRoff('the same exit codes'));
  });
});

describe('roff', () => {
  it('escapes what roff would read as requests or escapes', () => {
    const roff = formatManPage(
      {
        name: 'x',
        section: 1,
        source: 'x 1',
        manual: 'M',
        summary: 'a "quoted" summary',
        sections: [
          {
            title: 'T',
            blocks: [
              { kind: 'paragraph', text: ['.TH not a request'] },
              { kind: 'paragraph', text: ["'also not"] },
              { kind: 'paragraph', text: ['a \\fB back\\slash and --long-option, caf\u00e9'] },
            ],
          },
        ],
      },
      'a test',
    );
    expect(roff).toContain('\n\\&.TH not a request\n');
    expect(roff).toContain("\n\\&'also not\n");
    expect(roff).toContain('\na \\efB back\\eslash and \\-\\-long\\-option, caf\\[u00E9]\n');
    expect(roff).toContain('x \\- a "quoted" summary');
  });

  for (const name of ['kmodforge.1', 'dkms.8']) {
    itWithTool('groff', `${name} renders with groff -ww without a warning`, () => {
      const result = spawnSync('groff', ['-ww', '-z', '-man', file(name)], { encoding: 'utf8' });
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
    });

    // lintian's groff-message check runs man this way.
    itWithTool('man', `${name} renders with man -l without a warning`, () => {
      const result = spawnSync('man', ['--warnings', '-E', 'UTF-8', '-l', file(name)], {
        encoding: 'utf8',
        env: { ...process.env, LC_ALL: 'C.UTF-8', MANROFFSEQ: '', MANWIDTH: '80' },
      });
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      expect(result.stdout).toContain(name === 'dkms.8' ? 'DKMS(8)' : 'KMODFORGE(1)');
    });
  }
});

describe('bash completion', () => {
  let root: string;
  beforeAll(async () => {
    // A system of its own: two kernels, and a dkms tree with module versions beside dkms's other entries.
    root = path.join(dir, 'root');
    for (const d of [
      'lib/modules/6.1.0-1-amd64',
      'lib/modules/6.1.0-1-rt-amd64',
      'var/lib/dkms/foo/1.0/6.1.0-1-amd64/x86_64',
      'var/lib/dkms/foo/2.0',
      'var/lib/dkms/foo/original_module',
      'var/lib/dkms/bar/3',
    ]) {
      await mkdir(path.join(root, d), { recursive: true });
    }
    await symlink(
      '1.0/6.1.0-1-amd64/x86_64',
      path.join(root, 'var/lib/dkms/foo/kernel-6.1.0-1-amd64-x86_64'),
    );
  });

  for (const name of ['kmodforge.bash', 'dkms.bash']) {
    it(`${name} passes bash -n and registers its function with complete`, () => {
      execFileSync('bash', ['-n', file(name)]);
      const program = name.replace('.bash', '');
      const registered = execFileSync('bash', ['-c', `source ${quote(file(name))}; complete -p ${program}`], {
        encoding: 'utf8',
      });
      expect(registered.trim()).toMatch(new RegExp(`^complete -F _\\w+ ${program}$`));
    });

    itWithTool('shellcheck', `${name} passes shellcheck`, () => {
      execFileSync('shellcheck', ['-s', 'bash', file(name)]);
    });
  }

  it('completes kmodforge st<TAB> to status, and every name of the command table', () => {
    const names = commandTable.flatMap((entry) => entry.names);
    const results = complete(file('kmodforge.bash'), '_kmodforge', [
      ['kmodforge', 'st'],
      ...names.map((n) => ['kmodforge', n]),
    ]);
    expect(results[0]).toEqual(['status']);
    names.forEach((n, i) => {
      expect(results[i + 1], n).toContain(n);
    });
  });

  it("completes each command's options and the program's, after the command", () => {
    const commands = commandsOf(program);
    const results = complete(
      file('kmodforge.bash'),
      '_kmodforge',
      commands.map(({ path: p }) => ['kmodforge', ...p, '-']),
    );
    const global = optionNames(program);
    commands.forEach(({ path: p, command }, i) => {
      expect(results[i], p.join(' ')).toEqual([...new Set([...optionNames(command), ...global])].sort());
    });
  });

  it('completes kernels, modules, versions, paths and choices from the system under --root', () => {
    const kmf = (...words: string[]): string[] => ['kmodforge', '--root', root, ...words];
    const results = complete(file('kmodforge.bash'), '_kmodforge', [
      kmf('build', '-k', ''),
      kmf('build', '--kernelver', '=', '6.1.0-1-r'),
      kmf('install', '-m', ''),
      kmf('install', '-m', 'foo', '-v', ''),
      kmf('status', ''),
      kmf('cache', ''),
      kmf('help', 'ca'),
      kmf('mkrpm', '--style', ''),
      ['kmodforge', '--dkmstree', path.join(root, 'var/lib/dkms'), 'uninstall', 'b'],
      ['kmodforge', 'conf', path.join(root, 'li')],
    ]);
    expect(results).toEqual([
      ['6.1.0-1-amd64', '6.1.0-1-rt-amd64'],
      ['6.1.0-1-rt-amd64'],
      ['bar', 'foo'],
      ['1.0', '2.0'],
      ['bar/3', 'foo/1.0', 'foo/2.0'],
      ['clear', 'help', 'list'],
      ['cache'],
      ['kmod', 'kmp', 'legacy'],
      ['bar/3'],
      [path.join(root, 'lib')],
    ]);
  });

  it('completes dkms sta<TAB> to status, every action, its options, and values', () => {
    const tree = path.join(root, 'var/lib/dkms');
    const results = complete(file('dkms.bash'), '_kmodforge_dkms', [
      ['dkms', 'sta'],
      ['dkms', 'build', '-'],
      ['dkms', '--dkmstree', tree, '-m', 'foo', '-v', ''],
      ['dkms', '-k', '6.1.0-1-amd64', '--dkmstree', tree, 'remove', ''],
      ['dkms', '--installtree', path.join(root, 'lib/modules'), 'install', '-k', '6.1.0-1-a'],
      ...dkmsActions.map((a) => ['dkms', a.name]),
    ]);
    expect(results[0]).toEqual(['status']);
    const options = dkmsOptions.flatMap((o) => o.patterns.map((p) => p.replace(/\*$/, '')));
    expect(results[1]).toEqual([...options].sort());
    expect(results[2]).toEqual(['1.0', '2.0']);
    expect(results[3]).toEqual(['bar/3', 'foo/1.0', 'foo/2.0']);
    expect(results[4]).toEqual(['6.1.0-1-amd64']);
    dkmsActions.forEach((a, i) => {
      expect(results[i + 5], a.name).toContain(a.name);
    });
  });

  it('reads what a value completes to from its name in the tables', () => {
    expect(
      ['dir', 'path', 'source-location', 'file', 'tarball-location', 'kernel-.config-location'].map(
        planValueCompletion,
      ),
    ).toEqual(['dir', 'dir', 'dir', 'file', 'file', 'file']);
    expect(
      ['kernel[/arch]', 'kernel', 'module[/version]', 'version', 'module-version', 'arch', 'n'].map(
        planValueCompletion,
      ),
    ).toEqual(['kernel', 'kernel', 'module', 'version', 'version', 'arch', 'none']);
  });
});

describe('scripts/docs.ts', () => {
  it('writes the four files into the directory it is given, as make install calls it', async () => {
    const out = path.join(dir, 'cli-out');
    execFileSync(process.execPath, ['--import', 'tsx', 'scripts/docs.ts', out], { encoding: 'utf8' });
    for (const name of ['kmodforge.1', 'dkms.8', 'kmodforge.bash', 'dkms.bash']) {
      expect(await readFile(path.join(out, name), 'utf8')).toBe(docs[name]);
    }
    const usage = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/docs.ts'], { encoding: 'utf8' });
    expect(usage.status).toBe(2);
  });
});
