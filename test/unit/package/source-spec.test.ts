import { execFile as execFileCallback } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { deprecatedDirectives, directiveNames } from '../../../src/conf/directives.ts';
import type { DirectiveName } from '../../../src/conf/directives.ts';
import { compareKernelBound } from '../../../src/conf/exclusive.ts';
import { resolveModuleConf } from '../../../src/conf/resolve.ts';
import { discoverKernels } from '../../../src/kernel/discover.ts';
import { planConfVariables } from '../../../src/conf/read.ts';
import { parseKernelRelease } from '../../../src/kernel/release.ts';
import { planRpmIdentity } from '../../../src/package/naming.ts';
import { formatChangelogDate, planLicense } from '../../../src/package/package-info.ts';
import {
  checkRpmRelease,
  kmodBuildScriptUrl,
  luaString,
  planPackageTemplates,
  planSourcePackageName,
  planSourceSpec,
  planSourceTarballName,
  planSpecFileName,
  planSrpmFileName,
  sourceSpecTemplateUrl,
  srpmOnlyMacro,
  type SourceSpecInput,
} from '../../../src/package/rpm/source-spec.ts';
import { resolvePaths } from '../../../src/paths.ts';

const execFile = promisify(execFileCallback);
const template = await readFile(sourceSpecTemplateUrl, 'utf8');

const input: SourceSpecInput = {
  name: 'gost-crypto',
  version: '0.3.4',
  release: '1',
  license: 'GPL-2.0-only',
  date: 1_700_000_000,
  generator: 'kmodforge 0.1.0',
};

/** The text of the spec's %{lua: …} block. */
function luaBlock(spec: string): string {
  const start = spec.indexOf('%{lua:');
  const end = spec.indexOf('\n}\n', start);
  return spec.slice(start, end + 2);
}

describe('source RPM file names', () => {
  it('names the source package <name>-kmod and keeps the dkms version in the tarball', () => {
    const dashed = { name: 'hello', version: '1.2-3', release: '2' };
    expect(planSourcePackageName('hello')).toBe('hello-kmod');
    expect(planSourceTarballName(dashed)).toBe('hello-1.2-3.tar.gz');
    expect(planSpecFileName(dashed)).toBe('hello-kmod.spec');
    expect(planSrpmFileName(dashed)).toBe('hello-kmod-1.2_3-2.src.rpm');
  });

  it.each([
    ['1', true],
    ['3.el9', true],
    ['0.1~rc1', true],
    ['1-2', false],
    ['', false],
    ['1 2', false],
    ['1\n%post\nrm -rf /', false],
  ])('release %j valid: %s', (release, valid) => {
    if (valid) expect(checkRpmRelease(release)).toBe(release);
    else expect(() => checkRpmRelease(release)).toThrow(`--release "${release}": expected`);
  });
});

