/**
 * vitest globalSetup: the bundle in dist/ is built from the current sources before any test spawns
 * bin/kmodforge.js, so `npm run test:*` works without `npm run build` first and never tests a stale one.
 */
import { buildBundle, isBundleFresh } from '../../scripts/bundle.ts';

export async function setup(): Promise<void> {
  if (!(await isBundleFresh())) await buildBundle({ clean: false });
}
