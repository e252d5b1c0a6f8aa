import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDirectiveOverride } from '../../../src/conf/directive-override.ts';
import { readModuleConf, type ReadConfOptions } from '../../../src/conf/read.ts';
import { KmodError } from '../../../src/errors.ts';
import { resolvePaths } from '../../../src/paths.ts';

let root: string;
const kernel = {
  release: '6.1.0-56-amd64',
  headersDir: '/headers/6.1.0-56-amd64',
  sourceDir: '/headers/6.1.0-56-amd64',
  config: undefined,
};

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'kmf-conf-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function writeConf(name: string, text: string): Promise<string> {
  const dir = path.join(root, 'src', name);
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, 'dkms.conf');
  await writeFile(file, text);
  return file;
}

function read(confPath: string, options: Partial<ReadConfOptions> = {}): ReturnType<typeof readModuleConf> {
  return readModuleConf({
    confPath,
    paths: resolvePaths({ root }),
    kernel,
    arch: 'x86_64',
    distro: { id: 'debian', addonModulesDir: undefined },
    ...options,
  });
}

async function readError(confPath: string, options: Partial<ReadConfOptions> = {}): Promise<KmodError> {
  try {
    await read(confPath, options);
  } catch (error) {
    if (error instanceof KmodError) return error;
    throw error;
  }
  throw new Error('expected a KmodError');
}

const minimal = 'PACKAGE_NAME=foo\nPACKAGE_VERSION=1.0\nDEST_MODULE_LOCATION[0]=/updates\n';

