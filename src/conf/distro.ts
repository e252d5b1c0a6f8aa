import { readFile } from 'node:fs/promises';
import { isErrno } from '../errors.ts';
import { underRoot } from '../paths.ts';

export interface Distro {
  /** What dkms's distro_version prints: os-release ID for Ubuntu, else the first ID_LIKE, else ID. */
  id: string;
  /** ADDON_MODULES_DIR from /etc/sysconfig/module-init-tools, which beats the distro rule. */
  addonModulesDir: string | undefined;
}

/** Parses os-release / sysconfig style KEY=value lines (optionally quoted); no shell evaluation. */
export function parseKeyValueFile(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\s*(?:export\s+)?([A-Za-z_]\w*)=(.*)$/.exec(line.replace(/\r$/, ''));
    if (m === null) continue;
    let value = (m[2] ?? '').trim();
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.endsWith(quote) && value.length >= 2) {
      value = value.slice(1, -1);
      if (quote === '"') value = value.replace(/\\(["\\$`])/g, '$1');
    }
    values.set(m[1] ?? '', value);
  }
  return values;
}

/** dkms.in distro_version + override_dest_module_location's inputs, read from the system under root. */
export function parseDistro(osRelease: string | undefined, moduleInitTools: string | undefined): Distro {
  const os = parseKeyValueFile(osRelease ?? '');
  const id = os.get('ID') ?? 'unknown';
  const like = (os.get('ID_LIKE') ?? '').split(/\s+/).filter((s) => s !== '');
  const addon = parseKeyValueFile(moduleInitTools ?? '').get('ADDON_MODULES_DIR');
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

export async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if (isErrno(error, 'ENOENT', 'ENOTDIR')) return undefined;
    throw error;
  }
}
