import path from 'node:path';
import { runCommand } from '../exec/run.ts';
import { modinfoField, parseModinfo } from '../state/modinfo.ts';
import { readModuleImage } from '../state/module-image.ts';
import {
  parseShowDepends,
  planForeignDependencies,
  planLoadOrder,
  planModuleName,
  type BuiltModule,
  type LoadEntry,
  type ShowDependsLine,
} from './load-order.ts';

const modprobeTimeoutMs = 60_000;

/** A built module's name and dependencies, from its .modinfo (the file name when it has no `name=`). */
export async function readBuiltModule(file: string): Promise<BuiltModule> {
  const info = parseModinfo(await readModuleImage(file)) ?? [];
  const name = modinfoField(info, 'name')[0] ?? planModuleName(file);
  const depends = (modinfoField(info, 'depends')[0] ?? '').split(',').filter((d) => d !== '');
  return { name, file, depends };
}

export interface ModuleClosure {
  entries: LoadEntry[];
  /** Names modprobe could not resolve among the kernel's modules, with what it said. */
  unresolved: { name: string; message: string }[];
}

/**
 * What a boot loads: the kernel's modules that ours depend on and the ones asked for, resolved by modprobe
 * from the kernel's own modules.dep (`-d` its root, `-S` its release, `-C` an empty directory so that this
 * machine's /etc/modprobe.d plays no part), then ours in dependency order.
 */
export async function readModuleClosure(
  modulesRoot: string,
  kernel: string,
  builtFiles: readonly string[],
  requested: readonly string[],
  emptyDir: string,
): Promise<ModuleClosure> {
  const built = await Promise.all(builtFiles.map(readBuiltModule));
  const unresolved: ModuleClosure['unresolved'] = [];
  const resolve = async (name: string): Promise<ShowDependsLine[]> => {
    const result = await runCommand(
      'modprobe',
      ['-d', modulesRoot, '-S', kernel, '-C', emptyDir, '--show-depends', name],
      { timeoutMs: modprobeTimeoutMs },
    );
    if (result.exitCode === 0 && !result.timedOut) return parseShowDepends(result.stdout);
    unresolved.push({ name, message: result.all.trim().replace(/^modprobe: (FATAL: )?/, '') });
    return [];
  };
  const [dependencies, wanted] = await Promise.all([
    Promise.all(planForeignDependencies(built).map(resolve)),
    Promise.all(requested.map(resolve)),
  ]);
  const entries = planLoadOrder(built, [
    ...wanted.map((lines) => ({ origin: 'requested' as const, lines })),
    ...dependencies.map((lines) => ({ origin: 'dependency' as const, lines })),
  ]);
  return { entries: entries.map((e) => ({ ...e, file: path.resolve(e.file) })), unresolved };
}
