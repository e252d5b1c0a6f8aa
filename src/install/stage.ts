import { cp } from 'node:fs/promises';
import path from 'node:path';
import type { Context } from '../context.ts';
import { KmodError } from '../errors.ts';
import type { KernelTarget } from '../kernel/target.ts';
import type { DirectiveOverride } from '../conf/eval-script.ts';
import { findModuleFile } from '../state/module-file.ts';
import { readRegisteredConf } from '../state/registered.ts';
import { tree } from '../state/tree.ts';
import { makeDirs } from '../state/fs.ts';

export interface StagedModule {
  /** DEST_MODULE_NAME. */
  name: string;
  /** The staged file. */
  file: string;
  /** Its path on the target system, e.g. /lib/modules/<K>/updates/dkms/hello.ko. */
  systemPath: string;
}

/**
 * Copies a built module's files under `destDir` exactly where install puts them on the system
 * (`<destDir>/lib/modules/<K><location>/<name>.ko[.xz]`, with the distro's location): the DESTDIR of
 * `install --destdir` and of every package. Changes nothing else.
 */
export async function stageModules(
  ctx: Context,
  options: {
    module: string;
    version: string;
    target: KernelTarget;
    directives?: readonly DirectiveOverride[];
  },
  destDir: string,
): Promise<StagedModule[]> {
  const { target } = options;
  const { conf } = await readRegisteredConf(ctx, options.module, options.version, target, {
    directives: options.directives ?? [],
  });
  const moduleDir = tree.builtModules(ctx.paths, {
    module: options.module,
    version: options.version,
    kernel: target.release,
    arch: target.arch,
  });
  const relative = path.relative(ctx.paths.root, ctx.paths.installTree);
  const systemTree = relative.startsWith('..') ? '/lib/modules' : `/${relative}`;
  const staged: StagedModule[] = [];
  for (const record of conf.modules) {
    const built = await findModuleFile(moduleDir, record.destName);
    if (built === undefined) {
      throw new KmodError(
        'BUILT_MODULE_MISSING',
        `${record.destName}.ko is missing from ${moduleDir}; rebuild with --force`,
      );
    }
    const systemPath = path.join(systemTree, target.release, record.destLocation, path.basename(built));
    const file = path.join(destDir, systemPath);
    await makeDirs(path.dirname(file));
    await cp(built, file, { preserveTimestamps: true });
    staged.push({ name: record.destName, file, systemPath });
  }
  return staged;
}
