/**
 * What `make install` puts where: the one list of installed files, which the .deb and the .rpm are
 * staged from (scripts/package-install.ts applies it). Pure: the caller lists the source files.
 */
import path from 'node:path';

/** The directories `make install` takes, as make variables of the same names. */
export interface InstallDirs {
  /** Prepended to every installed path (staging); empty for a real install. */
  DESTDIR: string;
  PREFIX: string;
  SYSCONFDIR: string;
  SYSTEMDUNITDIR: string;
  LOCALSTATEDIR: string;
  /** `yes`: man pages installed gzipped (.gz), as Debian's and rpm's packages have them. */
  COMPRESS_MAN: 'yes' | 'no';
}

export const defaultInstallDirs: InstallDirs = {
  DESTDIR: '',
  PREFIX: '/usr/local',
  SYSCONFDIR: '/etc',
  SYSTEMDUNITDIR: '/lib/systemd/system',
  LOCALSTATEDIR: '/var',
  COMPRESS_MAN: 'no',
};

/** A file of the source tree: its path relative to its folder, and whether it is executable. */
export interface SourceFile {
  path: string;
  executable: boolean;
}

/** What `scripts/docs.ts <dir>` writes, and where each goes under $(PREFIX)/share. */
export const generatedDocs = [
  { name: 'kmodforge.1', target: 'man/man1/kmodforge.1', man: true },
  { name: 'dkms.8', target: 'man/man8/dkms.8', man: true },
  { name: 'kmodforge.bash', target: 'bash-completion/completions/kmodforge', man: false },
  { name: 'dkms.bash', target: 'bash-completion/completions/dkms', man: false },
] as const;

export type InstallOp =
  /** Copies `source`; `substitute`: @BINDIR@ and @SBINDIR@ replaced; `gzip`: compressed on the way. */
  | { kind: 'file'; source: string; target: string; mode: number; substitute: boolean; gzip: boolean }
  | { kind: 'link'; target: string; linkTo: string }
  | { kind: 'dir'; target: string };

export interface InstallSources {
  /** The single executable (scripts/sea.ts). */
  executable: string;
  /** packaging/files/, laid out as the installed paths, and its files. */
  filesDir: string;
  files: readonly SourceFile[];
  /** Where scripts/docs.ts wrote the man pages and completions. */
  docsDir: string;
  /** The machine-readable copyright file. */
  copyright: string;
}

/** `@BINDIR@` and `@SBINDIR@`, as packaging/files/ has them, for these directories. */
export function planSubstitutions(dirs: InstallDirs): ReadonlyMap<string, string> {
  return new Map([
    ['@BINDIR@', path.posix.join(dirs.PREFIX, 'bin')],
    ['@SBINDIR@', path.posix.join(dirs.PREFIX, 'sbin')],
  ]);
}

export function substitute(text: string, substitutions: ReadonlyMap<string, string>): string {
  let out = text;
  for (const [placeholder, value] of substitutions) out = out.replaceAll(placeholder, value);
  return out;
}

/**
 * Where a file of packaging/files/ is installed (without DESTDIR): etc/ under SYSCONFDIR,
 * lib/systemd/system/ in SYSTEMDUNITDIR, usr/ under PREFIX. Anything else is a mistake in the tree.
 */
export function planFilesTarget(file: string, dirs: InstallDirs): string {
  const [top, ...rest] = file.split('/');
  const under = rest.join('/');
  if (top === 'etc') return path.posix.join(dirs.SYSCONFDIR, under);
  if (top === 'usr') return path.posix.join(dirs.PREFIX, under);
  if (file.startsWith('lib/systemd/system/'))
    return path.posix.join(dirs.SYSTEMDUNITDIR, file.slice('lib/systemd/system/'.length));
  throw new Error(`packaging/files/${file}: not under etc/, usr/ or lib/systemd/system/`);
}

/** Every directory, file and link `make install` makes, in the order it makes them. */
export function planInstall(dirs: InstallDirs, sources: InstallSources): InstallOp[] {
  const dest = (target: string): string => path.posix.join('/', dirs.DESTDIR, target);
  const bindir = path.posix.join(dirs.PREFIX, 'bin');
  const sbindir = path.posix.join(dirs.PREFIX, 'sbin');
  const share = path.posix.join(dirs.PREFIX, 'share');
  const gzip = dirs.COMPRESS_MAN === 'yes';
  const file = (source: string, target: string, mode: number) =>
    ({ kind: 'file', source, target: dest(target), mode, substitute: false, gzip: false }) as const;
  return [
    file(sources.executable, path.posix.join(bindir, 'kmodforge'), 0o755),
    // `dkms` is the same program, which reads the name it was run by (src/cli/sea-main.ts).
    {
      kind: 'link',
      target: dest(path.posix.join(sbindir, 'dkms')),
      linkTo: path.posix.relative(sbindir, path.posix.join(bindir, 'kmodforge')),
    },
    ...[...sources.files]
      .sort((a, b) => a.path.localeCompare(b.path))
      .map((f): InstallOp => ({
        kind: 'file',
        source: path.join(sources.filesDir, f.path),
        target: dest(planFilesTarget(f.path, dirs)),
        mode: f.executable ? 0o755 : 0o644,
        substitute: true,
        gzip: false,
      })),
    ...generatedDocs.map((doc): InstallOp => ({
      ...file(path.join(sources.docsDir, doc.name), path.posix.join(share, doc.target), 0o644),
      ...(doc.man && gzip ? { target: dest(path.posix.join(share, `${doc.target}.gz`)), gzip: true } : {}),
    })),
    file(sources.copyright, path.posix.join(share, 'doc/kmodforge/copyright'), 0o644),
    // dkms's state tree: kmodforge keeps the same one.
    { kind: 'dir', target: dest(path.posix.join(dirs.LOCALSTATEDIR, 'lib/dkms')) },
  ];
}

/** Reads make-style `NAME=value` arguments over the defaults; an unknown name is refused. */
export function parseInstallArgs(args: readonly string[]): InstallDirs {
  const dirs: InstallDirs = { ...defaultInstallDirs };
  for (const arg of args) {
    const eq = arg.indexOf('=');
    const name = arg.slice(0, eq);
    const value = arg.slice(eq + 1);
    if (eq < 0 || !(name in dirs))
      throw new Error(`${arg}: expected one of ${Object.keys(dirs).join(', ')}=…`);
    if (name === 'COMPRESS_MAN') {
      if (value !== 'yes' && value !== 'no') throw new Error(`COMPRESS_MAN=${value}: expected yes or no`);
      dirs.COMPRESS_MAN = value;
    } else if (name !== 'DESTDIR' && !value.startsWith('/')) {
      throw new Error(`${name}=${value}: expected an absolute path`);
    } else {
      dirs[name as Exclude<keyof InstallDirs, 'COMPRESS_MAN'>] = value;
    }
  }
  return dirs;
}
