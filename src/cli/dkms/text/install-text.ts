/**
 * dkms 3.0.10's words for `install` (do_install, and the do_uninstall that `install --force` starts with),
 * from facts read before kmodforge installs: pure.
 */
import type { ModuleVersion, VersionVerdict } from '../../../install/version-sanity.ts';

export function formatAlreadyInstalled(
  module: string,
  version: string,
  kernel: string,
  arch: string,
): string {
  return `Module ${module}/${version} already installed on kernel ${kernel} (${arch}), skip. You may override by specifying --force.\n`;
}

export function formatNoKernelDir(installTree: string, kernel: string): string[] {
  return [
    `The directory ${installTree}/${kernel} doesn't exist.`,
    'You cannot install a module onto a non-existant kernel.',
  ];
}

/** What check_version_sanity finds for one module, read before the install. */
export interface DkmsSanityFacts {
  /** The module's file name as dkms says it: dest name and the kernel's module suffix. */
  file: string;
  kernel: string;
  /** Files of that name already in the kernel's tree (find_module). */
  existing: number;
  ours: ModuleVersion | undefined;
  theirs: ModuleVersion | undefined;
  /** How ours compares with theirs (compareModuleVersions). */
  verdict: VersionVerdict | undefined;
  force: boolean;
  forceVersionOverride: boolean;
}

/**
 * check_version_sanity's text (stdout, then stderr) and whether the module may be installed: dkms refuses
 * a module whose version is not newer than the kernel's (or the same), unless --force.
 */
export function planDkmsSanity(f: DkmsSanityFacts): { out: string; err: string; ok: boolean } {
  const out = 'Running module version sanity check.\n';
  if (f.existing === 0 || f.forceVersionOverride) return { out, err: '', ok: true };
  if (f.existing > 1)
    return {
      out,
      err: `Warning: Warning! Cannot do version sanity checking because multiple ${f.file}\nmodules were found in kernel ${f.kernel}.\n`,
      ok: true,
    };
  if (f.force || f.ours === undefined || f.theirs === undefined) return { out, err: '', ok: true };
  if (f.verdict === 'same')
    return {
      out,
      err: [
        `Module version ${f.ours.version} for ${f.file}`,
        `exactly matches what is already found in kernel ${f.kernel}.`,
        'DKMS will not replace this module.',
        'You may override by specifying --force.',
        '',
      ].join('\n'),
      ok: false,
    };
  if (f.verdict === 'older')
    return {
      out,
      err: [
        `Error! Module version ${f.ours.version} for ${f.file}`,
        `is not newer than what is already found in kernel ${f.kernel} (${f.theirs.version}).`,
        'You may override by specifying --force.',
        '',
      ].join('\n'),
      ok: false,
    };
  return { out, err: '', ok: true };
}

/** What do_install finds about the original module a first install shadows. */
export type DkmsOriginalFacts =
  { kind: 'stored-before' } | { kind: 'never-had' } | { kind: 'found'; file: string } | { kind: 'none' };

/**
 * The " - Original module" part: on Debian and Ubuntu dkms keeps a found original where it is and says
 * nothing of it; elsewhere it archives it. `alreadyFound` is dkms's `found_original`, which, set by one
 * module, silences "No original module" for the kernel's later modules.
 */
export function formatDkmsOriginal(
  facts: DkmsOriginalFacts,
  context: { distroId: string; archiveDir: string; alreadyFound: boolean },
): string {
  const lines = [' - Original module'];
  switch (facts.kind) {
    case 'stored-before':
      lines.push('   - An original module was already stored during a previous install');
      break;
    case 'never-had':
      lines.push('   - This kernel never originally had a module by this name');
      break;
    case 'found':
      if (!/^(debian|ubuntu)/.test(context.distroId))
        lines.push(
          `   - Found ${facts.file}`,
          `   - Storing in ${context.archiveDir}/`,
          '   - Archiving for uninstallation purposes',
        );
      break;
    case 'none':
      if (!context.alreadyFound) lines.push('   - No original module exists within this kernel');
      break;
  }
  return `${lines.join('\n')}\n`;
}

export function formatDkmsInstallation(installTree: string, kernel: string, destLocation: string): string {
  return ` - Installation\n   - Installing to ${installTree}/${kernel}${destLocation}/\n`;
}

/** One module of do_uninstall's text for a module that was active on the kernel. */
export interface DkmsUninstallModule {
  file: string;
  /** Where the installed copy was found ("/updates/dkms"), or undefined when it was not. */
  foundIn: string | undefined;
  hasOriginal: boolean;
}

/** do_uninstall for an active module (what `install --force` prints first), up to its depmod. */
export function formatDkmsUninstall(facts: {
  module: string;
  version: string;
  kernel: string;
  arch: string;
  installTree: string;
  distroId: string;
  modules: readonly DkmsUninstallModule[];
  originalsDir: string | undefined;
  dkmsTree: string;
}): string {
  const lines = [
    `Module ${facts.module}-${facts.version} for kernel ${facts.kernel} (${facts.arch}).`,
    'Before uninstall, this module version was ACTIVE on this kernel.',
  ];
  for (const m of facts.modules) {
    lines.push('', `${m.file}:`, ' - Uninstallation');
    lines.push(
      m.foundIn === undefined
        ? `   - Module was not found within ${facts.installTree}/${facts.kernel}/`
        : `   - Deleting from: ${facts.installTree}/${facts.kernel}${m.foundIn}/`,
    );
    lines.push(' - Original module');
    if (!m.hasOriginal)
      lines.push(
        '   - No original module was found for this module on this kernel.',
        '   - Use the dkms install command to reinstall any previous module version.',
      );
    else if (!/^(debian|ubuntu)/.test(facts.distroId))
      lines.push(
        '   - Archived original module found in the DKMS tree',
        `   - Moving it to: ${facts.installTree}/${facts.kernel}${m.foundIn ?? ''}/`,
      );
  }
  lines.push('depmod...');
  if (facts.originalsDir !== undefined)
    lines.push('', `Removing original_module from DKMS tree for kernel ${facts.kernel} (${facts.arch})`);
  return `${lines.join('\n')}\n`;
}
