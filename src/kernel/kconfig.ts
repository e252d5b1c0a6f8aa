export type ModuleCompression = 'none' | 'gzip' | 'xz' | 'zstd';

/** What kmodforge needs to know from a kernel's .config. */
export interface KernelConfigFacts {
  file: string;
  values: ReadonlyMap<string, string>;
  compression: ModuleCompression;
  signing: {
    enabled: boolean;
    /** CONFIG_MODULE_SIG_HASH, e.g. "sha256". */
    hash: string | undefined;
    force: boolean;
    all: boolean;
  };
  compiler: {
    clang: boolean;
    lld: boolean;
    /** CONFIG_CC_VERSION_TEXT, e.g. "gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0". */
    versionText: string | undefined;
  };
  preemptRt: boolean;
}

/** Parses `CONFIG_X=value` lines; quoted strings are unquoted, `# CONFIG_X is not set` lines are skipped. */
export function parseKernelConfig(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^(CONFIG_\w+)=(.*)$/.exec(line.trim());
    if (m === null) continue;
    let value = m[2] ?? '';
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
      value = value.slice(1, -1).replace(/\\(["\\])/g, '$1');
    }
    values.set(m[1] ?? '', value);
  }
  return values;
}

export function planConfigFacts(file: string, values: ReadonlyMap<string, string>): KernelConfigFacts {
  const on = (name: string): boolean => {
    const v = values.get(name);
    return v === 'y' || v === 'm';
  };
  const compression: ModuleCompression = on('CONFIG_MODULE_COMPRESS_ZSTD')
    ? 'zstd'
    : on('CONFIG_MODULE_COMPRESS_XZ')
      ? 'xz'
      : on('CONFIG_MODULE_COMPRESS_GZIP')
        ? 'gzip'
        : 'none';
  const hash = values.get('CONFIG_MODULE_SIG_HASH');
  const versionText = values.get('CONFIG_CC_VERSION_TEXT');
  return {
    file,
    values,
    compression,
    signing: {
      enabled: on('CONFIG_MODULE_SIG'),
      hash: hash === undefined || hash === '' ? undefined : hash,
      force: on('CONFIG_MODULE_SIG_FORCE'),
      all: on('CONFIG_MODULE_SIG_ALL'),
    },
    compiler: {
      clang: on('CONFIG_CC_IS_CLANG'),
      lld: on('CONFIG_LD_IS_LLD'),
      versionText: versionText === undefined || versionText === '' ? undefined : versionText,
    },
    preemptRt: on('CONFIG_PREEMPT_RT'),
  };
}
