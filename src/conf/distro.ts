import { parseShellAssignments, planShellValues } from '../config/shell-assignments.ts';
import { underRoot } from '../paths.ts';
import { readOptional } from '../state/fs.ts';

export interface Distro {
  /** What dkms's distro_version prints: os-release ID for Ubuntu, else the first ID_LIKE, else ID. */
  id: string;
  /** ADDON_MODULES_DIR from /etc/sysconfig/module-init-tools, which beats the distro rule. */
  addonModulesDir: string | undefined;
}

/** dkms.in distro_version + override_dest_module_location's inputs, read from the system under root. */
export function parseDistro(osRelease: string | undefined, moduleInitTools: string | undefined): Distro {
  const os = planShellValues(parseShellAssignments(osRelease ?? ''));
  const id = os.get('ID') ?? 'unknown';
  const like = (os.get('ID_LIKE') ?? '').split(/\s+/).filter((s) => s !== '');
  const addon = planShellValues(parseShellAssignments(moduleInitTools ?? '')).get('ADDON_MODULES_DIR');
  return {
    id: id === 'ubuntu' ? id : (like[0] ?? id),
    addonModulesDir: addon === undefined || addon === '' ? undefined : addon,
  };
}

/**
 * Where the distro installs dkms modules, replacing DEST_MODULE_LOCATION (dkms.in
 * override_dest_module_location); undefined keeps the dkms.conf's value.
 */
export function planDestOverride(distro: Distro): string | undefined {
  if (distro.addonModulesDir !== undefined) return `/${distro.addonModulesDir}`;
  const id = distro.id;
  if (/^(fedora|rhel|ovm)/.test(id)) return '/extra';
  if (/^(sles|suse|opensuse)/.test(id)) return '/updates';
  if (/^(debian|ubuntu|arch)/.test(id)) return '/updates/dkms';
  return undefined;
}

export async function readDistro(root: string): Promise<Distro> {
  const osRelease =
    (await readOptional(underRoot(root, '/etc/os-release'))) ??
    (await readOptional(underRoot(root, '/usr/lib/os-release')));
  return parseDistro(osRelease, await readOptional(underRoot(root, '/etc/sysconfig/module-init-tools')));
}
