/**
 * The real-world comparison of test/support/dkms-compare.ts, for three fast Debian packages: dkms 3.0.10
 * and kmodforge, each installing into a throwaway root, end with the same result and the same module
 * files. The full 12-package run is `npx tsx test/support/dkms-compare.ts`.
 */
import { describe, expect, it } from 'vitest';
import { compareDkms, findDebianAmd64Kernel, formatComparisonTable } from '../../support/dkms-compare.ts';

const packages = ['acpi-call-dkms', 'gost-crypto-dkms', 'tp-smapi-dkms'] as const;

describe('kmodforge install = dkms 3.0.10 add + install on real Debian packages', () => {
  it('uses the plain amd64 Debian kernel', () => {
    expect(findDebianAmd64Kernel()).toMatch(/^6\.1\.0-\d+-amd64$/);
  });

  it(`installs the same modules as dkms: ${packages.join(', ')}`, { timeout: 600_000 }, async () => {
    const { kernel, rows } = await compareDkms({ packages });
    const table = formatComparisonTable(rows);
    expect(rows.map((r) => r.package)).toEqual([...packages]);
    for (const row of rows) {
      const where = `${row.package} on ${kernel}\n${table}`;
      expect(row.dkms.result, `${where}\n${row.dkms.log}`).toBe('ok');
      expect(row.kmodforge.result, `${where}\n${row.kmodforge.log}`).toBe(row.dkms.result);
      expect(row.dkms.files.length, where).toBeGreaterThan(0);
      expect(row.kmodforge.files, where).toEqual(row.dkms.files);
      expect(
        row.dkms.files.every((f) => f.startsWith('updates/dkms/')),
        where,
      ).toBe(true);
    }
  });
});
