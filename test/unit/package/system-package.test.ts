import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import {
  defaultInstallDirs,
  parseInstallArgs,
  planFilesTarget,
  planInstall,
  planSubstitutions,
  substitute,
  type InstallDirs,
  type InstallOp,
} from '../../../scripts/package-layout.ts';
import {
  dkmsVersion,
  formatDebianDate,
  planDebChangelog,
  planDebControl,
  planRpmFiles,
  planRpmSpec,
} from '../../../scripts/package-meta.ts';

const usrLocal: InstallDirs = { ...defaultInstallDirs, DESTDIR: '/stage' };
const sources = {
  executable: '/src/dist-sea/kmodforge',
  filesDir: '/src/packaging/files',
  files: [
    { path: 'etc/kernel/postinst.d/dkms', executable: true },
    { path: 'etc/dkms/framework.conf', executable: false },
    { path: 'usr/lib/dkms/common.postinst', executable: true },
    { path: 'lib/systemd/system/kmodforge-autoinstall.service', executable: false },
  ],
  docsDir: '/tmp/docs',
  copyright: '/src/packaging/debian/copyright',
};

function byTarget(ops: readonly InstallOp[]): Map<string, InstallOp> {
  return new Map(ops.map((op) => [op.target, op]));
}

describe('planInstall', () => {
  it('lays out the executable, its dkms link and packaging/files under DESTDIR and PREFIX', () => {
    const ops = byTarget(planInstall(usrLocal, sources));
    expect(ops.get('/stage/usr/local/bin/kmodforge')).toMatchObject({
      source: sources.executable,
      mode: 0o755,
    });
    expect(ops.get('/stage/usr/local/sbin/dkms')).toEqual({
      kind: 'link',
      target: '/stage/usr/local/sbin/dkms',
      linkTo: '../bin/kmodforge',
    });
    expect(ops.get('/stage/etc/kernel/postinst.d/dkms')).toMatchObject({ mode: 0o755, substitute: true });
    expect(ops.get('/stage/etc/dkms/framework.conf')).toMatchObject({ mode: 0o644, substitute: true });
    expect(ops.get('/stage/usr/local/lib/dkms/common.postinst')).toMatchObject({ mode: 0o755 });
    expect(ops.get('/stage/lib/systemd/system/kmodforge-autoinstall.service')).toMatchObject({ mode: 0o644 });
    expect(ops.get('/stage/usr/local/share/man/man1/kmodforge.1')).toMatchObject({
      source: '/tmp/docs/kmodforge.1',
    });
    expect(ops.get('/stage/usr/local/share/man/man8/dkms.8')).toMatchObject({ gzip: false });
    expect(ops.get('/stage/usr/local/share/bash-completion/completions/dkms')).toMatchObject({
      source: '/tmp/docs/dkms.bash',
    });
    expect(ops.get('/stage/usr/local/share/doc/kmodforge/copyright')).toMatchObject({
      source: sources.copyright,
    });
    expect(ops.get('/stage/var/lib/dkms')).toEqual({ kind: 'dir', target: '/stage/var/lib/dkms' });
  });

  it('gzips the man pages for packages, and moves the unit and /etc where told', () => {
    const dirs: InstallDirs = {
      ...usrLocal,
      PREFIX: '/usr',
      SYSCONFDIR: '/opt/etc',
      SYSTEMDUNITDIR: '/usr/lib/systemd/system',
      COMPRESS_MAN: 'yes',
    };
    const targets = planInstall(dirs, sources).map((op) => op.target);
    expect(targets).toContain('/stage/usr/share/man/man1/kmodforge.1.gz');
    expect(targets).toContain('/stage/usr/share/man/man8/dkms.8.gz');
    expect(targets).toContain('/stage/usr/share/bash-completion/completions/kmodforge');
    expect(targets).toContain('/stage/opt/etc/dkms/framework.conf');
    expect(targets).toContain('/stage/usr/lib/systemd/system/kmodforge-autoinstall.service');
    expect(
      byTarget(planInstall(dirs, sources)).get('/stage/usr/share/man/man1/kmodforge.1.gz'),
    ).toMatchObject({
      gzip: true,
    });
  });

  it('installs without DESTDIR at the real paths', () => {
    const targets = planInstall(defaultInstallDirs, sources).map((op) => op.target);
    expect(targets).toContain('/usr/local/bin/kmodforge');
    expect(targets).toContain('/etc/dkms/framework.conf');
  });

  it('refuses a file of packaging/files outside etc/, usr/ and lib/systemd/system/', () => {
    expect(() => planFilesTarget('opt/x', usrLocal)).toThrow(
      /not under etc\/, usr\/ or lib\/systemd\/system\//,
    );
    expect(() => planFilesTarget('lib/udev/rules.d/x', usrLocal)).toThrow();
  });
});

describe('substitutions', () => {
  it('replaces @BINDIR@ and @SBINDIR@ with PREFIX/bin and PREFIX/sbin, every time they occur', () => {
    const subs = planSubstitutions({ ...usrLocal, PREFIX: '/usr' });
    expect(substitute('@SBINDIR@/dkms x; @BINDIR@/kmodforge y; @SBINDIR@/dkms', subs)).toBe(
      '/usr/sbin/dkms x; /usr/bin/kmodforge y; /usr/sbin/dkms',
    );
  });
});

