/**
 * dkms 3.0.10's run_match, as text. Pure.
 *
 * Its loop reads each `dkms status` line of the template kernel with awk: the first field, less its comma,
 * is "module/version" and the second the template kernel, so the pair it builds and installs is
 * ("module/version", kernel), which is never added. Each of the two then dies adding it (exit 2), and a
 * match with any module installed on the template installs nothing. The front end keeps that: a script
 * reads the same lines and the same exit code, and the trees are left as dkms leaves them.
 */

/** run_match's `die 1` when --templatekernel is missing. */
export const dkmsMatchUsage = [
  'Invalid number of parameters passed.',
  'Usage: match --templatekernel=<kernel-version> -k <kernel-version>',
  '   or: match --templatekernel=<kernel-version> -k <kernel-version> <module>',
];

export const dkmsMatchSameKernel = 'The templatekernel and the specified kernel version are the same.';

export function formatDkmsMatchNotAdded(module: string): string {
  return `The module: ${module} is not located in the DKMS tree.`;
}

/** The lines run_match prints before it looks for work. */
export function formatDkmsMatchHeader(kernel: string, template: string, arch: string): string {
  return `\nMatching modules in kernel: ${kernel} (${arch})\nto the configuration of kernel: ${template} (${arch})\n`;
}

export const dkmsMatchNothingToDo = '\nThere is nothing to be done for this match.\n';

/** prepare_kernel's `die 1` for a kernel whose headers are not at <installtree>/K/build. */
export function formatDkmsMissingHeaders(kernel: string): string {
  return [
    `Your kernel headers for kernel ${kernel} cannot be found at /lib/modules/${kernel}/build or /lib/modules/${kernel}/source.`,
    `Please install the linux-headers-${kernel} package or use the --kernelsourcedir option to tell DKMS where it's located.`,
  ].join('\n');
}

/**
 * The template kernel's status lines run_match works on: `grep ": installed"`, then, with a module named,
 * `grep "^$module,"`, which no status line (`module/version, …`) matches.
 */
export function planDkmsMatchLines(statusLines: readonly string[], module: string | undefined): string[] {
  const installed = statusLines.filter((line) => line.includes(': installed'));
  if (module === undefined || module === '') return installed;
  return installed.filter((line) => line.startsWith(`${module},`));
}

/** What run_match takes for the module and its version: awk's first two fields, each less a final comma. */
export function parseDkmsMatchLine(line: string): { module: string; version: string } {
  const [first = '', second = ''] = line.trim().split(/\s+/);
  return { module: first.replace(/,$/, ''), version: second.replace(/,$/, '') };
}

export function formatDkmsMatchModule(pair: { module: string; version: string }): string {
  return `Module:  ${pair.module}\nVersion: ${pair.version}\n`;
}

/** add_module's `die 2`, where run_match's build and install of a pair end. */
export function formatDkmsMissingSource(
  sourceTree: string,
  pair: { module: string; version: string },
): string {
  return `Could not find module source directory.\nDirectory: ${sourceTree}/${pair.module}-${pair.version} does not exist.`;
}
