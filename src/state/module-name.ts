import path from 'node:path';

export const moduleSuffixes = ['.ko', '.ko.gz', '.ko.xz', '.ko.zst'] as const;

/** "hello.ko.xz" → "hello". */
export function moduleNameOf(file: string): string {
  const base = path.basename(file);
  for (const suffix of [...moduleSuffixes].reverse())
    if (base.endsWith(suffix)) return base.slice(0, -suffix.length);
  return base;
}
