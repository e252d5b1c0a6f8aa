import path from 'node:path';
import type { UninstallFacts } from '../../../install/uninstall-plan.ts';
import { destDir } from '../../../install/install-plan.ts';
import type { Paths } from '../../../paths.ts';
import { moduleNameOf } from '../../../state/module-name.ts';
import { tree } from '../../../state/tree.ts';
import { formatScriptRun, type ScriptRun } from './add-remove-scripts.ts';

/** dkms's set_module_suffix: ".ko", and the compression a kernel's modules.dep shows (the last found wins). */
export function parseModuleSuffix(modulesDep: string | undefined): string {
  const compressed = ['.zst', '.xz', '.gz'].find((s) => modulesDep?.includes(`${s}:`) === true) ?? '';
  return `.ko${compressed}`;
}

/** What do_uninstall's words depend on besides the uninstall's facts, read before it ran. */
export interface UninstallTextFacts {
  /** parseModuleSuffix of the kernel's modules.dep. */
  moduleSuffix: string;
  /** dkms's running_distribution is debian* or ubuntu*: it leaves archived originals where they are. */
  keepsOriginals: boolean;
  /** <dkmsTree>/M/original_module/K/A before the uninstall: absent, a directory, or one with collisions/. */
  originals: 'none' | 'present' | 'collisions';
  /** POST_REMOVE, when dkms.conf names one. */
  script: ScriptRun | undefined;
  /** --verbose: invoke_command prints the command instead of its description. */
  verbose: boolean;
}

/**
 * What dkms 3.0.10's do_uninstall prints for one kernel (stdout, stderr): each module's location and
 * original, POST_REMOVE, depmod (without the dots it adds every 3 seconds depmod runs) and the archive of
 * originals. Pure.
 */
export function formatDkmsUninstall(
  paths: Paths,
  version: string,
  facts: UninstallFacts,
  text: UninstallTextFacts,
): { out: string; err: string } {
  const { module, kernel, arch } = facts;
  const kernelTree = `${paths.installTree}/${kernel}`;
  const lines = [
    `Module ${module}-${version} for kernel ${kernel} (${arch}).`,
    'Before uninstall, this module version was ACTIVE on this kernel.',
  ];
  for (const record of facts.conf.modules) {
    const found = [record.destLocation, record.rawDestLocation].find((location) =>
      facts.installedFiles.some(
        (file) =>
          path.dirname(file) === destDir(paths, kernel, location) && moduleNameOf(file) === record.destName,
      ),
    );
    lines.push('', `${record.destName}${text.moduleSuffix}:`, ' - Uninstallation');
    lines.push(
      found === undefined
        ? `   - Module was not found within ${kernelTree}/`
        : `   - Deleting from: ${kernelTree}${found}/`,
    );
    lines.push(' - Original module');
    if (!facts.archived.some((a) => moduleNameOf(a.file) === record.destName))
      lines.push(
        '   - No original module was found for this module on this kernel.',
        '   - Use the dkms install command to reinstall any previous module version.',
      );
    else if (!text.keepsOriginals)
      lines.push(
        '   - Archived original module found in the DKMS tree',
        `   - Moving it to: ${kernelTree}${record.rawDestLocation}/`,
      );
  }
  let out = lines.map((l) => `${l}\n`).join('');
  let err = '';
  if (text.script !== undefined) {
    const script = formatScriptRun(text.script);
    out += script.out;
    err += script.err;
  }
  // invoke_command: the command and its own newline when verbose, else the description and dots.
  out += text.verbose ? `do_depmod ${kernel}\n\n` : 'depmod...\n';
  const originals = tree.originalModules(paths, module, kernel, arch);
  if (text.originals === 'present')
    out += `\nRemoving original_module from DKMS tree for kernel ${kernel} (${arch})\n`;
  else if (text.originals === 'collisions')
    out += [
      '',
      `Keeping directory ${originals}/collisions/`,
      'for your reference purposes.  Your kernel originally contained multiple',
      'same-named modules and this directory is now where these are located.',
      '',
    ].join('\n');
  return { out, err };
}

/** maybe_uninstall_module's and maybe_unbuild_module's line when there is nothing to do. */
export function formatSkipped(
  what: 'installed' | 'built',
  module: string,
  version: string,
  kernel: string,
  arch: string,
): string {
  return `Module ${module} ${version} is not ${what} for kernel ${kernel} (${arch}). Skipping...\n`;
}

/** remove_module's line when no build of the version is left. */
export function formatDeletedVersion(module: string, version: string): string {
  return `Deleting module ${module}-${version} completely from the DKMS tree.\n`;
}
