import { describe, expect, it } from 'vitest';
import type { DirectiveName } from '../../../src/conf/directives.ts';
import type { ModuleConf } from '../../../src/conf/module-conf.ts';
import { resolveModuleConf, type ResolveContext } from '../../../src/conf/resolve.ts';
import { KmodError } from '../../../src/errors.ts';

type Values = Partial<Record<DirectiveName, string | Record<number, string>>>;

const ctx: ResolveContext = {
  file: '/src/foo-1.0/dkms.conf',
  text: undefined,
  kernel: '6.1.0-56-amd64',
  arch: 'x86_64',
  kernelSourceDir: '/lib/modules/6.1.0-56-amd64/build',
  buildDir: '/var/lib/dkms/foo/1.0/build',
  kernelConfig: new Map([
    ['CONFIG_PCI', 'y'],
    ['CONFIG_USB', 'm'],
  ]),
  destOverride: '/updates/dkms',
};

function resolve(
  values: Values,
  options: { matches?: Record<string, Record<number, number>>; ctx?: Partial<ResolveContext> } = {},
): ModuleConf {
  const directives = new Map<DirectiveName, Map<number, string>>();
  for (const [name, value] of Object.entries(values)) {
    const entries =
      typeof value === 'string'
        ? [[0, value] as const]
        : Object.entries(value).map(([i, v]) => [Number(i), v] as const);
    directives.set(name as DirectiveName, new Map(entries));
  }
  const matches = new Map(
    Object.entries(options.matches ?? {}).map(([n, m]) => [
      n,
      new Map(Object.entries(m).map(([i, s]) => [Number(i), s])),
    ]),
  );
  return resolveModuleConf({ directives, matches, sourced: [ctx.file] }, { ...ctx, ...options.ctx });
}

function resolveError(values: Values, options: Parameters<typeof resolve>[1] = {}): KmodError {
  try {
    resolve(values, options);
  } catch (error) {
    if (error instanceof KmodError) return error;
    throw error;
  }
  throw new Error('expected a KmodError');
}

const base: Values = { PACKAGE_NAME: 'foo', PACKAGE_VERSION: '1.0', DEST_MODULE_LOCATION: '/updates' };

