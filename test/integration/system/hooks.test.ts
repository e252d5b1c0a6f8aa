import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  headerless,
  installSystemFiles,
  makeSystemRoot,
  makeToolShims,
  runSystemScript,
  type RunSystemScriptOptions,
  type SystemFiles,
  type ToolShims,
} from '../../support/system-files.ts';
import { arch, copyFixture, exists, kernelOfFlavor, type TestRoot } from '../../support/test-root.ts';

const postinst = 'etc/kernel/postinst.d/dkms';
const headerPostinst = 'etc/kernel/header_postinst.d/dkms';
const prerm = 'etc/kernel/prerm.d/dkms';
const plugin = 'usr/lib/kernel/install.d/40-kmodforge.install';

/** The kernel each depmod call was for: its last argument. */
const depmodKernels = (calls: readonly string[]): string[] => calls.map((c) => c.split(' ').at(-1) ?? '');

describe('kernel hooks and the kernel-install plugin, on a root with AUTOINSTALL modules', () => {
  let t: TestRoot;
  let files: SystemFiles;
  let tmp: string;
  let cleanup: () => Promise<void>;
  let shims: ToolShims;
  let amd64: string;
  let cloud: string;
  let rt: string;

  const statusOf = async (kernel: string): Promise<string[]> => {
    const { stdout } = await t.cli('status', '-k', kernel);
    return stdout.split('\n').filter((l) => l !== '');
  };

  /** Runs a hook with the depmod and logger shims (and with `makes`, the make shim) on PATH. */
  const runHook = (
    command: readonly string[],
    options: RunSystemScriptOptions & { makes?: boolean } = {},
  ): ReturnType<typeof runSystemScript> =>
    runSystemScript(t.root, command, {
      env: { ...options.env, ...shims.env({ makes: options.makes }) },
    });

  beforeAll(async () => {
    ({ t, files, tmp, cleanup } = await makeSystemRoot('kmf-hooks-'));
    shims = await makeToolShims(tmp);
    amd64 = kernelOfFlavor(t.kernels, 'amd64');
    cloud = kernelOfFlavor(t.kernels, 'cloud-amd64');
    rt = kernelOfFlavor(t.kernels, 'rt-amd64');
    // kmf-simple has AUTOINSTALL="yes"; kmf-multi has none, so autoinstall leaves it alone.
    for (const [fixture, dir] of [
      ['kmf-simple', 'kmf-simple-1.0'],
      ['kmf-multi', 'kmf-multi-1.0'],
    ] as const) {
      await copyFixture(fixture, path.join(t.sourceTree, dir));
      const { code, stderr } = await t.cli('add', dir.replace(/-(?=[^-]*$)/, '/'));
      if (code !== 0) throw new Error(`add ${dir} failed (${code}): ${stderr}`);
    }
  });
  afterAll(async () => {
    await cleanup();
  });
  beforeEach(async () => {
    await shims.reset();
  });

  it('the postinst and header_postinst hooks are the same script', async () => {
    expect(await readFile(files.file(headerPostinst), 'utf8')).toBe(
      await readFile(files.file(postinst), 'utf8'),
    );
  });

  it('header_postinst.d: builds and installs every AUTOINSTALL module for the kernel, and no other', async () => {
    const run = await runHook([files.file(headerPostinst), amd64]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Autoinstall on ${amd64} succeeded for module(s) kmf-simple.`);
    expect(await exists(t.installedKo(amd64, 'kmf_simple'))).toBe(true);
    expect(depmodKernels(await shims.calls('depmod'))).toEqual([amd64]);
    expect(await shims.calls('logger')).toEqual([]);
    expect(await statusOf(amd64)).toEqual([
      'kmf-multi/1.0: added',
      `kmf-simple/1.0, ${amd64}, ${arch}: installed`,
    ]);
  });

  it('postinst.d: builds in parallel; a module that fails to build is reported on stderr with its log and in the journal, and the hook exits 0', async () => {
    await copyFixture('kmf-broken', path.join(t.sourceTree, 'kmf-broken-1.0'), {
      'dkms.conf': (text) => `${text}AUTOINSTALL="yes"\n`,
    });
    expect((await t.cli('add', 'kmf-broken/1.0')).code).toBe(0);
    // A budget of two builds at least, whatever the machine's processors.
    const run = await runHook([files.file(postinst), cloud, `/boot/vmlinuz-${cloud}`], {
      env: { MAKEFLAGS: '-j4' },
      makes: true,
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Autoinstall on ${cloud} succeeded for module(s) kmf-simple.`);
    expect(run.stdout).toContain(`Autoinstall on ${cloud} failed for module(s) kmf-broken(10).`);
    expect(run.stderr).toContain(`${t.dkmsTree}/kmf-broken/1.0/.kmodforge-build/${cloud}-${arch}/make.log`);
    expect(run.stderr).toContain(`kmodforge: WARNING: autoinstall for kernel ${cloud} failed (exit 11)`);
    expect(await shims.calls('logger')).toEqual([
      `-t kmodforge -p daemon.warning autoinstall for kernel ${cloud} failed (exit 11); see the make.log of each failed build`,
    ]);
    // kmf-simple's and kmf-broken's makes ran at the same time.
    expect(await shims.mostMakesAtOnce()).toBe(2);
    expect(depmodKernels(await shims.calls('depmod'))).toEqual([cloud]);
    expect(await exists(t.installedKo(cloud, 'kmf_simple'))).toBe(true);
    expect(await statusOf(cloud)).toContain(`kmf-simple/1.0, ${cloud}, ${arch}: installed`);
  });

  it("postinst.d: a kernel without headers gets dkms's warning, nothing built, exit 0", async () => {
    const run = await runHook([files.file(postinst), headerless]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      `kmodforge: WARNING: Linux headers are missing, so no module was built for kernel ${headerless}.\n` +
        `      please install the linux-headers-${headerless} package to fix this.\n`,
    );
    expect(await statusOf(headerless)).toEqual([
      'kmf-broken/1.0: added',
      'kmf-multi/1.0: added',
      'kmf-simple/1.0: added',
    ]);
  });

  it('prerm.d: removes every module built for the kernel and the directories it emptied', async () => {
    const run = await runHook([files.file(prerm), amd64]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Unbuilt kmf-simple/1.0 for ${amd64} (${arch})`);
    expect(depmodKernels(await shims.calls('depmod'))).toEqual([amd64]);
    expect(await exists(t.installedKo(amd64, 'kmf_simple'))).toBe(false);
    expect(await exists(path.join(t.installTree, amd64, 'updates'))).toBe(false);
    expect(await statusOf(amd64)).toEqual([
      'kmf-broken/1.0: added',
      'kmf-multi/1.0: added',
      'kmf-simple/1.0: added',
    ]);
    // The kernel's other modules are left alone.
    expect(await statusOf(cloud)).toContain(`kmf-simple/1.0, ${cloud}, ${arch}: installed`);
  });

  it('prerm.d: removes updates/dkms directories left empty by others, and keeps any that are not', async () => {
    await mkdir(path.join(t.installTree, headerless, 'updates', 'dkms'), { recursive: true });
    const run = await runHook([files.file(prerm), headerless]);
    expect(run).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(await exists(path.join(t.installTree, headerless, 'updates'))).toBe(false);

    const kept = path.join(t.installTree, headerless, 'updates', 'dkms', 'by-hand.ko');
    await mkdir(path.dirname(kept), { recursive: true });
    await writeFile(kept, '');
    expect((await runHook([files.file(prerm), headerless])).code).toBe(0);
    expect(await exists(kept)).toBe(true);
    await rm(path.join(t.installTree, headerless, 'updates'), { recursive: true });
  });

  describe('kernel-install(8) runs the plugin', () => {
    const kernelInstall = (...args: string[]): ReturnType<typeof runSystemScript> =>
      runHook(['kernel-install', ...args], {
        env: {
          KERNEL_INSTALL_PLUGINS: files.file(plugin),
          KERNEL_INSTALL_CONF_ROOT: path.join(tmp, 'kernel-conf'),
          BOOT_ROOT: path.join(tmp, 'boot'),
          MACHINE_ID: '0123456789abcdef0123456789abcdef',
        },
      });
    let image: string;

    beforeAll(async () => {
      await mkdir(path.join(tmp, 'kernel-conf'));
      await mkdir(path.join(tmp, 'boot'));
      image = path.join(tmp, 'vmlinuz');
      await writeFile(image, '');
    });

    it('add: builds and installs every AUTOINSTALL module, and exits 0 though one fails', async () => {
      const run = await kernelInstall('add', rt, image);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(`Autoinstall on ${rt} succeeded for module(s) kmf-simple.`);
      expect(run.stderr).toContain(`kmodforge: WARNING: autoinstall for kernel ${rt} failed (exit 11)`);
      expect(await statusOf(rt)).toContain(`kmf-simple/1.0, ${rt}, ${arch}: installed`);
      expect(depmodKernels(await shims.calls('depmod'))).toEqual([rt]);
    });

    it('add from a Debian kernel package (DEB_MAINT_PARAMS set): left to the postinst.d hook', async () => {
      const run = await runHook([files.file(plugin), 'add', amd64, tmp, image], {
        env: { DEB_MAINT_PARAMS: 'configure' },
      });
      expect(run).toEqual({ code: 0, stdout: '', stderr: '' });
      expect(await exists(t.installedKo(amd64, 'kmf_simple'))).toBe(false);
    });

    it('add for a kernel without headers: a warning, exit 0', async () => {
      const run = await kernelInstall('add', headerless, image);
      expect(run.code).toBe(0);
      expect(run.stderr).toContain(`the headers of kernel ${headerless} are missing`);
    });

    it('remove: uninstalls and unbuilds every module built for the kernel', async () => {
      const run = await kernelInstall('remove', rt);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(`Unbuilt kmf-simple/1.0 for ${rt} (${arch})`);
      expect(await exists(t.installedKo(rt, 'kmf_simple'))).toBe(false);
      expect(depmodKernels(await shims.calls('depmod'))).toEqual([rt]);
      expect(await statusOf(rt)).toEqual([
        'kmf-broken/1.0: added',
        'kmf-multi/1.0: added',
        'kmf-simple/1.0: added',
      ]);
    });
  });

  it('with the program gone (package removed, /etc files left), every hook exits 0 and does nothing', async () => {
    const orphans = await installSystemFiles(t.root, { program: false });
    try {
      for (const [script, ...args] of [
        [postinst, cloud],
        [headerPostinst, cloud],
        [prerm, cloud],
        [plugin, 'add', cloud, tmp, '/boot/vmlinuz'],
        [plugin, 'remove', cloud, tmp],
      ] as const) {
        const run = await runHook([orphans.file(script), ...args]);
        expect(run, script).toEqual({ code: 0, stdout: '', stderr: '' });
      }
      expect(await statusOf(cloud)).toContain(`kmf-simple/1.0, ${cloud}, ${arch}: installed`);
    } finally {
      await orphans.cleanup();
    }
  });
});
