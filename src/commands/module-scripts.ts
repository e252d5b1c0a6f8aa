import { access, constants } from 'node:fs/promises';
import path from 'node:path';
import type { Context, ScriptKind } from '../context.ts';
import { shellExitStatus } from '../build/build-steps.ts';
import { baseEnv, describeEnd, runCommand } from '../exec/run.ts';
import { tree } from '../state/tree.ts';

export type SourceScriptKind = Exclude<ScriptKind, 'PRE_BUILD' | 'POST_BUILD'>;

const scriptTimeoutMs = 30 * 60 * 1000;

/**
 * Runs POST_ADD/PRE_INSTALL/POST_INSTALL/POST_REMOVE as dkms's run_build_script does: the path is relative
 * to the module's source, run from there, word-split. Not executable: not run, status 0. Returns the
 * script's exit status; the run (its two streams apart) is a `script` event, and a failure also a warning.
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
  const event = {
    type: 'script' as const,
    kind: options.kind,
    module: options.module,
    version: options.version,
    kernel: options.kernel,
    arch: options.arch,
    script: options.script,
    path: executable,
  };
  try {
    await access(executable, constants.X_OK);
  } catch {
    ctx.emit({ ...event, ran: false, exitStatus: 0, stdout: '', stderr: '', output: '' });
    return 0;
  }
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
  // Killed or timed out, it has no status of its own: the shell's, as dkms would see it.
  const exitStatus = result.timedOut ? 1 : shellExitStatus(result);
  ctx.emit({
    ...event,
    ran: true,
    exitStatus,
    stdout: result.stdout,
    stderr: result.stderr,
    output: result.all,
  });
  if (exitStatus !== 0) {
    ctx.emit({
      type: 'warning',
      message: `The ${options.kind.toLowerCase()} script ${options.script} failed (${describeEnd(result, scriptTimeoutMs)}).`,
    });
  }
  return exitStatus;
}
