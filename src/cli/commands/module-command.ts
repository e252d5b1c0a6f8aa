import type { ModuleSpec } from '../../commands/module-arg.ts';
import { readModuleSpec } from '../../commands/module-arg.ts';
import { addModule } from '../../commands/add.ts';
import type { Context } from '../../context.ts';
import type { KernelTarget } from '../../kernel/target.ts';
import type { GlobalOptions } from '../global-options.ts';
import { KmodError } from '../../errors.ts';
import { isAdded } from '../../state/read-state.ts';
import { tree } from '../../state/tree.ts';
import { access } from 'node:fs/promises';

export async function readSpec(
  arg: string | undefined,
  options: GlobalOptions,
): Promise<ModuleSpec | undefined> {
  return readModuleSpec(arg, options.module, options.moduleVersion);
}

/**
 * The module and version a build or install works on, adding it first when it names a source tree, or a
 * registered source in <sourceTree>/M-V that is not added yet (dkms builds and installs add as needed).
 */
export async function ensureAdded(
  ctx: Context,
  spec: ModuleSpec | undefined,
  options: GlobalOptions,
  target: KernelTarget,
  action: string,
): Promise<{ module: string; version: string }> {
  if (spec?.kind === 'source' || spec?.kind === 'archive') {
    const added = await addModule(ctx, spec, {
      target,
      directives: options.directives,
      force: false,
      ifMissing: true,
    });
    return { module: added.module, version: added.version };
  }
  if (spec?.kind !== 'registered' || spec.version === undefined) {
    throw new KmodError('MISSING_ARGS', 'Arguments <module> and <module-version> are not specified.', {
      hint: `Usage: kmodforge ${action} <module>/<module-version>, -m <module> -v <module-version>, or a source directory`,
    });
  }
  const { module, version } = spec;
  if (!(await isAdded(ctx.paths, module, version))) {
    try {
      await access(tree.source(ctx.paths, module, version));
    } catch {
      return { module, version };
    }
    await addModule(ctx, spec, { target, directives: options.directives, force: false, ifMissing: true });
  }
  return { module, version };
}
