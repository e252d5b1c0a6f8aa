/**
 * What the kmodforge .deb and .rpm say about themselves: the control file, the Debian changelog and the
 * spec. Pure; scripts/package-deb.ts and scripts/package-rpm.ts read the facts and build.
 */

/** The dkms whose command line kmodforge's `dkms` speaks, and which the packages stand in for. */
export const dkmsVersion = '3.0.10';
export const packageName = 'kmodforge';
export const maintainer = 'kmodforge developers <kmodforge@users.noreply.github.com>';
export const summary = 'builds out-of-tree kernel modules for every kernel (dkms replacement)';
/** The long description, one paragraph a line. */
export const description = [
  'kmodforge reads dkms.conf, keeps the dkms state tree in /var/lib/dkms, and builds out-of-tree kernel modules for every installed kernel in parallel, installs them, and makes RPM and DEB packages of them.',
  `This package provides the dkms command (the command line of dkms ${dkmsVersion}), /usr/lib/dkms/common.postinst for the maintainer scripts of *-dkms packages, the kernel hooks that build modules when a kernel or its headers are installed and remove them with the kernel, and a systemd unit that builds for the running kernel at boot. It replaces the dkms package.`,
];

/** What a module build runs, besides the C library the executable links (found by dpkg-shlibdeps). */
export const debDepends = ['kmod', 'gcc | c-compiler', 'make', 'patch'];
export const debRecommends = ['linux-headers-amd64 | linux-headers-generic | linux-headers', 'openssl'];
export const debSuggests = ['xz-utils', 'zstd', 'rpm'];
export const rpmRequires = ['kmod', 'gcc', 'make', 'patch', 'bash', 'coreutils', 'findutils'];
export const rpmRecommends = ['kernel-devel', 'openssl'];

export interface DebControlInput {
  version: string;
  architecture: string;
  /** Kibibytes of the installed files. */
  installedSize: number;
  /** Dependencies of the executable on shared libraries (dpkg-shlibdeps's shlibs:Depends). */
  shlibsDepends: readonly string[];
}

/** Wraps a paragraph at 79 columns as a control file's continuation lines (" word word"). */
function wrapParagraph(text: string): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line !== '' && line.length + 1 + word.length > 79) {
      lines.push(line);
      line = '';
    }
    line = line === '' ? ` ${word}` : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines;
}

/** DEBIAN/control. `Provides: dkms (= …)` meets the `Depends: dkms (>= …)` of Debian's *-dkms packages. */
export function planDebControl(input: DebControlInput): string {
  const fields: [string, string][] = [
    ['Package', packageName],
    ['Version', input.version],
    ['Architecture', input.architecture],
    ['Maintainer', maintainer],
    ['Installed-Size', String(input.installedSize)],
    ['Depends', [...input.shlibsDepends, ...debDepends].join(', ')],
    ['Recommends', debRecommends.join(', ')],
    ['Suggests', debSuggests.join(', ')],
    ['Provides', `dkms (= ${dkmsVersion})`],
    ['Conflicts', 'dkms'],
    ['Replaces', 'dkms'],
    ['Section', 'kernel'],
    ['Priority', 'optional'],
  ];
  const long = description.flatMap((paragraph, i) => [...(i > 0 ? [' .'] : []), ...wrapParagraph(paragraph)]);
  return [...fields.map(([name, value]) => `${name}: ${value}`), `Description: ${summary}`, ...long, ''].join(
    '\n',
  );
}

/** RFC 5322 date, as Debian changelogs have it: "Thu, 14 Nov 2023 22:13:20 +0000". */
export function formatDebianDate(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toUTCString().replace(/GMT$/, '+0000');
}

/** /usr/share/doc/kmodforge/changelog.gz of a native package: one entry for the version built. */
export function planDebChangelog(version: string, epochSeconds: number): string {
  return [
    `${packageName} (${version}) unstable; urgency=medium`,
    '',
    `  * kmodforge ${version}, built from its source tree (npm run deb).`,
    '',
    ` -- ${maintainer}  ${formatDebianDate(epochSeconds)}`,
    '',
  ].join('\n');
}

/** Directories the package owns; the others it installs into (/etc/kernel/postinst.d, …) are shared. */
export const ownedDirs = ['/etc/dkms', '/usr/lib/dkms', '/usr/share/doc/kmodforge', '/var/lib/dkms'];

export interface RpmFileEntry {
  path: string;
  isDir: boolean;
  executable: boolean;
}

/**
 * The `%files` entries of the staged paths: the package's own directories, and every other entry, each
 * under /etc but the hooks as configuration the admin may edit.
 */
export function planRpmFiles(entries: readonly RpmFileEntry[]): string[] {
  return entries.flatMap((entry) => {
    const quoted = `"${entry.path}"`;
    if (entry.isDir) return ownedDirs.includes(entry.path) ? [`%dir ${quoted}`] : [];
    // The kernel hooks under /etc are programs, which rpm would keep old copies of as configuration.
    if (entry.path.startsWith('/etc/') && !entry.executable) return [`%config(noreplace) ${quoted}`];
    if (entry.path.startsWith('/usr/share/doc/')) return [`%doc ${quoted}`];
    return [quoted];
  });
}

export interface RpmSpecInput {
  version: string;
  release: string;
  /** %files entries (planRpmFiles). */
  files: readonly string[];
  /** %changelog date. */
  epochSeconds: number;
}

/** The spec, from packaging/rpm/kmodforge.spec.in's `{{name}}` placeholders. */
export function planRpmSpec(input: RpmSpecInput, template: string): string {
  const date = new Date(input.epochSeconds * 1000);
  const day = date.toUTCString().slice(0, 3);
  const [, dd, mon, yyyy] = date.toUTCString().split(' ');
  const values: Record<string, string> = {
    name: packageName,
    version: input.version,
    release: input.release,
    summary: summary.replace(/^./, (c) => c.toUpperCase()),
    description: description
      .map((p) =>
        wrapParagraph(p)
          .map((line) => line.slice(1))
          .join('\n'),
      )
      .join('\n\n'),
    dkmsVersion,
    requires: rpmRequires.map((r) => `Requires: ${r}`).join('\n'),
    recommends: rpmRecommends.map((r) => `Recommends: ${r}`).join('\n'),
    files: input.files.join('\n'),
    changelogDate: `${day} ${mon ?? ''} ${dd ?? ''} ${yyyy ?? ''}`,
    maintainer,
  };
  return template.replace(/\{\{(\w+)\}\}/g, (match, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`kmodforge.spec.in: unknown placeholder ${match}`);
    return value;
  });
}
