import type { DirectiveName, RawDirectives } from '../../../conf/directives.ts';

/**
 * What dkms 3.0.10's read_conf writes to stderr about a dkms.conf it refuses, in its order (each record's
 * problems, then the whole file's); none when it accepts the file. Arrays may be sparse: dkms walks the
 * indices below the largest element count, as `${#A[@]}` counts them. Pure.
 */
export function planDkmsConfErrors(directives: RawDirectives): string[] {
  const at = (name: DirectiveName, index: number): string => directives.get(name)?.get(index) ?? '';
  const count = (name: DirectiveName): number => directives.get(name)?.size ?? 0;
  const records = Math.max(
    count('BUILT_MODULE_NAME'),
    count('BUILT_MODULE_LOCATION'),
    count('DEST_MODULE_NAME'),
    count('DEST_MODULE_LOCATION'),
  );
  const lines: string[] = [];
  for (let index = 0; index < records; index++) {
    let built = at('BUILT_MODULE_NAME', index);
    if (built === '' && count('DEST_MODULE_LOCATION') === 1) built = at('PACKAGE_NAME', 0);
    const dest = at('DEST_MODULE_NAME', index) || built;
    if (built === '')
      lines.push(`dkms.conf: Error! No 'BUILT_MODULE_NAME' directive specified for record #${index}.`);
    if (/\.k?o$/.test(built))
      lines.push(
        `dkms.conf: Error! 'BUILT_MODULE_NAME' directive ends in '.o' or '.ko' in record #${index}.`,
      );
    if (/\.k?o$/.test(dest))
      lines.push(`dkms.conf: Error! 'DEST_MODULE_NAME' directive ends in '.o' or '.ko' in record #${index}.`);
    const location = at('DEST_MODULE_LOCATION', index);
    if (location === '')
      lines.push(`dkms.conf: Error! No 'DEST_MODULE_LOCATION' directive specified for record #${index}.`);
    if (!/^\/(kernel|updates|extra)/.test(location))
      lines.push(
        "dkms.conf: Error! Directive 'DEST_MODULE_LOCATION' does not begin with",
        `'/kernel', '/updates', or '/extra' in record #${index}.`,
      );
  }
  if (records === 0) lines.push("dkms.conf: Error! No 'DEST_MODULE_LOCATION' directive specified.");
  if (at('PACKAGE_NAME', 0) === '') lines.push("dkms.conf: Error! No 'PACKAGE_NAME' directive specified.");
  if (at('PACKAGE_VERSION', 0) === '')
    lines.push("dkms.conf: Error! No 'PACKAGE_VERSION' directive specified.");
  return lines;
}

/** The line read_conf prints on stdout for each --directive, every time it reads a dkms.conf. */
export function formatDirectiveEcho(directive: string): string {
  const eq = directive.indexOf('=');
  const name = eq === -1 ? directive : directive.slice(0, eq);
  const value = eq === -1 ? directive : directive.slice(eq + 1);
  return `DIRECTIVE: ${name}="${value}"\n`;
}

/** dkms's die 8 after read_conf refused a file: `$conf` is -c's value or add's default, often empty. */
export function formatBadConf(conf: string): string {
  return `Bad conf file.\nFile: ${conf} does not represent a valid dkms.conf file.`;
}
