/**
 * Test support: an oracle for what the installed dkms (3.0.10 on Debian 12) resolves from a dkms.conf.
 *
 * Runs `dkms-oracle.sh`, which loads dkms's own function definitions from /usr/sbin/dkms at run time,
 * sets the globals like dkms's main does and calls dkms's `read_conf "$kernelver" "$arch" "$conf"`.
 * It is called twice, like `dkms add` does: first with `module`/`module_version` empty (as
 * add_source_tree -> get_pkginfo_from_conf does, reported under `pkgInfo`), then, in a fresh state,
 * with them set from that pass's PACKAGE_NAME/PACKAGE_VERSION (everything else in the result).
 *
 * read_conf also sources `/etc/dkms/<module>*.conf` overrides from the real /etc.
 */
import { execFile as execFileCallback } from 'node:child_process';
import { access } from 'node:fs/promises';
import { constants } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFile = promisify(execFileCallback);

export const dkmsOracleScript = fileURLToPath(new URL('./dkms-oracle.sh', import.meta.url));

export interface DkmsOracleOptions {
  confPath: string;
  kernel: string;
  arch: string;
  /** dkms's --dkmstree (default /var/lib/dkms, or framework.conf's). */
  dkmsTree?: string;
  /** dkms's --sourcetree (default /usr/src, or framework.conf's). */
  sourceTree?: string;
  /** dkms's --installtree (default /lib/modules, or framework.conf's). */
  installTree?: string;
}

/** Values of bash variables by name, then by array index (scalars are index 0; arrays may be sparse). */
export type DkmsVariables = Readonly<Record<string, Readonly<Record<number, string>>>>;

/** One module record as read_conf resolved it (index `i` of its lowercase arrays). */
export interface DkmsOracleModule {
  index: number;
  builtModuleName: string;
  /** With the trailing `/` read_conf appends to a non-empty location. */
  builtModuleLocation: string;
  destModuleName: string;
  /** After override_dest_module_location (on Debian: always `/updates/dkms`). */
  destModuleLocation: string;
  /** The raw DEST_MODULE_LOCATION[i] before the override (undefined when unset). */
  rawDestModuleLocation: string | undefined;
  /** `yes` / `no`; undefined when STRIP[i] was neither empty nor y*|Y*|n*|N* (read_conf then leaves it unset). */
  strip: string | undefined;
}

export interface DkmsOracleResult {
  /** The dkms version the oracle loaded, e.g. `3.0.10`. */
  dkmsVersion: string;
  /** read_conf's return code (0 = valid). */
  returnCode: number;
  /** Everything read_conf printed to stderr: its own `dkms.conf: Error! ...` lines, the conf's stderr, bash errors. */
  stderr: string;
  /** What read_conf printed to stdout (the sourced conf's stdout is discarded by dkms; see sourcedFiles). */
  stdout: string;
  /** The first pass (module unknown), as `dkms add` runs it to learn PACKAGE_NAME/PACKAGE_VERSION. */
  pkgInfo: {
    returnCode: number;
    /** read_conf called dkms's `die` (exit) instead of returning. */
    died: boolean;
    packageName: string;
    packageVersion: string;
    stdout: string;
    stderr: string;
  };
  /** dkms globals after read_conf. */
  module: string;
  moduleVersion: string;
  kernelSourceDir: string;
  kernelConfig: string;
  runningDistribution: string;
  dkmsTree: string;
  sourceTree: string;
  installTree: string;
  /** What read_conf resolved. */
  packageName: string;
  packageVersion: string;
  /** Number of module records, computed as read_conf does (max element count of the four arrays). */
  recordCount: number;
  modules: DkmsOracleModule[];
  makeCommand: string;
  clean: string;
  patchArray: string[];
  /** read_conf's build_exclude is `yes`. */
  buildExclude: boolean;
  postAdd: string;
  postBuild: string;
  postInstall: string;
  postRemove: string;
  preBuild: string;
  preInstall: string;
  obsoleteBy: string;
  /**
   * Every name in dkms's dkms_conf_variables as it stood after the last conf file was sourced (through
   * safe_source's re-evaluation), before read_conf's post-processing. Unset names are absent.
   */
  raw: DkmsVariables;
  /** The variables read_conf computed (package_name, make_command, built_module_name, strip, ...). */
  resolved: DkmsVariables;
  /** Files read_conf sourced (the dkms.conf, then any /etc/dkms overrides) and what each printed on stdout. */
  sourcedFiles: { path: string; stdout: string }[];
  /** The oracle script's own stderr (outside read_conf). */
  oracleStderr: string;
}

/** raw/resolved lookup: `dkmsValue(result.raw, 'MAKE')`, `dkmsValue(result.raw, 'BUILT_MODULE_NAME', 2)`. */
export function dkmsValue(vars: DkmsVariables, name: string, index = 0): string | undefined {
  return vars[name]?.[index];
}

/** All set indices of an array variable, in index order. */
export function dkmsArray(vars: DkmsVariables, name: string): string[] {
  const entries = vars[name];
  if (entries === undefined) return [];
  return Object.keys(entries)
    .map(Number)
    .sort((a, b) => a - b)
    .map((i) => entries[i] ?? '');
}

