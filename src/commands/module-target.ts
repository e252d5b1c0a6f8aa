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
 * What must be added before a build, install or package of a module argument, if anything: a source tree
 * (or archive), or module/version whose source is in <sourceTree>/M-V but not added yet (dkms adds as
 * needed). Reads only; the apply and the dry runs decide the same way through it.
 */
export async function readSpecToAdd(
  ctx: Context,
  spec: ModuleSpec | undefined,
): Promise<ModuleSpec | undefined> {
  if (spec?.kind === 'source' || spec?.kind === 'archive') return spec;
  if (spec?.kind !== 'registered' || spec.version === undefined) return undefined;
  const unadded =
    !(await isAdded(ctx.paths, spec.module, spec.version)) &&
    (await exists(tree.source(ctx.paths, spec.module, spec.version)));
  return unadded ? spec : undefined;
}

/** The module and version a build or install works on, added first when it needs to be. */
async function ensureAdded(
  ctx: LockedContext,
  request: ModuleRequest,
): Promise<{ module: string; version: string }> {
  const { spec } = request;
  const toAdd = await readSpecToAdd(ctx, spec);
  if (toAdd !== undefined) {
    const target = request.targets[0] ?? { release: ctx.runningKernel, arch: ctx.hostArch };
    const added = await addModule(ctx, toAdd, { target, directives: request.directives, ifMissing: true });
    return { module: added.module, version: added.version };
  }
  if (spec?.kind !== 'registered' || spec.version === undefined) {
    throw new KmodError('MISSING_ARGS', 'Arguments <module> and <module-version> are not specified.', {
      hint: `Usage: kmodforge ${request.action} <module>/<module-version>, -m <module> -v <module-version>, or a source directory`,
    });
  }
  return { module: spec.module, version: spec.version };
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
