import { chmod, cp, lstat, readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import type { Userland } from '../conf/module-conf.ts';
import type { Context } from '../context.ts';
import { KmodError } from '../errors.ts';
import { baseEnv, describeEnd, lastLines, runCommand, runOrThrow } from '../exec/run.ts';
import { copyTree } from '../state/copy-tree.ts';
import { tree } from '../state/tree.ts';
import { makeDirs } from '../state/fs.ts';

export interface StagedFile {
  /** Path on the target system. */
  path: string;
  mode: number;
}

/**
 * Builds a module's userland once (USERLAND_BUILD, run by bash in a copy of the source) and stages the
 * USERLAND_FILE entries under `stageRoot` at their system paths with their modes.
 */
export async function stageUserland(
  ctx: Context,
  options: { module: string; version: string; userland: Userland },
  work: string,
  stageRoot: string,
): Promise<StagedFile[]> {
  const source = await realpath(tree.sourceLink(ctx.paths, options.module, options.version));
  const dir = path.join(work, 'userland-source');
  await copyTree(source, dir);
  if (options.userland.build !== undefined) {
    const timeoutMs = 60 * 60 * 1000;
    const result = await runCommand('bash', ['--noprofile', '--norc', '-c', options.userland.build], {
      cwd: dir,
      env: baseEnv(),
      timeoutMs,
    });
    if (result.exitCode !== 0 || result.timedOut) {
      throw new KmodError(
        'BUILD_FAILED',
        `${options.module}/${options.version}: USERLAND_BUILD "${options.userland.build}" failed (${describeEnd(result, timeoutMs)}):\n${lastLines(result.all, 20)}`,
      );
    }
  }
  const staged: StagedFile[] = [];
  for (const file of options.userland.files) {
    const from = path.join(dir, file.source);
    const to = path.join(stageRoot, file.dest);
    // A link could lead the chmod and strip below to any file of the machine that builds the package.
    const kind = await lstat(from).catch(() => undefined);
    if (kind === undefined || !kind.isFile()) {
      const why = kind === undefined ? 'does not exist after USERLAND_BUILD' : 'is not a regular file';
      throw new KmodError(
        'BUILD_FAILED',
        `${options.module}/${options.version}: USERLAND_FILE ${file.source} ${why}`,
      );
    }
    await makeDirs(path.dirname(to));
    await cp(from, to);
    await chmod(to, file.mode);
    // Packages ship stripped programs (lintian: unstripped-binary-or-object).
    const magic = await readFile(to).then((b) => b.subarray(0, 4).toString('latin1'));
    if (magic === '\x7fELF')
      await runOrThrow(
        'strip',
        ['--strip-unneeded', '--remove-section=.comment', '--remove-section=.note', to],
        { timeoutMs: 60_000 },
      );
    staged.push({ path: file.dest, mode: file.mode });
  }
  return staged;
}
