import { access, constants } from 'node:fs/promises';
import path from 'node:path';
import type { Context } from '../context.ts';
import { baseEnv, describeEnd, runCommand } from '../exec/run.ts';
import { tree } from '../state/tree.ts';

export type SourceScriptKind = 'POST_ADD' | 'PRE_INSTALL' | 'POST_INSTALL' | 'POST_REMOVE';

const scriptTimeoutMs = 30 * 60 * 1000;

/**
 * Runs POST_ADD/PRE_INSTALL/POST_INSTALL/POST_REMOVE as dkms's run_build_script does: the path is relative
 * to the module's source, run from there, word-split. Not executable: a warning and status 0. Returns the
 * script's exit status; its output is shown as it would be by dkms.
 */
export async function runModuleScript(
  ctx: Context,
  options: {
    module: string;
    version: string;
    kind: SourceScriptKind;
    script: string;
    kernel?: string;
    arch?: string;
    /** The source directory, when the <dkmsTree>/M/V/source link is gone (remove). */
    sourceDir?: string;
  },
): Promise<number> {
  const dir = options.sourceDir ?? tree.sourceLink(ctx.paths, options.module, options.version);
  const executable = path.join(dir, options.script.split(' ')[0] ?? '');
  try {
    await access(executable, constants.X_OK);
  } catch {
    ctx.emit({
      type: 'warning',
      message: `The ${options.kind.toLowerCase()} script ${executable} is not executable; not running it.`,
    });
    return 0;
  }
  ctx.emit({ type: 'info', message: `Running the ${options.kind.toLowerCase()} script: ${options.script}` });
  const env = baseEnv({
    ...(options.kernel === undefined ? {} : { kernelver: options.kernel }),
    ...(options.arch === undefined ? {} : { arch: options.arch }),
    module: options.module,
    module_version: options.version,
  });
  const result = await runCommand(
    'bash',
    ['--noprofile', '--norc', '-c', 'cd "$1" && exec $2', 'dkms-script', dir, `./${options.script}`],
    {
      env,
      timeoutMs: scriptTimeoutMs,
    },
  );
  const output = result.all.trimEnd();
  if (output !== '') ctx.emit({ type: 'info', message: output });
  if (result.exitCode !== 0) {
    ctx.emit({
      type: 'warning',
      message: `The ${options.kind.toLowerCase()} script ${options.script} failed (${describeEnd(result, scriptTimeoutMs)}).`,
    });
  }
  return result.exitCode ?? 1;
}
