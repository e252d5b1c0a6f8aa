import type { ModuleCompression } from '../kernel/kconfig.ts';

/** The suffix a kernel's module compression adds to .ko. */
export function compressionSuffix(compression: ModuleCompression): '' | '.gz' | '.xz' | '.zst' {
  switch (compression) {
    case 'none':
      return '';
    case 'gzip':
      return '.gz';
    case 'xz':
      return '.xz';
    case 'zstd':
      return '.zst';
  }
}

export interface CompressionOptions {
  gzip: string;
  xz: string;
  zstd: string;
}

/**
 * The kernel's own choices (dkms 3.1.5+): xz with CRC32 (the kernel cannot check CRC64) and a 1 MiB
 * dictionary, zstd at its default level on all cores (-19/-20 took 20 s on large modules), gzip without
 * name and time stamp so packages are reproducible.
 */
export const defaultCompressionOptions: CompressionOptions = {
  gzip: '-n',
  xz: '--check=crc32 --lzma2=dict=1MiB',
  zstd: '-q -T0',
};

/** The command that compresses `file` in place into `file<suffix>` (removing `file`). Pure. */
export function planCompressCommand(
  compression: ModuleCompression,
  file: string,
  options: CompressionOptions,
): string[] | undefined {
  const words = (s: string): string[] => s.split(/\s+/).filter((w) => w !== '');
  switch (compression) {
    case 'none':
      return undefined;
    case 'gzip':
      return ['gzip', ...words(options.gzip), '-f', file];
    case 'xz':
      return ['xz', ...words(options.xz), '-f', file];
    case 'zstd':
      return ['zstd', ...words(options.zstd), '--rm', '-f', file];
  }
}
