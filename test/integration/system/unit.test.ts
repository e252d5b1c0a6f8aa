import { execFile as execFileCallback } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderDocs } from '../../../scripts/docs.ts';
import { installSystemFiles, listSystemFiles, type SystemFiles } from '../../support/system-files.ts';
import { makeTempDir } from '../../support/test-root.ts';

const execFile = promisify(execFileCallback);

describe('the system files as installed', () => {
  let files: SystemFiles;
  let manpath: string;

  beforeAll(async () => {
    files = await installSystemFiles('/nonexistent-root');
    // systemd-analyze verify checks Documentation=man: pages with man(1): the one make install ships.
    manpath = await makeTempDir('kmf-manpath-');
    await mkdir(path.join(manpath, 'man1'));
    const docs = await renderDocs();
    await writeFile(path.join(manpath, 'man1', 'kmodforge.1'), docs['kmodforge.1'] ?? '');
  });
  afterAll(async () => {
    await files.cleanup();
    await rm(manpath, { recursive: true, force: true });
  });

  it('the boot unit passes systemd-analyze verify', async () => {
    const unit = files.file('lib/systemd/system/kmodforge-autoinstall.service');
    expect(await readFile(unit, 'utf8')).toContain(`ExecStart=${files.bindir}/kmodforge autoinstall -k %v`);
    const { stdout, stderr } = await execFile('systemd-analyze', ['verify', unit], {
      env: { ...process.env, MANPATH: manpath },
    });
    expect(stdout + stderr).toBe('');
  });

  it('the scripts are executable and run the program by its substituted path, never from PATH', async () => {
    const all = await listSystemFiles();
    const scripts = all.filter((f) => f.executable).map((f) => f.path);
    expect(scripts.sort()).toEqual([
      'etc/kernel/header_postinst.d/dkms',
      'etc/kernel/postinst.d/dkms',
      'etc/kernel/prerm.d/dkms',
      'usr/lib/dkms/common.postinst',
      'usr/lib/kernel/install.d/40-kmodforge.install',
    ]);
    for (const script of scripts) {
      const text = await readFile(files.file(script), 'utf8');
      expect(text, script).toMatch(/^#!\/bin\/sh\n/);
      expect(text, script).toContain(`\nkmodforge=${files.bindir}/kmodforge\n`);
      expect(text, script).not.toMatch(/@[A-Z]+@/);
    }
    expect(
      all
        .filter((f) => !f.executable)
        .map((f) => f.path)
        .sort(),
    ).toEqual(['etc/dkms/framework.conf', 'lib/systemd/system/kmodforge-autoinstall.service']);
  });
});
