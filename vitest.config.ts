import { defineConfig } from 'vitest/config';

// Three tiers: unit needs no root, no kernel headers, no dkms and no network; integration runs the CLI
// against real headers, make and dkms 3.0.10; e2e makes and installs real packages.
export default defineConfig({
  test: {
    restoreMocks: true,
    // Tests that spawn the CLI run the bundle (bin/kmodforge.js); this builds it when the sources changed.
    globalSetup: ['test/support/bundle-setup.ts'],
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 600_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 600_000,
        },
      },
      ...(process.env['KMODFORGE_SYSTEM_TESTS'] === '1'
        ? [
            {
              extends: true as const,
              test: {
                name: 'system',
                include: ['test/system/**/*.test.ts'],
                testTimeout: 900_000,
                hookTimeout: 900_000,
                fileParallelism: false,
              },
            },
          ]
        : []),
    ],
  },
});
