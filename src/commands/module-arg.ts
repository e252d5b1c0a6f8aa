import { stat } from 'node:fs/promises';
import path from 'node:path';
import { planNameProblem } from '../conf/names.ts';
import { KmodError } from '../errors.ts';

/** What a module argument names, in dkms's order of guesses. */
export type ModuleSpec =
  | { kind: 'registered'; module: string; version: string | undefined }
  | { kind: 'source'; dir: string }
  | { kind: 'archive'; file: string };

async function kindOf(p: string): Promise<'dir' | 'file' | undefined> {
  try {
    const s = await stat(p);
    return s.isDirectory() ? 'dir' : 'file';
  } catch {
    return undefined;
  }
}

/**
 * Reads a module argument as dkms does: a `…dkms.conf` path or a directory holding one is a source tree,
 * another existing file an archive, anything else `module[/version]`; -m/-v fill in or override.
 */
export async function readModuleSpec(
  arg: string | undefined,
  m: string | undefined,
  v: string | undefined,
): Promise<ModuleSpec | undefined> {
  if (arg !== undefined) {
    const kind = await kindOf(arg);
    if (kind === 'file' && arg.endsWith('dkms.conf'))
      return { kind: 'source', dir: path.resolve(path.dirname(arg)) };
    if (kind === 'dir' && (await kindOf(path.join(arg, 'dkms.conf'))) === 'file')
      return { kind: 'source', dir: path.resolve(arg) };
    if (kind === 'file') return { kind: 'archive', file: path.resolve(arg) };
    if (kind === 'dir') throw new KmodError('CONF_NOT_FOUND', `${arg} must contain a dkms.conf file`);
    // module/version has one slash and no dots before it: anything more is a path that is not there.
    if (looksLikePath(arg)) {
      throw new KmodError('NO_SOURCE_DIR', `${arg}: no such directory or dkms.conf`, {
        hint: 'give module/version of an added module, or the directory of a module source (with its dkms.conf)',
      });
    }
    const [module, version] = arg.split('/', 2);
    if (module === undefined || module === '')
      throw new KmodError('USAGE', `"${arg}": expected module/version, a source directory or a dkms.conf`);
    return checkedSpec(module, v ?? (version === '' ? undefined : version));
  }
  if (m !== undefined) return checkedSpec(m, v);
  return undefined;
}

function looksLikePath(arg: string): boolean {
  return (
    arg.startsWith('/') ||
    arg.startsWith('./') ||
    arg.startsWith('../') ||
    arg.startsWith('~') ||
    arg === '.' ||
    arg === '..' ||
    arg.split('/').length > 2 ||
    arg.endsWith('dkms.conf')
  );
}

/** A registered module and version, or the dkms error for what is missing. */
export function requireModuleVersion(
  spec: ModuleSpec | undefined,
  action: string,
): { module: string; version: string } {
  if (spec?.kind === 'registered' && spec.version !== undefined)
    return { module: spec.module, version: spec.version };
  throw new KmodError('MISSING_ARGS', 'Arguments <module> and <module-version> are not specified.', {
    hint: `Usage: kmodforge ${action} <module>/<module-version> or -m <module>/<module-version> or -m <module> -v <module-version>`,
  });
}

function checkedSpec(module: string, version: string | undefined): ModuleSpec {
  for (const [what, value] of [
    ['module', module],
    ['version', version],
  ] as const) {
    const problem = value === undefined ? undefined : planNameProblem(value);
    if (problem !== undefined) throw new KmodError('USAGE', `${what} ${problem}`);
  }
  return { kind: 'registered', module, version };
}
