import { readdir, writeFile, cp } from 'node:fs/promises';
import path from 'node:path';
import { KmodError } from '../../errors.ts';
import { baseEnv, runOrThrow } from '../../exec/run.ts';
import { findOnPath } from '../../exec/which.ts';
import { writeThroughStaging } from '../../state/atomic.ts';
import { copyTree } from '../../state/copy-tree.ts';
import { withTempDir } from '../../state/temp-dir.ts';
import { makeDirs } from '../../state/fs.ts';

/**
 * The rpmbuild defines that make the same inputs and SOURCE_DATE_EPOCH give the same bytes: the build
 * time and file times from SOURCE_DATE_EPOCH (never from the changelog), and a fixed build host.
 */
export function planReproducibleMacros(buildHost: string): string[] {
  return [
    '--define',
    'use_source_date_epoch_as_buildtime 1',
    '--define',
    'clamp_mtime_to_source_date_epoch 1',
    '--define',
    `_buildhost ${buildHost}`,
    '--define',
    'source_date_epoch_from_changelog 0',
  ];
}

/**
 * Builds one binary RPM with rpmbuild from a spec and a staged file tree (becoming %{_sourcedir}/root),
 * in a private _topdir, and moves the result into outDir. Returns the RPM's path.
 */
export async function runRpmbuild(options: {
  spec: string;
  stageDir: string;
  outDir: string;
  arch: string;
  sourceDateEpoch: number;
  timeoutMs?: number;
}): Promise<string> {
  return withTempDir('kmodforge-rpm-', async (top) => {
    const sources = path.join(top, 'SOURCES');
    await makeDirs(sources);
    await copyTree(options.stageDir, path.join(sources, 'root'), { preserveTimestamps: true });
    const specFile = path.join(top, 'package.spec');
    await writeFile(specFile, options.spec);
    const rpms = path.join(top, 'RPMS');
    await runOrThrow(
      'rpmbuild',
      [
        '-bb',
        '--quiet',
        '--define',
        `_topdir ${top}`,
        '--define',
        `_sourcedir ${sources}`,
        '--define',
        `_rpmdir ${rpms}`,
        '--define',
        '_build_name_fmt %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm',
        ...planReproducibleMacros('kmodforge'),
        // kernel-uname-r = 6.1.0-56-amd64 has two "-"; rpm compares it fine but refuses it by default.
        '--define',
        '_wrong_version_format_terminate_build 0',
        ...(options.arch === 'noarch' ? [] : ['--target', options.arch]),
        specFile,
      ],
      {
        env: baseEnv({ SOURCE_DATE_EPOCH: String(options.sourceDateEpoch), HOME: top }),
        timeoutMs: options.timeoutMs ?? 30 * 60 * 1000,
      },
    );
    const [built] = await readdir(rpms);
    if (built === undefined) throw new KmodError('COMMAND_FAILED', 'rpmbuild produced no package');
    const dest = path.join(options.outDir, built);
    await writeThroughStaging(dest, (temp) => cp(path.join(rpms, built), temp, { preserveTimestamps: true }));
    return dest;
  });
}

/** Signs RPMs with a GPG key (rpmsign --addsign); GNUPGHOME chooses the keyring. */
export async function runRpmSign(
  files: readonly string[],
  keyId: string,
  gnupgHome: string | undefined,
): Promise<void> {
  if (files.length === 0) return;
  // Some rpm builds (Debian's) look for gpg2, which newer GnuPG no longer installs.
  const gpg = findOnPath('gpg') ?? findOnPath('gpg2');
  if (gpg === undefined)
    throw new KmodError('COMMAND_FAILED', 'signing packages needs gpg, which is not installed');
  await runOrThrow(
    'rpmsign',
    ['--addsign', '--define', `_gpg_name ${keyId}`, '--define', `__gpg ${gpg}`, ...files],
    {
      env: baseEnv(gnupgHome === undefined ? {} : { GNUPGHOME: gnupgHome }),
      timeoutMs: 10 * 60 * 1000,
    },
  );
}