describe('planSourceSpec', () => {
  const spec = planSourceSpec(input, template);

  it('has the preamble of the source package, its three sources and no BuildRequires', () => {
    for (const line of [
      'Name:           gost-crypto-kmod',
      'Version:        0.3.4',
      'Release:        1',
      'License:        GPL-2.0-only',
      'Source0:        gost-crypto-0.3.4.tar.gz',
      'Source1:        dkms.conf',
      'Source2:        kmod-build.sh',
      'ExclusiveOS:    linux',
    ]) {
      expect(spec.split('\n')).toContain(line);
    }
    expect(spec).not.toMatch(/^BuildRequires:/m);
  });

  it("turns off rpm's strip, debuginfo and build-id links, and accepts Debian releases in kernel-uname-r", () => {
    for (const line of [
      '%global debug_package %{nil}',
      '%global __spec_install_post %{nil}',
      '%global __os_install_post %{nil}',
      '%global _build_id_links none',
      '%global _wrong_version_format_terminate_build 0',
    ]) {
      expect(spec.split('\n')).toContain(line);
    }
  });

  it('passes the module, the kernels, flavors and target board asked for and the signing defines to kmod-build.sh', () => {
    const helper = spec.split('\n').find((l) => l.startsWith('%global kmf_helper '));
    expect(helper).toBe(
      "%global kmf_helper KMF_NAME=gost-crypto KMF_VERSION=0.3.4 KMF_ARCH='%{_target_cpu}' KMF_JOBS='%{?_smp_build_ncpus}%{!?_smp_build_ncpus:1}' KMF_MODDIR='%{kmod_moddir}' KMF_KERNELS='%{?kernels}' KMF_FLAVORS='%{?flavors}%{?targetboard: %{targetboard}}' KMF_SIGN_KEY='%{?kmod_sign_key}' KMF_SIGN_CERT='%{?kmod_sign_cert}' KMF_SIGN_FILE='%{?kmod_sign_file}' bash '%{SOURCE2}'",
    );
    // It is defined after Source2, which %global expands at once.
    expect(spec.indexOf('%global kmf_helper')).toBeGreaterThan(spec.indexOf('Source2:'));
  });

  it('plans packages in Lua, except when kmodforge makes the source RPM', () => {
    const lua = luaBlock(spec);
    expect(lua).toContain(`rpm.expand("%{?${srpmOnlyMacro}}")`);
    expect(lua).toContain('%{kmf_helper} plan 2>/dev/null');
    expect(lua).toContain('rpm.define("kmf_kernels "');
    // rpm matches the braces of %{lua:…} before Lua runs.
    expect(lua.split('{').length).toBe(lua.split('}').length);
  });

  it("carries naming.ts's kmod package name and relations as templates", () => {
    const lua = luaBlock(spec);
    expect(lua).toContain('local name_template = "kmod-gost-crypto-@KERNEL@"');
    expect(lua).toContain(
      'local kernel_relations = { "Requires: kernel-uname-r = @KERNEL@", "Provides: gost-crypto-kmod = @VERSION@-@RELEASE@" }',
    );
    expect(lua).toContain('local module_relations = { "Provides: kmod(@MODULE@.ko) = @VERSION@-@RELEASE@" }');
  });

  it('plans the userland subpackage <name>-kmod-common, which each kernel package then requires', () => {
    const lua = luaBlock(spec);
    expect(lua).toContain('local userland_name = "gost-crypto-kmod-common"');
    expect(lua).toContain(
      'local userland_relations = { "Requires: gost-crypto-kmod-common = @VERSION@-@RELEASE@" }',
    );
    expect(lua).toContain('elseif f[1] == "userland" then');
    expect(lua).toContain('print("%package -n " .. userland_name .. "\\n")');
    expect(lua).toContain('print("%attr(" .. u.mode .. ",root,root) " .. files_path(u.path) .. "\\n")');
    expect(lua).toContain('rpm.define("kmf_userland_kernel "');
    expect(spec).toContain('also gets gost-crypto-kmod-common: USERLAND_BUILD run once');
  });

  it.each(['5.14.0-362.8.1.el9_3.x86_64+rt', '6.1.0-56-rt-amd64'])(
    "fills for %s to planRpmIdentity's name and Provides, and requires kernel-uname-r = <release>",
    (release) => {
      const templates = planPackageTemplates('hello');
      const kernel = parseKernelRelease(release);
      const real = planRpmIdentity('kmod', {
        name: 'hello',
        version: '1.0',
        release: '1',
        kernel,
        arch: 'x86_64',
        modules: ['hello', 'hello_extra'],
      });
      const fill = (t: string, module = ''): string =>
        t
          .replaceAll('@KERNEL@', kernel.release)
          .replaceAll('@VERSION@', '1.0')
          .replaceAll('@RELEASE@', '1')
          .replaceAll('@MODULE@', module);
      expect(fill(templates.name)).toBe(real.name);
      const filled = [
        ...templates.kernelRelations.map((r) => fill(r)),
        ...['hello', 'hello_extra'].flatMap((m) => templates.moduleRelations.map((r) => fill(r, m))),
      ];
      expect(filled.sort()).toEqual(
        [
          `Requires: kernel-uname-r = ${release}`,
          ...real.relations.filter((r) => r.startsWith('Provides:')),
        ].sort(),
      );
    },
  );

  it('builds and installs each planned kernel with kmod-build.sh, after explaining the excluded ones', () => {
    expect(spec).toContain('%setup -q -c\n');
    expect(spec).toContain(
      '%build\n# Which kernels get no package and why, or why nothing can be built.\nKMF_SOURCE_TREE="$PWD" %{kmf_helper} explain\nfor kernel in %{kmf_kernels}; do\n  KMF_SOURCE_TREE="$PWD" KMF_WORK="$PWD/_kmod_build" %{kmf_helper} build "$kernel"\ndone\nfor kernel in %{kmf_userland_kernel}; do\n  KMF_SOURCE_TREE="$PWD" KMF_WORK="$PWD/_kmod_build" %{kmf_helper} build-userland "$kernel"\ndone\n',
    );
    expect(spec).toContain(
      `%install\nfor kernel in %{kmf_kernels}; do\n  KMF_SOURCE_TREE="$PWD" KMF_WORK="$PWD/_kmod_build" %{kmf_helper} install "$kernel" '%{buildroot}'\ndone\nfor kernel in %{kmf_userland_kernel}; do\n  KMF_SOURCE_TREE="$PWD" KMF_WORK="$PWD/_kmod_build" %{kmf_helper} install-userland '%{buildroot}'\ndone\n`,
    );
  });

  it('runs depmod for the package kernel only, from a Lua scriptlet that tolerates a missing depmod', () => {
    const lua = luaBlock(spec);
    expect(lua).toContain('print("%post -n " .. pkg .. " -p <lua>\\n" .. depmod(k.release))');
    expect(lua).toContain('print("%postun -n " .. pkg .. " -p <lua>\\n" .. depmod(k.release))');
    expect(lua).toContain(
      'if posix.access(d, \\"x\\") then pcall(rpm.execute, d, \\"-a\\", \\"" .. kernel .. "\\") break end',
    );
  });

  it('dates the changelog from SOURCE_DATE_EPOCH', () => {
    expect(spec).toContain('%changelog\n* Tue Nov 14 2023 kmodforge 0.1.0 - 0.3.4-1\n');
    expect(formatChangelogDate(0)).toBe('Thu Jan 01 1970');
    expect(formatChangelogDate(951_782_400)).toBe('Tue Feb 29 2000');
  });

  it('makes rpm-safe versions and escapes % in what the module names', () => {
    const odd = planSourceSpec({ ...input, name: 'odd', version: '2.0-rc%1' }, template);
    expect(odd).toContain('\nVersion:        2.0_rc%%1\n');
    expect(odd).toContain('\nSource0:        odd-2.0-rc%%1.tar.gz\n');
    expect(odd).toContain("KMF_VERSION='2.0-rc%%1'");
    expect(odd).toContain('local module_name, module_version = "odd", "2.0-rc\\0371"');
  });

  it('is the same text for the same input', () => {
    expect(planSourceSpec({ ...input }, template)).toBe(spec);
  });

  it('fills every placeholder of source.spec.in, once: a value that looks like one stays', () => {
    expect(spec).not.toMatch(/\{\{\w+\}\}/);
    const odd = planSourceSpec({ ...input, generator: '{{name}}' }, template);
    expect(odd).toContain('# gost-crypto-kmod.spec: made by {{name}} (kmodforge mksrpm gost-crypto/0.3.4)\n');
  });

  it('refuses a template with a placeholder it does not know', () => {
    expect(() => planSourceSpec(input, 'Name: {{package_name}}\n{{nope}}\n')).toThrow(
      'kmodforge is incomplete: source.spec.in has an unknown placeholder {{nope}}',
    );
  });
});

