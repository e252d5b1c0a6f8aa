import type { DkmsInvocation } from './invocation.ts';

/** Runs one dkms action and returns its exit code; throws a KmodError for dkms's `die`. */
export type DkmsActionRun = (inv: DkmsInvocation) => Promise<number>;

/**
 * The checks dkms makes before it starts an action, in its order: the module arguments, that the module is
 * added, who may run it, --all, and the kernel count.
 */
export interface DkmsPreflight {
  /** check_module_args: -m and -v (or m/v) are both given. */
  moduleArgs: boolean;
  /** module_is_added_or_die. */
  added: boolean;
  /** check_root, check_rw_dkms_tree, or nothing. */
  permission: 'root' | 'rw' | 'none';
  /** check_all_is_banned: --all is exit 5. */
  bansAll: boolean;
  /** have_one_kernel: exactly one -k (and no --all). */
  oneKernel: boolean;
}

export interface DkmsActionEntry {
  preflight: DkmsPreflight;
  load: () => Promise<DkmsActionRun>;
}

const none: DkmsPreflight = {
  moduleArgs: false,
  added: false,
  permission: 'none',
  bansAll: false,
  oneKernel: false,
};
const onAddedModule = (permission: 'root' | 'rw'): DkmsPreflight => ({
  ...none,
  moduleArgs: true,
  added: true,
  permission,
});

/** Each action dkms answers, imported only when run. */
export const dkmsActionTable: Readonly<Record<string, DkmsActionEntry>> = {
  add: {
    preflight: { ...none, bansAll: true, permission: 'rw' },
    load: async () => (await import('./actions/add.ts')).runDkmsAdd,
  },
  build: {
    preflight: { ...none, bansAll: true, permission: 'rw' },
    load: async () => (await import('./actions/build.ts')).runDkmsBuild,
  },
  install: {
    preflight: { ...none, bansAll: true, permission: 'root' },
    load: async () => (await import('./actions/install.ts')).runDkmsInstall,
  },
  uninstall: {
    preflight: onAddedModule('root'),
    load: async () => (await import('./actions/uninstall.ts')).runDkmsUninstall,
  },
  unbuild: {
    preflight: onAddedModule('rw'),
    load: async () => (await import('./actions/unbuild.ts')).runDkmsUnbuild,
  },
  remove: {
    preflight: onAddedModule('rw'),
    load: async () => (await import('./actions/remove.ts')).runDkmsRemove,
  },
  status: { preflight: none, load: async () => (await import('./actions/status.ts')).runDkmsStatus },
  autoinstall: {
    preflight: { ...none, permission: 'root' },
    load: async () => (await import('./actions/autoinstall.ts')).runDkmsAutoinstall,
  },
  match: {
    preflight: { ...none, permission: 'root', oneKernel: true, bansAll: true },
    load: async () => (await import('./actions/match.ts')).runDkmsMatch,
  },
  mktarball: {
    preflight: { ...none, moduleArgs: true, added: true },
    load: async () => (await import('./actions/mktarball.ts')).runDkmsMktarball,
  },
  ldtarball: {
    preflight: none,
    load: async () => (await import('./actions/ldtarball.ts')).runDkmsLdtarball,
  },
  generate_mok: {
    preflight: none,
    load: async () => (await import('./actions/generate-mok.ts')).runDkmsGenerateMok,
  },
  kernel_postinst: {
    preflight: { ...none, permission: 'root', oneKernel: true, bansAll: true },
    load: async () => (await import('./actions/kernel-postinst.ts')).runDkmsKernelPostinst,
  },
  kernel_prerm: {
    preflight: { ...none, permission: 'root', oneKernel: true, bansAll: true },
    load: async () => (await import('./actions/kernel-prerm.ts')).runDkmsKernelPrerm,
  },
};
