import { describe, expect, it } from 'vitest';
import {
  formatBadConf,
  formatDirectiveEcho,
  planDkmsConfErrors,
} from '../../../../src/cli/dkms/text/add-conf-errors.ts';
import { formatScriptRun, parseScriptRuns } from '../../../../src/cli/dkms/text/add-remove-scripts.ts';
import {
  formatDeletedVersion,
  formatDkmsUninstall,
  formatSkipped,
  parseModuleSuffix,
  type UninstallTextFacts,
} from '../../../../src/cli/dkms/text/remove-text.ts';
import type { DirectiveName, RawDirectives } from '../../../../src/conf/directives.ts';
import type { ModuleConf } from '../../../../src/conf/module-conf.ts';
import type { KmodEvent, ScriptKind } from '../../../../src/context.ts';
import type { UninstallFacts } from '../../../../src/install/uninstall-plan.ts';
import { resolvePaths } from '../../../../src/paths.ts';

/** Directives as bash leaves them: each name's values by index. */
function directives(values: Partial<Record<DirectiveName, Record<number, string>>>): RawDirectives {
  return new Map(
    Object.entries(values).map(([name, byIndex]) => [
      name as DirectiveName,
      new Map(Object.entries(byIndex).map(([i, v]) => [Number(i), v])),
    ]),
  );
}

describe('planDkmsConfErrors (read_conf)', () => {
  it.each<[string, Partial<Record<DirectiveName, Record<number, string>>>, string[]]>([
    [
      'a good file',
      { PACKAGE_NAME: { 0: 'm' }, PACKAGE_VERSION: { 0: '1' }, DEST_MODULE_LOCATION: { 0: '/updates' } },
      [],
    ],
    [
      'a location outside /kernel, /updates and /extra',
      { PACKAGE_NAME: { 0: 'm' }, PACKAGE_VERSION: { 0: '1' }, DEST_MODULE_LOCATION: { 0: '/usr/lib' } },
      [
        "dkms.conf: Error! Directive 'DEST_MODULE_LOCATION' does not begin with",
        "'/kernel', '/updates', or '/extra' in record #0.",
      ],
    ],
    [
      'no PACKAGE_NAME: no default BUILT_MODULE_NAME either',
      { PACKAGE_VERSION: { 0: '1' }, DEST_MODULE_LOCATION: { 0: '/updates' } },
      [
        "dkms.conf: Error! No 'BUILT_MODULE_NAME' directive specified for record #0.",
        "dkms.conf: Error! No 'PACKAGE_NAME' directive specified.",
      ],
    ],
    [
      'no module record',
      { PACKAGE_NAME: { 0: 'm' }, PACKAGE_VERSION: { 0: '1' } },
      ["dkms.conf: Error! No 'DEST_MODULE_LOCATION' directive specified."],
    ],
    [
      'names ending in .ko and .o',
      {
        PACKAGE_NAME: { 0: 'm' },
        PACKAGE_VERSION: { 0: '1' },
        BUILT_MODULE_NAME: { 0: 'a.ko' },
        DEST_MODULE_NAME: { 0: 'b.o' },
        DEST_MODULE_LOCATION: { 0: '/extra' },
      },
      [
        "dkms.conf: Error! 'BUILT_MODULE_NAME' directive ends in '.o' or '.ko' in record #0.",
        "dkms.conf: Error! 'DEST_MODULE_NAME' directive ends in '.o' or '.ko' in record #0.",
      ],
    ],
    [
      'a second record without a location, and no version',
      {
        PACKAGE_NAME: { 0: 'm' },
        BUILT_MODULE_NAME: { 0: 'a', 1: 'b' },
        DEST_MODULE_LOCATION: { 0: '/updates' },
      },
      [
        "dkms.conf: Error! No 'DEST_MODULE_LOCATION' directive specified for record #1.",
        "dkms.conf: Error! Directive 'DEST_MODULE_LOCATION' does not begin with",
        "'/kernel', '/updates', or '/extra' in record #1.",
        "dkms.conf: Error! No 'PACKAGE_VERSION' directive specified.",
      ],
    ],
    [
      'a sparse array: dkms walks indices below the element count',
      {
        PACKAGE_NAME: { 0: 'm' },
        PACKAGE_VERSION: { 0: '1' },
        BUILT_MODULE_NAME: { 0: 'a', 5: 'b' },
        DEST_MODULE_LOCATION: { 0: '/updates', 5: '/updates' },
      },
      [
        "dkms.conf: Error! No 'BUILT_MODULE_NAME' directive specified for record #1.",
        "dkms.conf: Error! No 'DEST_MODULE_LOCATION' directive specified for record #1.",
        "dkms.conf: Error! Directive 'DEST_MODULE_LOCATION' does not begin with",
        "'/kernel', '/updates', or '/extra' in record #1.",
      ],
    ],
  ])('%s', (_name, values, expected) => {
    expect(planDkmsConfErrors(directives(values))).toEqual(expected);
  });

  it('echoes --directive and names $conf in die 8', () => {
    expect(formatDirectiveEcho('MAKE[0]=make -C src')).toBe('DIRECTIVE: MAKE[0]="make -C src"\n');
    expect(formatBadConf('')).toBe('Bad conf file.\nFile:  does not represent a valid dkms.conf file.');
  });
});

