import type { DirectiveOverride } from '../conf/eval-script.ts';
import type { Context } from '../context.ts';
import { KmodError } from '../errors.ts';
import type { KernelTarget } from '../kernel/target.ts';
import { exists } from '../state/fs.ts';
import { isAdded } from '../state/read-state.ts';
import { tree } from '../state/tree.ts';
import { addModule } from './add.ts';
import type { ModuleSpec } from './module-arg.ts';
import { withMutation, type LockedContext } from './mutation.ts';

/** What build, install and the packaging commands are asked to work on. */
export interface ModuleRequest {
  /** The action, for messages ("build", "mkrpm"). */
  action: string;
  spec: ModuleSpec | undefined;
  targets: readonly KernelTarget[];
  directives: readonly DirectiveOverride[];
}

/**
 * The module and version a build or install works on, adding it first when it names a source tree, or a
 * registered source in <sourceTree>/M-V that is not added yet (dkms builds and installs add as needed).
 */
async function ensureAdded(
  ctx: LockedContext,
  request: ModuleRequest,
): Promise<{ module: string; version: string }> {
  const { spec } = request;
  const target = request.targets[0] ?? { release: ctx.runningKernel, arch: ctx.hostArch };
  const add = { target, directives: request.directives, ifMissing: true };
  if (spec?.kind === 'source' || spec?.kind === 'archive') {
    const added = await addModule(ctx, spec, add);
    return { module: added.module, version: added.version };
  }
  if (spec?.kind !== 'registered' || spec.version === undefined) {
    throw new KmodError('MISSING_ARGS', 'Arguments <module> and <module-version> are not specified.', {
      hint: `Usage: kmodforge ${request.action} <module>/<module-version>, -m <module> -v <module-version>, or a source directory`,
    });
  }
  const { module, version } = spec;
  if (!(await isAdded(ctx.paths, module, version)) && (await exists(tree.source(ctx.paths, module, version))))
    await addModule(ctx, spec, add);
  return { module, version };
}

/**
 * Runs `fn` under the state lock on the module a request names, added first if needed: the one way build,
 * install and the packaging commands reach a module, whether the CLI or other code calls them.
 */
export function withModule<T>(
  ctx: Context,
  request: ModuleRequest,
  fn: (locked: LockedContext, module: string, version: string) => Promise<T>,
): Promise<T> {
  return withMutation(ctx, async (locked) => {
    const { module, version } = await ensureAdded(locked, request);
    return fn(locked, module, version);
  });
}
