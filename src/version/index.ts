export { compareKernelReleases, sortKernelReleases } from './kernel.ts';
export { compareEVR, rpmvercmp } from './rpm.ts';
export type { EVR } from './rpm.ts';
export { compareDebianVersions, parseDebianVersion } from './dpkg.ts';
export type { DebianVersion } from './dpkg.ts';