describe('module scripts from events', () => {
  const script = (
    kind: ScriptKind,
    run: { ran: boolean; exitStatus?: number; stdout?: string; stderr?: string },
  ): KmodEvent => ({
    type: 'script',
    kind,
    module: 'm',
    version: '1',
    kernel: kind === 'POST_ADD' ? undefined : 'K',
    arch: kind === 'POST_ADD' ? undefined : 'x86_64',
    script: 'scripts/a.sh arg',
    path: '/s/scripts/a.sh',
    ran: run.ran,
    exitStatus: run.exitStatus ?? 0,
    stdout: run.stdout ?? '',
    stderr: run.stderr ?? '',
    output: `${run.stdout ?? ''}${run.stderr ?? ''}`,
  });
  const events: KmodEvent[] = [
    { type: 'info', message: 'Waiting for another kmodforge to release /x/.kmodforge.lock ...' },
    script('POST_ADD', { ran: true, exitStatus: 3, stdout: 'line 1\nline 2', stderr: 'oops\n' }),
    { type: 'warning', message: 'The post_add script scripts/a.sh failed (exit code 3).' },
    script('POST_REMOVE', { ran: false }),
    script('PRE_BUILD', { ran: true, stdout: 'built\n' }),
  ];

  it('takes each run, its two streams and status, of the kinds asked for', () => {
    expect(parseScriptRuns(events).map((r) => [r.kind, r.ran, r.status])).toEqual([
      ['post_add', true, 3],
      ['post_remove', false, 0],
      ['pre_build', true, 0],
    ]);
    expect(parseScriptRuns(events, ['PRE_BUILD'])).toEqual([
      { kind: 'pre_build', kernel: 'K', arch: 'x86_64', ran: true, stdout: 'built\n', stderr: '', status: 0 },
    ]);
  });

  it("prints dkms's run_build_script words, the script's streams as they are", () => {
    const [ran, skipped] = parseScriptRuns(events);
    expect(ran === undefined ? undefined : formatScriptRun(ran)).toEqual({
      out: '\nRunning the post_add script:\nline 1\nline 2',
      err: 'oops\n',
    });
    expect(skipped === undefined ? undefined : formatScriptRun(skipped)).toEqual({
      out: '\n',
      err: 'Warning: The post_remove script is not executable.\n',
    });
  });
});

