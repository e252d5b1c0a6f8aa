import { access } from 'node:fs/promises';
import path from 'node:path';
import { moduleSuffixes } from './module-name.ts';

/** The file for module `name` in `dir`, plain or compressed (dkms's compressed_or_uncompressed). */
export async function findModuleFile(dir: string, name: string): Promise<string | undefined> {
  for (const suffix of moduleSuffixes) {
    const file = path.join(dir, `${name}${suffix}`);
    try {
      await access(file);
      return file;
    } catch {
      // Absent in this form; a module may be plain or compressed.
    }
  }
  return undefined;
}
