/**
 * kernel_prerm in the words of dkms 3.0.10's /etc/kernel/prerm.d/dkms hook, the one that answered for it
 * before dkms 3.1 had the action: for each line of `dkms status -k K` read with `IFS=",:/ " read -r name
 * vers _ arch status` whose status is exactly "installed", a line on stderr, then `dkms remove`. Pure.
 */

export interface DkmsPrermRemoval {
  module: string;
  version: string;
  arch: string;
}

/** The hook's `read`: a line with notes after its state ("installed (…)") is not "installed" and is left. */
export function planDkmsPrermRemovals(statusLines: readonly string[]): DkmsPrermRemoval[] {
  const removals: DkmsPrermRemoval[] = [];
  for (const line of statusLines) {
    const fields = splitLikeRead(line, 5);
    if (fields[4] !== 'installed') continue;
    removals.push({ module: fields[0] ?? '', version: fields[1] ?? '', arch: fields[3] ?? '' });
  }
  return removals;
}

/**
 * The shell's `read` with IFS=",:/ ": runs of spaces are one separator, each other IFS character is one
 * (with the spaces around it); the last field keeps the rest of the line, less trailing spaces.
 */
function splitLikeRead(line: string, count: number): string[] {
  const fields: string[] = [];
  let rest = line.replace(/^ +/, '');
  while (fields.length < count - 1) {
    const match = / *[,:/] *| +/.exec(rest);
    if (match === null) break;
    fields.push(rest.slice(0, match.index));
    rest = rest.slice(match.index + match[0].length);
  }
  fields.push(rest.replace(/ +$/, ''));
  return fields;
}

export function formatDkmsPrermRemoving(removal: DkmsPrermRemoval, kernel: string): string {
  return `dkms: removing: ${removal.module} ${removal.version} (${kernel}) (${removal.arch})\n`;
}