describe('uninstall text', () => {
  const paths = resolvePaths({ root: '/r' });
  const K = '6.1.0-56-amd64';
  const A = 'x86_64';
  const KT = `/r/lib/modules/${K}`;
  /** Only the fields the text reads. */
  const conf = {
    modules: [
      { destName: 'a', destLocation: '/updates/dkms', rawDestLocation: '/updates' },
      { destName: 'b', destLocation: '/updates/dkms', rawDestLocation: '/extra' },
    ],
  } as unknown as ModuleConf;
  const facts = (overrides: Partial<UninstallFacts>): UninstallFacts => ({
    module: 'm',
    kernel: K,
    arch: A,
    conf,
    installedFiles: [`${KT}/updates/dkms/a.ko`, `${KT}/extra/b.ko`],
    archived: [],
    existing: new Set(),
    ...overrides,
  });
  const text: UninstallTextFacts = {
    moduleSuffix: '.ko',
    keepsOriginals: true,
    originals: 'none',
    script: undefined,
    verbose: false,
  };
  const head = `Module m-1 for kernel ${K} (${A}).\nBefore uninstall, this module version was ACTIVE on this kernel.\n`;
  const noOriginal =
    '   - No original module was found for this module on this kernel.\n' +
    '   - Use the dkms install command to reinstall any previous module version.\n';

  it('names where each module was, in the order of its locations', () => {
    expect(formatDkmsUninstall(paths, '1', facts({}), text)).toEqual({
      out:
        head +
        `\na.ko:\n - Uninstallation\n   - Deleting from: ${KT}/updates/dkms/\n - Original module\n${noOriginal}` +
        `\nb.ko:\n - Uninstallation\n   - Deleting from: ${KT}/extra/\n - Original module\n${noOriginal}` +
        'depmod...\n',
      err: '',
    });
  });

  it('Debian keeps an archived original; elsewhere it is moved back; the archive is then removed', () => {
    const archived = [{ file: `/r/var/lib/dkms/m/original_module/${K}/${A}/a.ko`, origin: undefined }];
    const one = facts({
      conf: { modules: conf.modules.slice(0, 1) } as unknown as ModuleConf,
      installedFiles: [],
      archived,
    });
    const moduleLines = `\na.ko:\n - Uninstallation\n   - Module was not found within ${KT}/\n - Original module\n`;
    const removing = `\nRemoving original_module from DKMS tree for kernel ${K} (${A})\n`;
    expect(formatDkmsUninstall(paths, '1', one, { ...text, originals: 'present' }).out).toBe(
      `${head}${moduleLines}depmod...\n${removing}`,
    );
    expect(
      formatDkmsUninstall(paths, '1', one, { ...text, keepsOriginals: false, originals: 'present' }).out,
    ).toBe(
      `${head}${moduleLines}   - Archived original module found in the DKMS tree\n` +
        `   - Moving it to: ${KT}/updates/\ndepmod...\n${removing}`,
    );
  });

  it('POST_REMOVE before depmod; verbose names the depmod command', () => {
    const none = facts({ conf: { modules: [] } as unknown as ModuleConf });
    const script = {
      kind: 'post_remove',
      kernel: K,
      arch: A,
      ran: true,
      stdout: '',
      stderr: '',
      status: 0,
    };
    expect(formatDkmsUninstall(paths, '1', none, { ...text, script, verbose: true }).out).toBe(
      `${head}\nRunning the post_remove script:\ndo_depmod ${K}\n\n`,
    );
  });

  it('the skip lines, the deletion line and the module suffix', () => {
    expect(formatSkipped('installed', 'm', '1', K, A)).toBe(
      `Module m 1 is not installed for kernel ${K} (${A}). Skipping...\n`,
    );
    expect(formatSkipped('built', 'm', '1', K, A)).toBe(
      `Module m 1 is not built for kernel ${K} (${A}). Skipping...\n`,
    );
    expect(formatDeletedVersion('m', '1')).toBe('Deleting module m-1 completely from the DKMS tree.\n');
    expect(parseModuleSuffix(undefined)).toBe('.ko');
    expect(parseModuleSuffix('kernel/a.ko.gz:\nkernel/b.ko.xz: kernel/a.ko.gz\n')).toBe('.ko.xz');
    expect(parseModuleSuffix('kernel/a.ko.zst:\n')).toBe('.ko.zst');
  });
});