describe('readModuleConf (bash evaluation)', () => {
  it("gives the file dkms's variables and reads values with spaces, quotes and newlines intact", async () => {
    const file = await writeConf(
      'vars',
      [
        minimal,
        'MAKE[0]="make KVER=$kernelver ARCH=$arch KSRC=$kernel_source_dir TREE=$dkms_tree/$module/$module_version/build"',
        `POST_BUILD='say "hi" $HOME'`,
        "PRE_BUILD=$'line1\\nline2'",
      ].join('\n'),
    );
    const conf = await read(file);
    expect(conf.make.command).toBe(
      `make KVER=6.1.0-56-amd64 ARCH=x86_64 KSRC=/headers/6.1.0-56-amd64 TREE=${root}/var/lib/dkms/foo/1.0/build`,
    );
    expect(conf.scripts.postBuild).toBe('say "hi" $HOME');
    expect(conf.scripts.preBuild).toBe('line1\nline2');
  });

  it('is not disturbed by what the file prints, on stdout or stderr', async () => {
    const file = await writeConf(
      'noisy',
      `echo PACKAGE_NAME=evil\nprintf 'V\\0PACKAGE_NAME\\x000\\0evil\\0'\necho "note: noisy" >&2\n${minimal}`,
    );
    const conf = await read(file);
    expect(conf.packageName).toBe('foo');
    expect(conf.warnings).toContain(`${file}: note: noisy`);
  });

  it('reads a CRLF file', async () => {
    const file = await writeConf(
      'crlf',
      'PACKAGE_NAME="foo"\r\nPACKAGE_VERSION="1.0"\r\nif [ -n "$kernelver" ]; then\r\n  DEST_MODULE_LOCATION[0]="/extra"\r\nfi\r\n',
    );
    const conf = await read(file);
    expect([conf.packageName, conf.packageVersion, conf.modules[0]?.rawDestLocation]).toEqual([
      'foo',
      '1.0',
      '/extra',
    ]);
  });

  it('evaluates MAKE_MATCH, PATCH_MATCH and BUILD_EXCLUSIVE_* with bash regexes', async () => {
    const file = await writeConf(
      'match',
      `${minimal}MAKE[0]="make old"\nMAKE_MATCH[0]="^5"\nMAKE[1]="make new"\nMAKE_MATCH[1]="^[[:digit:]]+\\.1\\."\nPATCH[0]=a.patch\nPATCH_MATCH[0]="rt"\nPATCH[1]=b.patch\nBUILD_EXCLUSIVE_KERNEL="^6\\.(1|2)\\."\nBUILD_EXCLUSIVE_ARCH="x86_64|i.86"\n`,
    );
    const conf = await read(file);
    expect(conf.make).toEqual({ command: 'make new', index: 1 });
    expect(conf.patches).toEqual(['b.patch']);
    expect(conf.exclusion).toBeUndefined();
    const excluded = await read(file, { arch: 'aarch64' });
    expect(excluded.exclusion?.directive).toBe('BUILD_EXCLUSIVE_ARCH');
  });

  it('applies /etc/dkms overrides in dkms order, then --directive', async () => {
    const file = await writeConf('over', `${minimal}MAKE[0]="make base"\nHELPER=from-main\n`);
    const etc = path.join(root, 'etc/dkms');
    await mkdir(etc, { recursive: true });
    await writeFile(path.join(etc, 'foo.conf'), 'MAKE[0]="$MAKE m"\nPOST_INSTALL="helper=$HELPER"\n');
    await writeFile(path.join(etc, 'foo-1.0.conf'), 'MAKE[0]="${MAKE[0]} mv"\n');
    await writeFile(path.join(etc, 'foo-1.0-6.1.0-56-amd64.conf'), 'MAKE[0]="${MAKE[0]} mvk"\n');
    await writeFile(
      path.join(etc, 'foo-1.0-6.1.0-56-amd64-x86_64.conf'),
      'MAKE[0]="${MAKE[0]} mvka"\nAUTOINSTALL=no\n',
    );
    const conf = await read(file, {
      directives: [parseDirectiveOverride('AUTOINSTALL=yes'), parseDirectiveOverride('PATCH[2]=x.patch')],
    });
    expect(conf.make.command).toBe('make base m mv mvk mvka');
    // As with dkms's safe_source, only directives carry from one file to the next.
    expect(conf.scripts.postInstall).toBe('helper=');
    expect(conf.autoinstall).toBe(true);
    expect(conf.patches).toEqual(['x.patch']);
    expect(conf.sourced).toHaveLength(5);
    await rm(etc, { recursive: true });
  });

  it('learns name and version from the file when the module is not registered', async () => {
    const file = await writeConf(
      'selfname',
      'PACKAGE_NAME=bar\nPACKAGE_VERSION=2.0\nBUILT_MODULE_NAME[0]="${module:-unset}"\nDEST_MODULE_LOCATION[0]=/extra\n',
    );
    const conf = await read(file);
    expect(conf.modules[0]?.builtName).toBe('bar');
    const registered = await read(file, { module: { name: 'reg', version: '9' } });
    expect(registered.modules[0]?.builtName).toBe('reg');
  });

  it('fails with exit 8 when the file calls exit, naming the file and status', async () => {
    const file = await writeConf('exits', `${minimal}exit 3\n`);
    const error = await readError(file);
    expect(error.code).toBe('CONF_FAILED');
    expect(error.exitCode).toBe(8);
    expect(error.message).toBe(`${file}: exited with status 3 before its end when sourced by bash`);
    expect((await readError(await writeConf('exits0', `exit 0\n${minimal}`))).message).toContain(
      'exited with status 0',
    );
  });

  it('fails within the timeout when the file never finishes, and leaves no process behind', async () => {
    const file = await writeConf('hangs', `${minimal}sleep 1000 >&2 &\nwhile :; do :; done\n`);
    const started = Date.now();
    const error = await readError(file, { timeoutMs: 1000 });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(error.message).toBe(`${file}: did not finish within 1 s when sourced by bash`);
  });

  it('does not wait for background children that hold stderr open', async () => {
    const file = await writeConf('bg', `${minimal}( sleep 1000 >&2 & )\n`);
    const started = Date.now();
    expect((await read(file)).packageName).toBe('foo');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('reports a missing dkms.conf with exit 4', async () => {
    const error = await readError(path.join(root, 'nowhere/dkms.conf'));
    expect([error.code, error.exitCode]).toEqual(['CONF_NOT_FOUND', 4]);
    expect(error.message).toContain('nowhere/dkms.conf does not exist');
  });

  it('rejects bad --directive arguments', () => {
    expect(() => parseDirectiveOverride('nonsense')).toThrow('expected NAME=value or NAME[index]=value');
    expect(() => parseDirectiveOverride('FOO=1')).toThrow('FOO is not a dkms.conf directive');
    expect(parseDirectiveOverride('MAKE[3]=make a=b')).toEqual({ name: 'MAKE', index: 3, value: 'make a=b' });
  });
});
