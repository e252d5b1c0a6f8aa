import path from 'node:path';
import { KmodError } from '../errors.ts';
import { baseEnv, runCommand } from '../exec/run.ts';
import { withTempDir } from '../state/temp-dir.ts';
import { buildEvalScript, type ConfFile, type ConfVariables, type DirectiveOverride } from './eval-script.ts';
import { parseConfDump, type ConfDump } from './parse-dump.ts';

export interface EvaluatedConf extends ConfDump {
  /** What the files wrote to stderr while sourced (their stdout is discarded, as dkms does). */
  stderr: string;
}

export const defaultConfTimeoutMs = 30_000;

/**
 * Sources dkms.conf and its override files with bash in a clean environment and reads back every directive.
 * Throws CONF_FAILED when a file exits part way, bash dies, or it does not finish within the timeout.
 */
export async function evaluateConf(
  files: readonly ConfFile[],
  vars: ConfVariables,
  options: {
    overrides?: readonly DirectiveOverride[] | undefined;
    timeoutMs?: number | undefined;
    path?: string | undefined;
  } = {},
): Promise<EvaluatedConf> {
  const timeoutMs = options.timeoutMs ?? defaultConfTimeoutMs;
  const env = baseEnv(options.path === undefined ? {} : { PATH: options.path });
  // The state file's directory is private (mkdtemp makes it 0700), as this often runs as root.
  const result = await withTempDir('kmodforge-conf-', (dir) =>
    runCommand(
      'bash',
      [
        '--noprofile',
        '--norc',
        '-c',
        buildEvalScript(files, vars, options.overrides ?? [], path.join(dir, 'state')),
        'dkms.conf',
      ],
      { env, timeoutMs, cwd: '/' },
    ),
  );
  const main = files[0]?.path ?? 'dkms.conf';
  if (result.timedOut) {
    throw new KmodError(
      'CONF_FAILED',
      `${main}: did not finish within ${timeoutMs / 1000} s when sourced by bash`,
      {
        hint: 'dkms.conf is sourced for every kernel; it must not wait for input or run long commands',
      },
    );
  }
  const dump = parseConfDump(result.stdout);
  if (dump.exited !== undefined) {
    throw new KmodError(
      'CONF_FAILED',
      `${dump.exited.file}: exited with status ${dump.exited.status} before its end when sourced by bash${stderrTail(result.stderr)}`,
      { hint: 'a dkms.conf is sourced, not run: it must not call `exit`' },
    );
  }
  if (!dump.complete) {
    throw new KmodError(
      'CONF_FAILED',
      `${main}: bash stopped (${result.signal ?? `exit code ${result.exitCode ?? '?'}`}) while reading it${stderrTail(result.stderr)}`,
    );
  }
  return { ...dump, stderr: result.stderr };
}

function stderrTail(stderr: string): string {
  const text = stderr.trim();
  return text === '' ? '' : `:\n${text.split('\n').slice(-10).join('\n')}`;
}
