/**
 * Every directive dkms 3.0.10 reads from dkms.conf, plus the ones later dkms versions added. dkms treats
 * every bash variable as an array, so we read each one back with its indices.
 */
export const directiveNames = [
  'PACKAGE_NAME',
  'PACKAGE_VERSION',
  'BUILT_MODULE_NAME',
  'BUILT_MODULE_LOCATION',
  'DEST_MODULE_NAME',
  'DEST_MODULE_LOCATION',
  'STRIP',
  'MAKE',
  'MAKE_MATCH',
  'CLEAN',
  'PATCH',
  'PATCH_MATCH',
  'PRE_BUILD',
  'POST_BUILD',
  'POST_ADD',
  'PRE_INSTALL',
  'POST_INSTALL',
  'POST_REMOVE',
  'AUTOINSTALL',
  'BUILD_DEPENDS',
  'BUILD_DEPENDS_REBUILD',
  'BUILD_EXCLUSIVE_KERNEL',
  'BUILD_EXCLUSIVE_KERNEL_MIN',
  'BUILD_EXCLUSIVE_KERNEL_MAX',
  'BUILD_EXCLUSIVE_ARCH',
  'BUILD_EXCLUSIVE_CONFIG',
  'OBSOLETE_BY',
  'NO_WEAK_MODULES',
  'SIGN_FILE',
  'MOK_SIGNING_KEY',
  'MOK_CERTIFICATE',
  'REMAKE_INITRD',
  'MODULES_CONF',
  'MODULES_CONF_OBSOLETES',
  'MODULES_CONF_ALIAS_TYPE',
  'MODULES_CONF_OBSOLETE_ONLY',
  // kmodforge's own, for userland built from the same source; dkms reads only its own names, so it
  // ignores these.
  'USERLAND_BUILD',
  'USERLAND_FILE',
] as const;

export type DirectiveName = (typeof directiveNames)[number];

/** Directives that dkms no longer acts on; it only warns about them. */
export const deprecatedDirectives: readonly DirectiveName[] = [
  'REMAKE_INITRD',
  'MODULES_CONF',
  'MODULES_CONF_OBSOLETES',
  'MODULES_CONF_ALIAS_TYPE',
  'MODULES_CONF_OBSOLETE_ONLY',
];

/** Directives that hold one entry per module record. */
export const moduleRecordDirectives = [
  'BUILT_MODULE_NAME',
  'BUILT_MODULE_LOCATION',
  'DEST_MODULE_NAME',
  'DEST_MODULE_LOCATION',
] as const satisfies readonly DirectiveName[];

export function isDirectiveName(name: string): name is DirectiveName {
  return (directiveNames as readonly string[]).includes(name);
}

/**
 * A directive's value as bash left it: index → value. A scalar is index 0, as bash sees it. Indices may be
 * sparse.
 */
export type DirectiveValue = ReadonlyMap<number, string>;

export type RawDirectives = ReadonlyMap<DirectiveName, DirectiveValue>;
