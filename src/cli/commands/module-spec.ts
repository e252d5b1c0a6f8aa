import { readModuleSpec, type ModuleSpec } from '../../commands/module-arg.ts';
import type { GlobalOptions } from '../global-options.ts';

/**
 * The module a command names, from its argument or -m/-v. A file of its own: status takes it too, and
 * must not load the build and install code that module-command.ts brings.
 */
export async function readSpec(
  arg: string | undefined,
  options: GlobalOptions,
): Promise<ModuleSpec | undefined> {
  return readModuleSpec(arg, options.module, options.moduleVersion);
}