describe('parseInstallArgs', () => {
  it('reads make variables over the defaults', () => {
    expect(parseInstallArgs(['DESTDIR=', 'PREFIX=/usr', 'COMPRESS_MAN=yes'])).toEqual({
      ...defaultInstallDirs,
      PREFIX: '/usr',
      COMPRESS_MAN: 'yes',
    });
  });

  it.each([['BINDIR=/usr/bin'], ['PREFIX=usr'], ['COMPRESS_MAN=maybe'], ['PREFIX']])('refuses %s', (arg) => {
    expect(() => parseInstallArgs([arg])).toThrow();
  });
});

describe('the deb control file and changelog', () => {
  const control = planDebControl({
    version: '0.1.0',
    architecture: 'amd64',
    installedSize: 86000,
    shlibsDepends: ['libc6 (>= 2.34)', 'libstdc++6 (>= 5.2)'],
  });

  it('provides a versioned dkms and replaces the dkms package', () => {
    expect(control).toMatch(
      new RegExp(`^Provides: dkms \\(= ${dkmsVersion.replaceAll('.', '\\.')}\\)$`, 'm'),
    );
    expect(control).toMatch(/^Conflicts: dkms$/m);
    expect(control).toMatch(/^Replaces: dkms$/m);
    expect(control).toMatch(
      /^Depends: libc6 \(>= 2\.34\), libstdc\+\+6 \(>= 5\.2\), kmod, gcc \| c-compiler, make, patch$/m,
    );
    expect(control).toMatch(/^Installed-Size: 86000$/m);
  });

  it('is fields, then the description in lines of at most 80 columns, and a final newline', () => {
    const lines = control.split('\n');
    expect(lines.at(-1)).toBe('');
    const description = lines.findIndex((line) => line.startsWith('Description: '));
    for (const line of lines.slice(0, description)) expect(line).toMatch(/^[A-Z][A-Za-z-]+: \S/);
    for (const line of lines.slice(description + 1, -1)) {
      expect(line).toMatch(/^ \S/);
      expect(line.length).toBeLessThanOrEqual(80);
    }
  });

  it('dates the changelog as Debian does', () => {
    expect(formatDebianDate(1700000000)).toBe('Tue, 14 Nov 2023 22:13:20 +0000');
    expect(planDebChangelog('0.1.0', 1700000000)).toMatch(
      /^kmodforge \(0\.1\.0\) unstable; urgency=medium\n\n {2}\* .+\n\n -- .+ <.+> {2}Tue, 14 Nov 2023 22:13:20 \+0000\n$/,
    );
  });
});

describe('the rpm spec', () => {
  it('marks what is under /etc as configuration, but the hooks, and owns only its own directories', () => {
    expect(
      planRpmFiles([
        { path: '/etc/dkms', isDir: true, executable: false },
        { path: '/etc/dkms/framework.conf', isDir: false, executable: false },
        { path: '/etc/kernel', isDir: true, executable: false },
        { path: '/etc/kernel/postinst.d/dkms', isDir: false, executable: true },
        { path: '/usr/bin/kmodforge', isDir: false, executable: true },
        { path: '/usr/share/doc/kmodforge/copyright', isDir: false, executable: false },
        { path: '/var/lib/dkms', isDir: true, executable: false },
      ]),
    ).toEqual([
      '%dir "/etc/dkms"',
      '%config(noreplace) "/etc/dkms/framework.conf"',
      '"/etc/kernel/postinst.d/dkms"',
      '"/usr/bin/kmodforge"',
      '%doc "/usr/share/doc/kmodforge/copyright"',
      '%dir "/var/lib/dkms"',
    ]);
  });

  it('fills every placeholder of packaging/rpm/kmodforge.spec.in', async () => {
    const template = await readFile('packaging/rpm/kmodforge.spec.in', 'utf8');
    const spec = planRpmSpec(
      { version: '0.1.0', release: '1', files: ['"/usr/bin/kmodforge"'], epochSeconds: 1700000000 },
      template,
    );
    expect(spec).not.toMatch(/\{\{/);
    expect(spec).toMatch(new RegExp(`^Provides: +dkms = ${dkmsVersion.replaceAll('.', '\\.')}$`, 'm'));
    expect(spec).toMatch(/^Conflicts: +dkms$/m);
    expect(spec).toMatch(/^Obsoletes: +dkms < /m);
    expect(spec).toMatch(/^%files\n"\/usr\/bin\/kmodforge"$/m);
    expect(spec).toMatch(/^\* Tue Nov 14 2023 .+ - 0\.1\.0-1$/m);
    for (const line of spec.slice(spec.indexOf('%description'), spec.indexOf('%prep')).split('\n'))
      expect(line.length).toBeLessThanOrEqual(80);
  });

  it('refuses a placeholder it does not know', () => {
    expect(() =>
      planRpmSpec({ version: '1', release: '1', files: [], epochSeconds: 0 }, 'Name: {{nmae}}'),
    ).toThrow(/\{\{nmae\}\}/);
  });
});
