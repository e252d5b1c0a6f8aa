/**
 * dkms 3.0.10's command line, side by side with kmodforge's `dkms` front end: the generic errors and forms
 * (no action, unknown action or option, the sanity checks, --version, -q, deprecated options, arguments it
 * cannot place, --all where banned, missing module arguments, a module that is not added). Each row runs
 * the same command line on both and compares what they print and their exit codes.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { makeSideBySide, type SideBySide } from '../../support/dkms-side-by-side.ts';

/** A path relative to the repository (the tests' working directory): a source directory, then a file. */
const sourceDir = 'test/fixtures/modules/kmf-simple';
const dkmsConf = `${sourceDir}/dkms.conf`;
const file = 'package.json';

let sbs: SideBySide;
beforeAll(async () => {
  sbs = await makeSideBySide();
});
afterAll(() => sbs.cleanup());

const rows: [string, string[]][] = [
  ['no action', []],
  ['a bare word is a module, not an action', ['frobnicate']],
  ['an unknown option', ['--foo']],
  ['an unknown option after the action', ['status', '-x']],
  ['an unknown option ends the parse before a later one', ['status', '--bar', '--foo']],
  ['two actions', ['add', 'build']],
  ['--binaries-only with --source-only', ['mktarball', '--binaries-only', 'kmf-simple/1.0', '--source-only']],
  ['more arches than kernels', ['build', '-k', 'a', '-k', 'b', '-a', 'x', '-a', 'y', '-a', 'z']],
  ['arches and no kernel', ['-a', 'x', '--arch=y', 'status']],
  ['a kernel with --all', ['remove', 'kmf-simple/1.0', '--kernelver=a/x86_64', '--all']],
  ['an arch with --all', ['remove', 'kmf-simple/1.0', '--all', '--arch', 'x86_64']],
  [
    'an empty kernel with --all (dkms tests only the first)',
    ['remove', 'kmf-simple/1.0', '-k', ' ', '--all'],
  ],
  ['--version', ['--version']],
  ['-V after an action', ['status', '-V']],
  ['--version mid-line, before an unknown option', ['status', '--version', '--foo']],
  ['--version after an unknown option', ['--foo', '--version']],
  ['--version after two actions', ['add', 'build', '--version']],
  ['-q silences what follows', ['-q', 'status', '--foo']],
  ['-q silences --version', ['status', '-q', '-V']],
  ['deprecated options', ['status', '--no-initrd', '--no-clean-kernel', '--no-prepare-kernel']],
  ['a deprecated option before -q is still printed', ['--no-initrd', '-q', 'status', '--foo']],
  ['I do not know how to handle', ['status', 'a/1', 'b/2', 'c']],
  ['--all on add', ['add', 'kmf-simple/1.0', '--all']],
  ['--all on build', ['build', 'kmf-simple/1.0', '--all']],
  ['--all on install', ['--all', 'install', '-m', 'kmf-simple', '-v', '1.0']],
  ['remove without a module', ['remove']],
  ['uninstall without a version', ['uninstall', 'kmf-simple']],
  ['unbuild without a module', ['unbuild', '-v', '1.0']],
  ['mktarball without a version', ['mktarball', '-m', 'kmf-simple']],
  ['remove of a module that is not added', ['remove', 'kmf-simple/1.0']],
  ['uninstall of a module that is not added (-m -v)', ['uninstall', '-m', 'kmf-simple', '-v', '1.0']],
  ['unbuild of a module that is not added (-m M/V)', ['unbuild', '-m', 'kmf-simple/1.0']],
  ['-v overrides the version of M/V given before', ['remove', 'kmf-simple/1.0', '-v', '2.0']],
  ['values after =', ['remove', '--module=kmf-simple/3.0', '--kernelver=k/x86_64']],
  ['values read as bash reads them: blanks, escapes', ['remove', '-m', '  kmf\\ simple\\  ', '-v', '1\\.0']],
  ['values read as bash reads them: the first line only', ['remove', '-m', 'kmf\nsimple', '-v', '1\\\n0']],
  ['a source directory is not a module/version', ['remove', sourceDir]],
  ['a dkms.conf is not a module/version', ['unbuild', dkmsConf]],
  ['a file is taken as an archive, not a module/version', ['uninstall', file]],
  ['a module/version after a source directory', ['remove', sourceDir, 'kmf-simple/1.0']],
  ['an option value missing at the end', ['remove', 'kmf-simple/1.0', '-k']],
];

it.each(rows)('%s', async (_, args) => {
  const { dkms, kmodforge } = await sbs.run(...args);
  expect(kmodforge).toEqual(dkms);
});
