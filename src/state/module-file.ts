import { accessSync } from 'node:fs';
import path from 'node:path';
import { lookup } from './fs.ts';
import { moduleSuffixes } from './module-name.ts';

/** The file for module `name` in `dir`, plain or compressed (dkms's compressed_or_uncompressed). */
export function findModuleFile(dir: string, name: string): Promise<string | undefined> {
  return lookup(() => {
    for (const suffix of moduleSuffixes) {
      const file = path.join(dir, `${name}${suffix}`);
      try {
        accessSync(file);
        return file;
      } catch {
        // Absent in this form; a module may be plain or compressed.
      }
    }
    return undefined;
  });
}