describe('luaString', () => {
  it.each([
    ['plain', '"plain"'],
    ['say "hi"\\', '"say \\"hi\\"\\\\"'],
    ['{x}', '"\\123x\\125"'],
    ['a\nb', '"a\\010b"'],
    ['é', '"\\195\\169"'],
  ])('%j → %s', (value, expected) => {
    expect(luaString(value)).toBe(expected);
  });
});

describe('planLicense', () => {
  it.each([
    [['GPL'], 'GPL-2.0-or-later'],
    [['GPL v2', 'GPL'], 'GPL-2.0-only AND GPL-2.0-or-later'],
    [['GPL v2', 'GPL v2'], 'GPL-2.0-only'],
    [['Dual MIT/GPL'], 'MIT OR GPL-2.0-only'],
    [['Dual BSD/GPL'], 'BSD-3-Clause OR GPL-2.0-only'],
    [['GPL', 'Dual MIT/GPL'], 'GPL-2.0-or-later AND (MIT OR GPL-2.0-only)'],
    [['Proprietary'], 'Proprietary'],
    [[], 'LicenseRef-not-declared'],
  ])('%j → %s', (licenses, expected) => {
    expect(planLicense(licenses)).toBe(expected);
  });
});

describe('kmod-build.sh agrees with kmodforge', () => {
  const script = fileURLToPath(kmodBuildScriptUrl);

  /** Runs bash with the script's functions (everything before its main section) and `code`. */
  async function withFunctions(code: string): Promise<string> {
    const { stdout } = await execFile('bash', [
      '--noprofile',
      '--norc',
      '-c',
      `source <(sed '/^# ---- main$/,$d' "$1")\n${code}`,
      'test',
      script,
    ]);
    return stdout;
  }

  it('reads the directives of src/conf/directives.ts and warns about the same deprecated ones', async () => {
    const lines = (await withFunctions('echo "${kmf_directives[*]}"; echo "${kmf_deprecated[*]}"')).split(
      '\n',
    );
    expect(lines[0]?.split(' ')).toEqual([...directiveNames]);
    expect(lines[1]?.split(' ')).toEqual([...deprecatedDirectives]);
  });

  it("sets dkms's variables, the ones planConfVariables gives", async () => {
    const names = (await withFunctions('echo "${kmf_var_names[*]}"')).trim().split(' ');
    const vars = planConfVariables(
      {
        paths: resolvePaths(),
        kernel: { release: '6.1.0-56-amd64', headersDir: undefined, sourceDir: undefined, config: undefined },
        arch: 'x86_64',
        distro: { id: 'debian', addonModulesDir: undefined },
      },
      'm',
      '1',
    );
    expect(names).toEqual(Object.keys(vars));
  });

  // Issue 8, defect 3 (its sibling in the SRPM's helper): a background job the file leaves running held
  // the pipe of a $(...) open, and bash waited for it.
  it('reads a dkms.conf that leaves a background job running without waiting for it', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kmf-bg-conf-'));
    try {
      const conf = path.join(dir, 'dkms.conf');
      await writeFile(conf, 'f() { sleep 30; }\nf &\nPACKAGE_NAME=bg\nPACKAGE_VERSION=1\n');
      const out = await withFunctions(
        `declare -A KMF_VAR=(); for n in "\${kmf_var_names[@]}"; do KMF_VAR[$n]=x; done
KMF_CONF=${conf}; kmf_read_conf 2>/dev/null; kmf_get PACKAGE_NAME; echo "$REPLY"`,
      );
      expect(out).toBe('bg\n');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    // Before the fix this waited for the 30 s sleep: the test's time limit is the hang check.
  }, 10_000);

  it('compares kernels with BUILD_EXCLUSIVE_KERNEL_MIN/MAX bounds as compareKernelBound', async () => {
    const cases: [string, string][] = [
      ['6.1.0-56-amd64', '6.1'],
      ['6.1.0-56-amd64', '6.1.0-20'],
      ['6.1.0-56-amd64', '6.1.0-56'],
      ['6.1.0-56-amd64', '6.1.0-100'],
      ['6.1.0-56-amd64', '6.2'],
      ['6.1.0-56-amd64', '5.15.0'],
      ['6.12.48+deb13-amd64', '6.12.9'],
      ['5.14.0-362.8.1.el9_3.x86_64', '5.14.0-362'],
      ['6.1.0', '6.1.0.1'],
      ['6.1.09', '6.1.10'],
      ['weird', '6.1'],
    ];
    const code = cases.map(([k, b]) => `kmf_compare_bound '${k}' '${b}'; echo "$REPLY"`).join('\n');
    const got = (await withFunctions(code)).trim().split('\n').map(Number);
    expect(got).toEqual(cases.map(([k, b]) => compareKernelBound(k, b)));
  });

  it('matches a flavor (flavors, targetboard) where parseKernelRelease reads that flavor', async () => {
    const releases = [
      '6.1.0-56-rt-amd64',
      '6.1.0-56-amd64',
      '6.1.0-56-cloud-amd64',
      '6.12.48+deb13-rt-amd64',
      '6.12.48+deb13-amd64',
      '5.14.0-362.8.1.el9_3.x86_64+rt',
      '3.10.0-1160.el7.x86_64.debug',
      '6.8.0-45-generic',
      '6.8.0-45-lowlatency',
      '5.14.21-150500.55.19-default',
      // The seed's scheme, <version>-<release><flavor>, on 2.4, 2.6, 5.x and 6.x
      '2.4.18-14',
      '2.4.18-14smp',
      '2.4.18-14host108',
      '2.6.32-1host108',
      '2.6.9-42.ELsmp',
      '2.6.18-8.el5xen',
      '5.15.3-7smp',
      '5.15.3-7host108',
      '6.1.0-1host108',
      '6.1.119-14host108',
      '6.6.12-2',
      '6.12.9-3.1bigmem',
      // Not of it (kmf_has_flavor takes any word after "<digit>-" as a flavor, as Debian's; 6.1.0-1-host108
      // is host108 to it, not to parseKernelRelease)
      '6.1.0-host108',
      '6.1.0-1host108-lts',
      '2.4.18-14smphost108',
    ];
    const flavors = ['rt-amd64', 'amd64', 'rt', 'debug', 'generic', 'default', 'smp', 'host108', 'mp', 'xen'];
    const cases = releases.flatMap((k) => flavors.map((f): [string, string] => [k, f]));
    const code = cases
      .map(([k, f]) => `if kmf_has_flavor '${k}' '${f}'; then echo yes; else echo no; fi`)
      .join('\n');
    const got = (await withFunctions(code)).trim().split('\n');
    expect(cases.map(([k, f], i) => [k, f, got[i]])).toEqual(
      cases.map(([k, f]) => [k, f, parseKernelRelease(k).flavor === f ? 'yes' : 'no']),
    );
  });

  it("finds the seed's /usr/src/linux-<release> trees that kmodforge's discovery finds", async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'kmf-source-trees-'));
    try {
      const tree = async (name: string, files: Record<string, string>): Promise<void> => {
        await mkdir(path.join(root, 'usr/src', name, 'include/config'), { recursive: true });
        for (const [file, text] of Object.entries(files))
          await writeFile(path.join(root, 'usr/src', name, file), text);
      };
      await tree('linux-6.1.0-1host108', {
        '.config': 'CONFIG_MODULES=y\n',
        'include/config/kernel.release': '6.1.0-1host108\n',
      });
      await tree('linux-2.4.18-14smp', { '.config': 'CONFIG_SMP=y\n' });
      await tree('linux-6.6.58', {});
      await tree('linux-6.1.0-2host108', {
        '.config': 'CONFIG_MODULES=y\n',
        'include/config/kernel.release': '6.1.0-2host108-dirty\n',
      });
      await tree('linux-headers-6.1.0-9-common', { '.config': 'CONFIG_MODULES=y\n' });
      await mkdir(path.join(root, 'usr/src/linux-6.6.12-2smp/include'), { recursive: true });
      await mkdir(path.join(root, 'usr/src/linux-6.6.12-2smp/.config'));
      await symlink('nowhere', path.join(root, 'usr/src/linux-6.6.13-1'));
      const entries = [
        'linux-6.1.0-1host108',
        'linux-2.4.18-14smp',
        'linux-6.6.58',
        'linux-6.1.0-2host108',
        'linux-6.6.12-2smp',
        'linux-6.6.13-1',
      ];
      const code = entries
        .map(
          (e) =>
            `if kmf_source_tree '${path.join(root, 'usr/src', e)}' '${e.slice(6)}'; then echo yes; else echo no; fi`,
        )
        .join('\n');
      const got = (await withFunctions(code)).trim().split('\n');
      const found = new Set((await discoverKernels(resolvePaths({ root }))).map((k) => `linux-${k.release}`));
      expect(entries.map((e, i) => [e, got[i]])).toEqual(
        entries.map((e) => [e, found.has(e) ? 'yes' : 'no']),
      );
      expect([...found].sort()).toEqual(['linux-2.4.18-14smp', 'linux-6.1.0-1host108']);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('reads USERLAND_FILE as resolveModuleConf: the same files and modes, the same values refused', async () => {
    const values = [
      'tools/ctl:/usr/bin/ctl:0755',
      'tools/ctl:/usr/bin/ctl:755',
      'udev/90.rules:/usr/lib/udev/rules.d/90.rules',
      'a b:/usr/share/x y/c d:0640',
      'tools/ctl:/usr/bin/ctl:',
      'tools/ctl:/usr/bin/ctl:0755:x',
      'tools/ctl::0755',
      ':/usr/bin/ctl',
      'tools/ctl',
      '/etc/passwd:/usr/bin/ctl',
      '../up:/usr/bin/ctl',
      'tools/ctl:usr/bin/ctl',
      'tools/ctl:/usr/../bin/ctl',
      'tools/ctl:/usr/bin/',
      'tools/ctl:/usr/bin/ctl:0999',
      'tools/ctl:/usr/bin/ctl:12345',
      '',
    ];
    const quote = (v: string): string => `'${v.replaceAll("'", `'\\''`)}'`;
    const code = values
      .map(
        (v) =>
          `KMF_D=([USERLAND_FILE:3]=${quote(v)}) KMF_IDX=([USERLAND_FILE]=' 3'); problems=(); kmf_userland_files problems; echo "\${#problems[@]} \${KMF_USERLAND_SOURCE[*]:-}|\${KMF_USERLAND_DEST[*]:-}|\${KMF_USERLAND_MODE[*]:-}"`,
      )
      .join('\n');
    const got = (await withFunctions(`declare -A KMF_D KMF_IDX\n${code}`)).trim().split('\n');
    const expected = values.map((v) => {
      const directives = new Map<DirectiveName, Map<number, string>>([
        ['PACKAGE_NAME', new Map([[0, 'm']])],
        ['PACKAGE_VERSION', new Map([[0, '1']])],
        ['DEST_MODULE_LOCATION', new Map([[0, '/updates']])],
        ['USERLAND_FILE', new Map([[3, v]])],
      ]);
      try {
        const conf = resolveModuleConf(
          { directives, matches: new Map(), sourced: ['dkms.conf'] },
          {
            file: 'dkms.conf',
            text: undefined,
            kernel: '6.1.0-1host108',
            arch: 'x86_64',
            kernelSourceDir: '/k',
            buildDir: '/b',
            kernelConfig: undefined,
            destOverride: undefined,
          },
        );
        const files = conf.userland?.files ?? [];
        return `0 ${files.map((f) => f.source).join(' ')}|${files.map((f) => f.dest).join(' ')}|${files.map((f) => f.mode.toString(8).padStart(4, '0')).join(' ')}`;
      } catch {
        return '1 ||';
      }
    });
    expect(values.map((v, i) => [v, got[i]])).toEqual(values.map((v, i) => [v, expected[i]]));
  });

  it('is valid bash', async () => {
    await execFile('bash', ['-n', script]);
    expect((await readFile(script, 'utf8')).startsWith('#!/bin/bash\n')).toBe(true);
  });
});
