/**
 * dkms 3.0.10's words for mktarball (make_tarball) and ldtarball (load_tarball, add_source_tree,
 * add_module), each a function of the facts it names. Pure.
 */

/** make_tarball, for each kernel whose built modules go in. */
export function formatMarkingModules(kernel: string, arch: string): string {
  return `Marking modules for ${kernel} (${arch}) for archiving...\n`;
}

/** make_tarball: what stands for the source, a binaries-only stub or the source directory. */
export function formatMarkingSource(binariesOnly: boolean, sourceLink: string): string {
  return binariesOnly
    ? '\nCreating tarball structure to specifically accomodate binaries.\n'
    : `\nMarking ${sourceLink} for archiving...\n`;
}

/** make_tarball: `$tarball_dest/$tarball_name`, printed as dkms joins them (the default dest ends in a slash). */
export function formatTarballLocation(dest: string, name: string): string {
  return `\nTarball location: ${dest}/${name}\n`;
}

/**
 * Where make_tarball writes: `--archive`'s last path step names the file, and its directory (if it has one)
 * replaces `<dkmsTree>/M/V/tarball/`. Pure.
 */
export function planTarballDestination(
  archive: string | undefined,
  defaultDir: string,
  defaultName: string,
): { dest: string; name: string } {
  if (archive === undefined || archive === '') return { dest: `${defaultDir}/`, name: defaultName };
  const slash = archive.lastIndexOf('/');
  return slash === -1
    ? { dest: `${defaultDir}/`, name: archive }
    : { dest: archive.slice(0, slash), name: archive.slice(slash + 1) };
}

export const mktarballNotBuilt = (kernel: string, arch: string): string =>
  `No modules built for ${kernel} (${arch}).\nModules must already be in the built state before using mktarball.`;

export const tarballNoWritePermission = (dest: string): string => `Missing write permissions for ${dest}.`;

export const tarballNotWritten = 'Failed to make tarball.';

export const ldtarballMissing = (archive: string): string => `${archive} does not exist.`;

export const ldtarballNotDkms = (archive: string): string =>
  `No valid dkms.conf in dkms_source_tree or dkms_binaries_only.\n${archive} is not a valid DKMS tarball.`;

export const ldtarballAlreadyAdded = (module: string, version: string): string =>
  `${module}-${version} is already added!\nAborting.`;

export const ldtarballRpmFailed = (archive: string): string =>
  `Unable to install ${archive} using rpm.\nCheck to ensure that your system can install .rpm files.`;

export const ldtarballForceNeedsRoot = 'You must be root to use this command with the --force option.';

export const addAlreadyAdded = (module: string, version: string): string =>
  `DKMS tree already contains: ${module}-${version}\nYou cannot add the same module/version combo more than once.`;

/** load_tarball's first words, once it knows the module. */
export function formatLoadingTarball(module: string, version: string): string {
  return `\nLoading tarball for ${module}-${version}\n`;
}

/** add_source_tree with --force over an existing <sourceTree>/M-V: a blank line on stderr, this on stdout. */
export function formatForcingInstall(module: string, version: string): string {
  return `Forcing install of ${module}-${version}\n`;
}

/** load_tarball, for a binaries-only tarball whose source is not in the source tree. */
export function formatBinariesOnlyStub(sourceLink: string): string {
  return `Creating ${sourceLink}\nCopying dkms.conf to ${sourceLink} ...\n`;
}

/** load_tarball, for each kernel's built modules: loaded (stdout), or kept (a warning, stderr). */
export function formatLoadingBuild(dir: string): string {
  return `Loading ${dir}...\n`;
}

export function formatBuildKept(dir: string): string {
  return `Warning: ${dir} already exists. Skipping...\n`;
}

/** add_module, once the source is in place. */
export function formatCreatingSymlink(sourceLink: string, sourceDir: string): string {
  return `Creating symlink ${sourceLink} -> ${sourceDir}\n`;
}