describe('resolveModuleConf', () => {
  it('fills dkms defaults for a one-module package', () => {
    const conf = resolve(base);
    expect(conf.modules).toEqual([
      {
        index: 0,
        builtName: 'foo',
        builtLocation: '',
        destName: 'foo',
        destLocation: '/updates/dkms',
        rawDestLocation: '/updates',
        strip: true,
      },
    ]);
    expect(conf.make).toEqual({
      command: 'make -C /lib/modules/6.1.0-56-amd64/build M=/var/lib/dkms/foo/1.0/build',
      index: undefined,
    });
    expect(conf.autoinstall).toBe(false);
    expect(conf.exclusion).toBeUndefined();
  });

  it('keeps DEST_MODULE_LOCATION where the distro has no rule', () => {
    expect(resolve(base, { ctx: { destOverride: undefined } }).modules[0]?.destLocation).toBe('/updates');
  });

  it('resolves several module records with locations, names and STRIP defaults', () => {
    const conf = resolve({
      ...base,
      BUILT_MODULE_NAME: { 0: 'a', 1: 'b' },
      BUILT_MODULE_LOCATION: { 0: 'src', 1: 'lib/' },
      DEST_MODULE_NAME: { 1: 'b2' },
      DEST_MODULE_LOCATION: { 0: '/kernel/drivers/misc', 1: '/extra' },
      STRIP: { 0: 'no' },
    });
    expect(
      conf.modules.map((m) => [m.builtLocation, m.builtName, m.destName, m.rawDestLocation, m.strip]),
    ).toEqual([
      ['src/', 'a', 'a', '/kernel/drivers/misc', false],
      ['lib/', 'b', 'b2', '/extra', false],
    ]);
  });

  it('picks MAKE[0] unless MAKE_MATCH[0] is set, and the last matching MAKE_MATCH', () => {
    expect(resolve({ ...base, MAKE: 'make foo' }).make).toEqual({ command: 'make foo', index: 0 });
    const matched = resolve(
      {
        ...base,
        MAKE: { 0: 'make zero', 1: 'make one', 2: 'make two' },
        MAKE_MATCH: { 1: '^6', 2: '^6\\.1' },
      },
      { matches: { MAKE_MATCH: { 1: 0, 2: 0 } } },
    );
    expect(matched.make).toEqual({ command: 'make two', index: 2 });
    const none = resolve(
      { ...base, MAKE: { 0: 'make zero', 1: 'make one' }, MAKE_MATCH: { 0: '^5', 1: '^4' } },
      { matches: { MAKE_MATCH: { 0: 1, 1: 1 } } },
    );
    expect(none.make.index).toBeUndefined();
  });

  it('applies PATCH_MATCH', () => {
    const conf = resolve(
      { ...base, PATCH: { 0: 'a.patch', 1: 'b.patch', 2: 'c.patch' }, PATCH_MATCH: { 1: '^5' } },
      { matches: { PATCH_MATCH: { 1: 1 } } },
    );
    expect(conf.patches).toEqual(['a.patch', 'c.patch']);
  });

  it('reads AUTOINSTALL, BUILD_DEPENDS and scripts', () => {
    const conf = resolve({
      ...base,
      AUTOINSTALL: 'YES',
      BUILD_DEPENDS: { 0: 'dep1', 1: 'dep2' },
      PRE_BUILD: 'pre.sh arg',
      POST_INSTALL: 'post.sh',
    });
    expect(conf.autoinstall).toBe(true);
    expect(conf.buildDepends).toEqual(['dep1', 'dep2']);
    expect(conf.scripts.preBuild).toBe('pre.sh arg');
    expect(conf.scripts.postInstall).toBe('post.sh');
    expect(resolve({ ...base, AUTOINSTALL: 'no' }).autoinstall).toBe(false);
  });

  it('strips the CR a CRLF file leaves in values', () => {
    const conf = resolve({
      PACKAGE_NAME: 'foo\r',
      PACKAGE_VERSION: '1.0\r',
      DEST_MODULE_LOCATION: '/updates\r',
    });
    expect([conf.packageName, conf.packageVersion, conf.modules[0]?.rawDestLocation]).toEqual([
      'foo',
      '1.0',
      '/updates',
    ]);
  });

  it('warns about deprecated directives', () => {
    const conf = resolve({ ...base, REMAKE_INITRD: 'yes', MODULES_CONF: { 0: 'alias foo bar' } });
    expect(conf.deprecated).toEqual(['REMAKE_INITRD', 'MODULES_CONF']);
    expect(conf.warnings).toContain('Deprecated feature: REMAKE_INITRD (/src/foo-1.0/dkms.conf)');
  });

  describe('BUILD_EXCLUSIVE', () => {
    it('names the directive that excludes the kernel', () => {
      expect(
        resolve(
          { ...base, BUILD_EXCLUSIVE_KERNEL: '^5\\.' },
          { matches: { BUILD_EXCLUSIVE_KERNEL: { 0: 1 } } },
        ).exclusion?.directive,
      ).toBe('BUILD_EXCLUSIVE_KERNEL');
      expect(
        resolve(
          { ...base, BUILD_EXCLUSIVE_KERNEL: '^6\\.' },
          { matches: { BUILD_EXCLUSIVE_KERNEL: { 0: 0 } } },
        ).exclusion,
      ).toBeUndefined();
      expect(
        resolve({ ...base, BUILD_EXCLUSIVE_ARCH: 'arm' }, { matches: { BUILD_EXCLUSIVE_ARCH: { 0: 1 } } })
          .exclusion?.reason,
      ).toBe('arch x86_64 does not match BUILD_EXCLUSIVE_ARCH="arm"');
    });

    it('compares KERNEL_MIN and KERNEL_MAX by version', () => {
      expect(resolve({ ...base, BUILD_EXCLUSIVE_KERNEL_MIN: '6.2' }).exclusion?.directive).toBe(
        'BUILD_EXCLUSIVE_KERNEL_MIN',
      );
      expect(resolve({ ...base, BUILD_EXCLUSIVE_KERNEL_MIN: '6.1' }).exclusion).toBeUndefined();
      expect(resolve({ ...base, BUILD_EXCLUSIVE_KERNEL_MAX: '6.1' }).exclusion).toBeUndefined();
      expect(resolve({ ...base, BUILD_EXCLUSIVE_KERNEL_MAX: '6.0.99' }).exclusion?.directive).toBe(
        'BUILD_EXCLUSIVE_KERNEL_MAX',
      );
      expect(resolve({ ...base, BUILD_EXCLUSIVE_KERNEL_MAX: '6.1.0-50' }).exclusion?.directive).toBe(
        'BUILD_EXCLUSIVE_KERNEL_MAX',
      );
      expect(resolve({ ...base, OBSOLETE_BY: '5.15' }).exclusion?.directive).toBe('OBSOLETE_BY');
    });

    it('checks BUILD_EXCLUSIVE_CONFIG against the kernel config, and ignores it without one', () => {
      expect(resolve({ ...base, BUILD_EXCLUSIVE_CONFIG: 'CONFIG_PCI CONFIG_USB' }).exclusion).toBeUndefined();
      expect(
        resolve({ ...base, BUILD_EXCLUSIVE_CONFIG: 'CONFIG_PCI !CONFIG_USB' }).exclusion?.reason,
      ).toContain('CONFIG_USB enabled');
      expect(resolve({ ...base, BUILD_EXCLUSIVE_CONFIG: 'CONFIG_FOO' }).exclusion?.directive).toBe(
        'BUILD_EXCLUSIVE_CONFIG',
      );
      expect(
        resolve({ ...base, BUILD_EXCLUSIVE_CONFIG: 'CONFIG_FOO' }, { ctx: { kernelConfig: undefined } })
          .exclusion,
      ).toBeUndefined();
    });
  });

  it('reads USERLAND_BUILD and USERLAND_FILE', () => {
    const conf = resolve({
      ...base,
      USERLAND_BUILD: 'make -C tools',
      USERLAND_FILE: { 0: 'tools/ctl:/usr/bin/ctl:0755', 1: 'rules:/usr/lib/udev/rules.d/90-x.rules' },
    });
    expect(conf.userland).toEqual({
      build: 'make -C tools',
      files: [
        { source: 'tools/ctl', dest: '/usr/bin/ctl', mode: 0o755 },
        { source: 'rules', dest: '/usr/lib/udev/rules.d/90-x.rules', mode: 0o644 },
      ],
    });
    expect(resolve(base).userland).toBeUndefined();
  });

  describe('validation', () => {
    const cases: [string, Values, string][] = [
      [
        'missing PACKAGE_NAME',
        { PACKAGE_VERSION: '1', DEST_MODULE_LOCATION: '/updates' },
        'PACKAGE_NAME: is not set; expected the package name',
      ],
      [
        'missing PACKAGE_VERSION',
        { PACKAGE_NAME: 'foo', DEST_MODULE_LOCATION: '/updates' },
        'PACKAGE_VERSION: is not set',
      ],
      [
        'a slash in PACKAGE_NAME',
        { ...base, PACKAGE_NAME: 'a/b' },
        'PACKAGE_NAME: "a/b" must not contain "/", white space, quotes or shell characters',
      ],
      [
        'a PACKAGE_NAME of ..',
        { ...base, PACKAGE_NAME: '..' },
        'PACKAGE_NAME: ".." is not a name: it would be a path step',
      ],
      [
        'a PACKAGE_VERSION with a $',
        { ...base, PACKAGE_VERSION: '1$(id)' },
        'PACKAGE_VERSION: "1$(id)" must not contain',
      ],
      [
        'a PACKAGE_NAME beginning with -',
        { ...base, PACKAGE_NAME: '-rf' },
        'PACKAGE_NAME: "-rf" must not begin with "-"',
      ],
      [
        'no module records',
        { PACKAGE_NAME: 'foo', PACKAGE_VERSION: '1' },
        'DEST_MODULE_LOCATION[0]: no module records',
      ],
      [
        'a bad DEST_MODULE_LOCATION',
        { ...base, DEST_MODULE_LOCATION: '/lib/foo' },
        'DEST_MODULE_LOCATION[0]: "/lib/foo" does not begin with /kernel, /updates or /extra',
      ],
      [
        '".." in DEST_MODULE_LOCATION',
        { ...base, DEST_MODULE_LOCATION: '/updates/../../etc' },
        'DEST_MODULE_LOCATION[0]: "/updates/../../etc" contains ".."',
      ],
      [
        '.ko in BUILT_MODULE_NAME',
        { ...base, BUILT_MODULE_NAME: 'foo.ko' },
        'BUILT_MODULE_NAME[0]: "foo.ko" ends in .o or .ko; expected the module name without the suffix, e.g. "foo"',
      ],
      [
        '.o in DEST_MODULE_NAME',
        { ...base, DEST_MODULE_NAME: 'foo.o' },
        'DEST_MODULE_NAME[0]: "foo.o" ends in .o or .ko',
      ],
      [
        'a missing BUILT_MODULE_NAME with two records',
        { ...base, BUILT_MODULE_NAME: { 0: 'a' }, DEST_MODULE_LOCATION: { 0: '/updates', 1: '/updates' } },
        'BUILT_MODULE_NAME[1]: is not set for module record #1',
      ],
      [
        'a missing DEST_MODULE_LOCATION',
        { ...base, BUILT_MODULE_NAME: { 0: 'a', 1: 'b' }, DEST_MODULE_LOCATION: { 0: '/updates' } },
        'DEST_MODULE_LOCATION[1]: is not set for module record #1',
      ],
      [
        'a sparse array',
        {
          ...base,
          BUILT_MODULE_NAME: { 0: 'a', 2: 'c' },
          DEST_MODULE_LOCATION: { 0: '/updates', 1: '/updates', 2: '/updates' },
        },
        'BUILT_MODULE_NAME[1]: has entries [0, 2] but none at 1; module records must be numbered 0, 1, 2, … without gaps',
      ],
      [
        'duplicate DEST_MODULE_NAMEs',
        {
          ...base,
          BUILT_MODULE_NAME: { 0: 'a', 1: 'b' },
          DEST_MODULE_NAME: { 0: 'x', 1: 'x' },
          DEST_MODULE_LOCATION: { 0: '/updates', 1: '/extra' },
        },
        'DEST_MODULE_NAME[1]: "x" is already the name of module record #0',
      ],
      [
        'duplicate BUILT_MODULE_NAMEs',
        {
          ...base,
          BUILT_MODULE_NAME: { 0: 'a', 1: 'a' },
          DEST_MODULE_NAME: { 0: 'x', 1: 'y' },
          DEST_MODULE_LOCATION: { 0: '/updates', 1: '/updates' },
        },
        'BUILT_MODULE_NAME[1]: "a" in "." is already module record #0',
      ],
      [
        'an invalid AUTOINSTALL',
        { ...base, AUTOINSTALL: 'maybe' },
        'AUTOINSTALL: "maybe" is not valid; expected yes, no or empty',
      ],
      [
        'an invalid BUILD_DEPENDS_REBUILD',
        { ...base, BUILD_DEPENDS_REBUILD: 'sure' },
        'BUILD_DEPENDS_REBUILD: "sure" is not valid',
      ],
      [
        'MAKE_MATCH without MAKE',
        { ...base, MAKE_MATCH: { 1: '^6' } },
        'MAKE_MATCH[1]: has no MAKE[1] to go with it',
      ],
      [
        'a USERLAND_FILE without a destination',
        { ...base, USERLAND_FILE: 'tools/ctl' },
        'USERLAND_FILE[0]: "tools/ctl": expected "<path in the source>:<absolute path on the system>[:<octal mode>]"',
      ],
      [
        'a USERLAND_FILE leaving the source',
        { ...base, USERLAND_FILE: '../x:/usr/bin/x' },
        'USERLAND_FILE[0]: "../x" must be a path inside the source',
      ],
      [
        'a relative USERLAND_FILE destination',
        { ...base, USERLAND_FILE: 'x:usr/bin/x' },
        'USERLAND_FILE[0]: "usr/bin/x" must be an absolute file path without ".."',
      ],
      [
        'a bad USERLAND_FILE mode',
        { ...base, USERLAND_FILE: 'x:/usr/bin/x:rwx' },
        'USERLAND_FILE[0]: "rwx" is not an octal file mode such as 0755',
      ],
    ];

    it.each(cases)('rejects %s with exit code 8', (_, values, message) => {
      const error = resolveError(values);
      expect(error.code).toBe('CONF_INVALID');
      expect(error.exitCode).toBe(8);
      expect(error.message).toContain(`/src/foo-1.0/dkms.conf: ${message}`);
    });

    it('rejects a regex bash cannot compile', () => {
      const error = resolveError(
        { ...base, MAKE: { 0: 'make', 1: 'make x' }, MAKE_MATCH: { 1: '(' } },
        { matches: { MAKE_MATCH: { 1: 2 } } },
      );
      expect(error.message).toContain('MAKE_MATCH[1]: "(" is not a valid regular expression');
    });

    it('lists every problem at once and points at the line', () => {
      const text = 'PACKAGE_NAME="foo"\n\nBUILT_MODULE_NAME[0]="foo.ko"\nDEST_MODULE_LOCATION[0]="/usr"\n';
      const error = resolveError(
        { PACKAGE_NAME: 'foo', BUILT_MODULE_NAME: 'foo.ko', DEST_MODULE_LOCATION: '/usr' },
        { ctx: { text } },
      );
      expect(error.message.split('\n')).toEqual([
        'invalid dkms.conf:',
        '/src/foo-1.0/dkms.conf: PACKAGE_VERSION: is not set; expected the package version, e.g. PACKAGE_VERSION="1.0"',
        '/src/foo-1.0/dkms.conf:3: BUILT_MODULE_NAME[0]: "foo.ko" ends in .o or .ko; expected the module name without the suffix, e.g. "foo"',
        '/src/foo-1.0/dkms.conf:4: DEST_MODULE_LOCATION[0]: "/usr" does not begin with /kernel, /updates or /extra',
      ]);
    });
  });
});
