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

/**
 * The machine (`uname -m`) a kernel's .config builds for, where the config tells it alone: 32-bit ARM and
 * MIPS name no one machine, so they give undefined. Pure.
 */
export function planConfigMachine(values: ReadonlyMap<string, string>): string | undefined {
  const on = (name: string): boolean => values.get(name) === 'y';
  if (on('CONFIG_X86_64')) return 'x86_64';
  if (on('CONFIG_X86_32')) return 'i686';
  if (on('CONFIG_ARM64')) return 'aarch64';
  if (on('CONFIG_PPC64')) return on('CONFIG_CPU_LITTLE_ENDIAN') ? 'ppc64le' : 'ppc64';
  if (on('CONFIG_S390')) return 's390x';
  if (on('CONFIG_RISCV') && on('CONFIG_64BIT')) return 'riscv64';
  if (on('CONFIG_LOONGARCH') && on('CONFIG_64BIT')) return 'loongarch64';
  return undefined;
}
