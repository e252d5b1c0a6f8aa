/** dkms's show_usage, with `$0` as the program was run. */
export function formatDkmsUsage(program: string): string {
  return [
    `Usage: ${program} [action] [options]`,
    '  [action]  = { add | remove | build | install | uninstall | match | autoinstall |',
    '                mktarball | ldtarball | status }',
    '  [options] = [-m module] [-v module-version] [-k kernel-version] [-a arch]',
    '              [-c dkms.conf-location] [-q] [--force] [--force-version-override] [--all]',
    "              [--templatekernel=kernel] [--directive='cli-directive=cli-value']",
    '              [--config=kernel-.config-location] [--archive=tarball-location]',
    '              [--kernelsourcedir=source-location]',
    '              [--binaries-only] [--source-only] [--verbose]',
    '              [--no-depmod] [--modprobe-on-install] [-j number] [--version]',
    '',
  ].join('\n');
}

/** dkms's `error`: "Error! " before the first line, each line on its own. */
export function formatDkmsError(lines: readonly string[]): string {
  return `Error! ${lines.join('\n')}\n`;
}
