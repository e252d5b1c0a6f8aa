import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { addModule } from '../../../commands/add.ts';
import type { ModuleSpec } from '../../../commands/module-arg.ts';
import { withMutation } from '../../../commands/mutation.ts';
import { KmodError } from '../../../errors.ts';
import type { KernelTarget } from '../../../kernel/target.ts';
import { exists, isDir } from '../../../state/fs.ts';
import { isAdded } from '../../../state/read-state.ts';
import { tree } from '../../../state/tree.ts';
import type { DkmsInvocation } from '../invocation.ts';
import { readDkmsConf } from '../read-dkms-conf.ts';
import { writeRpmSafeUpgradeLock } from '../rpm-safe-upgrade.ts';
import { dkmsDirectives, printPostAdd } from './kernel-run.ts';

/**
 * dkms add (add_module): from an archive as ldtarball, from a source tree (copied to <sourcetree>/M-V, as
 * add_source_tree does), or M/V already in the source tree. dkms's checks come first, in its order and words
 * (its reading of dkms.conf included); then kmodforge's addModule registers the module under the lock.
 */
export async function runDkmsAdd(inv: DkmsInvocation): Promise<number> {
  const { args, ctx, io } = inv;
  let module = args.module ?? '';
  let version = args.moduleVersion ?? '';
  // add_module loads an archive first, as ldtarball does (load_tarball, then add_module).
  if (args.archive !== undefined && module === '' && version === '')
    return (await import('./ldtarball.ts')).runDkmsLdtarball(inv);
  const target: KernelTarget = {
    release: args.kernels[0] ?? ctx.runningKernel,
    arch: args.arches[0] ?? ctx.hostArch,
  };
  let copyFrom: string | undefined;
  if (args.sourceDir !== undefined && module === '' && version === '') {
    const from = await realpath(args.sourceDir).catch(() => undefined);
    if (from === undefined || !(await isFile(path.join(from, 'dkms.conf'))))
      throw new KmodError('CONF_NOT_FOUND', `${args.sourceDir} must contain a dkms.conf file!`, {
        exitCode: 9,
      });
    if (!inv.isRoot) throw new KmodError('NOT_PERMITTED', 'You must be root to use this command.');
    // get_pkginfo_from_conf: read_conf with no module yet, and `$conf` (often empty) in its error.
    const directives = await readDkmsConf(inv, path.join(from, 'dkms.conf'), args.conf ?? '', target);
    module = directives.get('PACKAGE_NAME')?.get(0) ?? '';
    version = directives.get('PACKAGE_VERSION')?.get(0) ?? '';
    if (args.force && (await exists(tree.source(ctx.paths, module, version)))) {
      io.err('\n');
      io.out(`Forcing install of ${module}-${version}\n`);
    }
    copyFrom = from;
  }
  if (module === '' || version === '')
    throw new KmodError(
      'MISSING_ARGS',
      [
        'Arguments <module> and <module-version> are not specified.',
        'Usage: add <module>/<module-version> or',
        '       add -m <module>/<module-version> or',
        '       add -m <module> -v <module-version>',
      ].join('\n'),
    );
  await writeRpmSafeUpgradeLock(inv, module, version);
  if (await isAdded(ctx.paths, module, version))
    throw new KmodError(
      'ALREADY_ADDED',
      `DKMS tree already contains: ${module}-${version}\nYou cannot add the same module/version combo more than once.`,
    );
  const sourceDir = tree.source(ctx.paths, module, version);
  if (copyFrom === undefined && !(await isDir(sourceDir)))
    throw new KmodError(
      'NO_SOURCE_DIR',
      `Could not find module source directory.\nDirectory: ${sourceDir} does not exist.`,
    );
  const conf = args.conf ?? path.join(sourceDir, 'dkms.conf');
  // The source is copied by addModule, under the lock: until then its dkms.conf is the one copied from.
  const readFrom = args.conf ?? path.join(copyFrom ?? sourceDir, 'dkms.conf');
  // dkms reads the copy, by the name `conf`: the deprecation warnings name it.
  await readDkmsConf(inv, readFrom, conf, target, { module, version }, conf);
  const spec: ModuleSpec =
    copyFrom === undefined ? { kind: 'registered', module, version } : { kind: 'source', dir: copyFrom };
  const from = inv.events.length;
  const result = await withMutation(ctx, (locked) =>
    addModule(locked, spec, { target, directives: dkmsDirectives(inv) }),
  );
  io.out(`Creating symlink ${ctx.paths.dkmsTree}/${module}/${version}/source -> ${result.sourceDir}\n`);
  return printPostAdd(io, inv.events.slice(from));
}

async function isFile(file: string): Promise<boolean> {
  return (await exists(file)) && !(await isDir(file));
}