function oracleEnv(): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    LC_ALL: 'C',
    HOME: process.env['HOME'] ?? '/root',
  };
  const tmp = process.env['TMPDIR'];
  if (tmp !== undefined && tmp !== '') env['TMPDIR'] = tmp;
  return env;
}

/** Runs dkms's own read_conf on a dkms.conf for one kernel/arch. */
export async function readConfWithDkms(opts: DkmsOracleOptions): Promise<DkmsOracleResult> {
  // dkms's read_conf would `die` (exit 4) on an unreadable conf; report that plainly instead.
  await access(opts.confPath, constants.R_OK);
  const args = [dkmsOracleScript, '--conf', opts.confPath, '--kernel', opts.kernel, '--arch', opts.arch];
  if (opts.dkmsTree !== undefined) args.push('--dkms-tree', opts.dkmsTree);
  if (opts.sourceTree !== undefined) args.push('--source-tree', opts.sourceTree);
  if (opts.installTree !== undefined) args.push('--install-tree', opts.installTree);

  let stdout: string;
  let stderr: string;
  try {
    ({ stdout, stderr } = await execFile('bash', args, {
      env: oracleEnv(),
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
      timeout: 120_000,
    }));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`dkms oracle failed for ${opts.confPath} (${opts.kernel}/${opts.arch}): ${message}`, {
      cause: error,
    });
  }
  return parseOracleOutput(stdout, stderr, opts);
}

const varKey = /^(raw|resolved)\.([A-Za-z_][A-Za-z0-9_]*)\[(\d+)\]$/;
const sourcedKey = /^sourced\.(path|stdout)\[(\d+)\]$/;

function parseOracleOutput(stdout: string, stderr: string, opts: DkmsOracleOptions): DkmsOracleResult {
  const fields = stdout.split('\0');
  if (fields.pop() !== '' || fields.length % 2 !== 0) {
    throw new Error(`dkms oracle: malformed output for ${opts.confPath}\n${stderr}`);
  }
  const meta = new Map<string, string>();
  const raw: Record<string, Record<number, string>> = {};
  const resolved: Record<string, Record<number, string>> = {};
  const sourced: { path?: string; stdout?: string }[] = [];
  for (let i = 0; i < fields.length; i += 2) {
    const key = fields[i] ?? '';
    const value = fields[i + 1] ?? '';
    const v = varKey.exec(key);
    if (v != null) {
      const [, kind, name = '', index = '0'] = v;
      const target = kind === 'raw' ? raw : resolved;
      (target[name] ??= {})[Number(index)] = value;
      continue;
    }
    const s = sourcedKey.exec(key);
    if (s != null) {
      const [, what, index = '0'] = s;
      const entry = (sourced[Number(index)] ??= {});
      if (what === 'path') entry.path = value;
      else entry.stdout = value;
      continue;
    }
    meta.set(key, value);
  }
  if (meta.get('meta.complete') !== '1') {
    throw new Error(`dkms oracle: run for ${opts.confPath} did not complete\n${stderr}`);
  }

  const m = (key: string): string => meta.get(key) ?? '';
  const r = (name: string, index = 0): string => resolved[name]?.[index] ?? '';
  const recordCount = Number(m('meta.record_count'));
  const modules: DkmsOracleModule[] = [];
  for (let index = 0; index < recordCount; index++) {
    modules.push({
      index,
      builtModuleName: r('built_module_name', index),
      builtModuleLocation: r('built_module_location', index),
      destModuleName: r('dest_module_name', index),
      destModuleLocation: r('dest_module_location', index),
      rawDestModuleLocation: raw['DEST_MODULE_LOCATION']?.[index],
      strip: resolved['strip']?.[index],
    });
  }

  return {
    dkmsVersion: m('meta.dkms_version'),
    returnCode: Number(m('meta.rc')),
    stderr: m('meta.stderr'),
    stdout: m('meta.stdout'),
    pkgInfo: {
      returnCode: Number(m('meta.pkginfo_rc')),
      died: m('meta.pkginfo_died') === '1',
      packageName: m('meta.pkginfo_package_name'),
      packageVersion: m('meta.pkginfo_package_version'),
      stdout: m('meta.pkginfo_stdout'),
      stderr: m('meta.pkginfo_stderr'),
    },
    module: m('global.module'),
    moduleVersion: m('global.module_version'),
    kernelSourceDir: m('global.kernel_source_dir'),
    kernelConfig: m('global.kernel_config'),
    runningDistribution: m('global.running_distribution'),
    dkmsTree: m('global.dkms_tree'),
    sourceTree: m('global.source_tree'),
    installTree: m('global.install_tree'),
    packageName: r('package_name'),
    packageVersion: r('package_version'),
    recordCount,
    modules,
    makeCommand: r('make_command'),
    clean: r('clean'),
    patchArray: dkmsArray(resolved, 'patch_array'),
    buildExclude: r('build_exclude') === 'yes',
    postAdd: r('post_add'),
    postBuild: r('post_build'),
    postInstall: r('post_install'),
    postRemove: r('post_remove'),
    preBuild: r('pre_build'),
    preInstall: r('pre_install'),
    obsoleteBy: r('obsolete_by'),
    raw,
    resolved,
    sourcedFiles: sourced.map((e) => ({ path: e.path ?? '', stdout: e.stdout ?? '' })),
    oracleStderr: stderr,
  };
}
