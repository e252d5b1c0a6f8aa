/** `npm run build`: the bundle the package ships, from scratch (scripts/bundle.ts). */
import { buildBundle } from './bundle.ts';

await buildBundle({ clean: true });
