import { runCommand } from '../exec/run.ts';
import { compareKernelReleases } from '../version/kernel.ts';

export interface ModuleVersion {
  version: string;
  srcversion: string;
}

/** MODULE_VERSION and srcversion of a module file, via modinfo; empty strings when it has none. */
export async function readModuleVersion(file: string): Promise<ModuleVersion> {
  const read = async (field: string): Promise<string> => {
    const result = await runCommand('modinfo', ['-F', field, file], { timeoutMs: 60_000 });
    return result.exitCode === 0 ? result.stdout.trim() : '';
  };
  return { version: await read('version'), srcversion: await read('srcversion') };
}

export type VersionVerdict = 'newer' | 'same' | 'older' | 'unknown';

/**
 * How the module being installed compares with one already in the kernel tree (dkms.in
 * compare_module_version): "same" when the versions are equal, "unknown" when either has none.
 */
export function compareModuleVersions(ours: ModuleVersion, theirs: ModuleVersion): VersionVerdict {
  if (ours.version === theirs.version) return 'same';
  if (ours.version === '' || theirs.version === '') return 'unknown';
  return compareKernelReleases(ours.version, theirs.version) > 0 ? 'newer' : 'older';
}
