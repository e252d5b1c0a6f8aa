import path from 'node:path';
import { readOptional } from '../state/fs.ts';
import { KmodError } from '../errors.ts';
import type { FlavorRule } from '../kernel/release.ts';
import type { Paths } from '../paths.ts';
import { parseIni, type IniEntry, type IniSection } from './ini.ts';

/** kmodforge's own settings, from <root>/etc/kmodforge/config. */
export interface KmodforgeConfig {
  file: string | undefined;
  /** User-declared flavors, tried before the distro rules. */
  flavorRules: FlavorRule[];
  /** [build] jobs: the job budget when -j is not given. */
  jobs: number | undefined;
  /** [build] cache_size: the build cache's size limit in bytes (0 turns the cache off); default 1 GiB. */
  cacheSize: number | undefined;
  /** [signing]: key, certificate, sign_file, require; they win over /etc/dkms/framework.conf. */
  signing: { key?: string; certificate?: string; signFile?: string; require?: boolean };
  /** [package] maintainer: who packages are from (rpm Packager, deb Maintainer). */
  maintainer: string | undefined;
}

export const emptyConfig: KmodforgeConfig = {
  file: undefined,
  flavorRules: [],
  jobs: undefined,
  cacheSize: undefined,
  signing: {},
  maintainer: undefined,
};

/**
 * Parses the config file. Its format:
 *
 *   [flavor host108]          # a flavor named by the end of the release: 2.4.18-14host108
 *   [flavor vendor]           # a flavor given by exact releases or patterns
 *   release = 5.10.0-acme7
 *   pattern = ^4\.19\.\d+-ti-r\d+$
 *   [build]
 *   jobs = 4
 *   cache_size = 2G                    # the build cache's limit: bytes, or K, M, G, T (1024s); 0 = off
 *   [signing]
 *   key = /etc/kmodforge/mok.key       # or a pkcs11: URI; ${kernelver} is expanded per kernel
 *   certificate = /etc/kmodforge/mok.der
 *   sign_file = /usr/local/bin/sign-file
 *   require = yes                      # a module that cannot be signed fails its build
 *   [package]
 *   maintainer = Jane Doe <jane@example.com>
 */
export function parseKmodforgeConfig(text: string, file: string): KmodforgeConfig {
  const config: KmodforgeConfig = { ...emptyConfig, file, flavorRules: [], signing: {} };
  for (const section of parseIni(text, file)) {
    const flavor = /^flavor\s+(\S+)$/.exec(section.name);
    if (flavor !== null) config.flavorRules.push(...parseFlavorSection(flavor[1] ?? '', section, file));
    else if (section.name === 'build') parseBuildSection(section, file, config);
    else if (section.name === 'signing') parseSigningSection(section, file, config);
    else if (section.name === 'package') parsePackageSection(section, file, config);
    else {
      throw new KmodError(
        'CONFIG_INVALID',
        `${file}:${section.line}: unknown section [${section.name}]; expected [flavor NAME], [build], [signing] or [package]`,
      );
    }
  }
  return config;
}

function invalid(file: string, entry: IniEntry, message: string): KmodError {
  return new KmodError('CONFIG_INVALID', `${file}:${entry.line}: ${entry.key}: ${message}`);
}

function parseFlavorSection(name: string, section: IniSection, file: string): FlavorRule[] {
  const rules: FlavorRule[] = [];
  for (const entry of section.entries) {
    if (entry.key === 'release') {
      if (entry.value === '' || /[\s/]/.test(entry.value))
        throw invalid(file, entry, `"${entry.value}" is not a kernel release`);
      rules.push({ kind: 'exact', release: entry.value, flavor: name });
    } else if (entry.key === 'pattern') {
      let pattern: RegExp;
      try {
        pattern = new RegExp(entry.value);
      } catch (error) {
        throw invalid(
          file,
          entry,
          `"${entry.value}" is not a valid regular expression (${(error as Error).message})`,
        );
      }
      rules.push({ kind: 'pattern', pattern, flavor: name });
    } else {
      throw invalid(
        file,
        entry,
        'unknown key; a [flavor NAME] section takes "release = <kernel release>" or "pattern = <regex>"',
      );
    }
  }
  if (rules.length === 0) rules.push({ kind: 'suffix', suffix: name });
  return rules;
}

function parseBuildSection(section: IniSection, file: string, config: KmodforgeConfig): void {
  for (const entry of section.entries) {
    if (entry.key === 'cache_size') {
      config.cacheSize = parseCacheSize(file, entry);
      continue;
    }
    if (entry.key !== 'jobs')
      throw invalid(file, entry, 'unknown key; [build] takes "jobs = <number>" and "cache_size = <size>"');
    if (!/^\d+$/.test(entry.value) || Number(entry.value) < 1)
      throw invalid(file, entry, `"${entry.value}" is not a positive number`);
    config.jobs = Number(entry.value);
  }
}

const sizeUnits: Readonly<Record<string, number>> = { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };

/** `cache_size`: bytes, or a whole number with K, M, G or T (powers of 1024; `KiB`, `MB`… also read); 0 = off. */
function parseCacheSize(file: string, entry: IniEntry): number {
  const m = /^(\d+)\s*(?:([KMGT])(?:i?B)?|B)?$/i.exec(entry.value);
  const bytes =
    m === null ? Number.NaN : Number(m[1]) * (sizeUnits[(m[2] ?? '').toUpperCase()] ?? Number.NaN);
  if (!Number.isSafeInteger(bytes))
    throw invalid(
      file,
      entry,
      `"${entry.value}" is not a size; expected bytes or a whole number with K, M, G or T (e.g. 512M, 2G), or 0 to turn the build cache off`,
    );
  return bytes;
}

function parseSigningSection(section: IniSection, file: string, config: KmodforgeConfig): void {
  for (const entry of section.entries) {
    if (entry.key === 'require') {
      if (!/^(yes|no)$/i.test(entry.value))
        throw invalid(file, entry, `"${entry.value}" is not valid; expected yes or no`);
      config.signing.require = entry.value.toLowerCase() === 'yes';
    } else if (entry.key === 'key' || entry.key === 'certificate' || entry.key === 'sign_file') {
      if (entry.value === '') throw invalid(file, entry, 'expected a path');
      config.signing[entry.key === 'sign_file' ? 'signFile' : entry.key] = entry.value;
    } else {
      throw invalid(file, entry, 'unknown key; [signing] takes key, certificate, sign_file and require');
    }
  }
}

function parsePackageSection(section: IniSection, file: string, config: KmodforgeConfig): void {
  for (const entry of section.entries) {
    if (entry.key !== 'maintainer')
      throw invalid(file, entry, 'unknown key; [package] takes "maintainer = Name <email>"');
    if (!/^[^<>]+ <[^<>\s]+@[^<>\s]+>$/.test(entry.value))
      throw invalid(file, entry, `"${entry.value}" is not "Name <email>"`);
    config.maintainer = entry.value;
  }
}

export async function readKmodforgeConfig(paths: Paths): Promise<KmodforgeConfig> {
  const file = path.join(paths.etcKmodforge, 'config');
  const text = await readOptional(file);
  return text === undefined ? emptyConfig : parseKmodforgeConfig(text, file);
}
