import type { Command } from 'commander';
import { resolveConfs, type ResolvedConf } from '../../commands/conf.ts';
import { parseKernelTargets } from '../../kernel/target.ts';
import { defineAction, type Dispatch } from '../command.ts';
import type { Io } from '../io.ts';
import { writeJson } from '../render.ts';
import { addCommandOptions } from '../global-options.ts';

function formatConf({ conf, buildDir }: ResolvedConf): string {
  const lines = [
    `${conf.packageName}/${conf.packageVersion} for ${conf.kernel} (${conf.arch}), from ${conf.sourced.join(', ')}`,
    `  build directory: ${buildDir}`,
  ];
  lines.push('  modules:');
  for (const m of conf.modules) {
    const dest = `${m.destLocation}/${m.destName}.ko`;
    const raw = m.destLocation === m.rawDestLocation ? '' : ` (DEST_MODULE_LOCATION ${m.rawDestLocation})`;
    lines.push(
      `    #${m.index} ${m.builtLocation}${m.builtName}.ko -> ${dest}${raw}${m.strip ? '' : ', not stripped'}`,
    );
  }
  lines.push(
    `  make: ${conf.make.command}${conf.make.index === undefined ? ' (default)' : ` (MAKE[${conf.make.index}])`}`,
  );
  if (conf.patches.length > 0) lines.push(`  patches: ${conf.patches.join(' ')}`);
  const scripts = Object.entries(conf.scripts).filter(([, v]) => v !== undefined);
  for (const [name, script] of scripts) lines.push(`  ${name}: ${script ?? ''}`);
  lines.push(`  autoinstall: ${conf.autoinstall ? 'yes' : 'no'}`);
  if (conf.buildDepends.length > 0) lines.push(`  build depends: ${conf.buildDepends.join(' ')}`);
  lines.push(`  build: ${conf.exclusion === undefined ? 'yes' : `excluded, ${conf.exclusion.reason}`}`);
  for (const w of conf.warnings) lines.push(`  warning: ${w}`);
  return `${lines.join('\n')}\n`;
}

export function registerConf(program: Command, io: Io, dispatch: Dispatch): void {
  const command = program
    .command('conf')
    .description('print a dkms.conf resolved for each kernel (every kernel with headers unless -k)')
    .argument('<source>', 'a module source directory or its dkms.conf');
  addCommandOptions(command, ['kernel', 'arch', 'directive', 'kernelSourceDir']);
  defineAction<[string]>(command, io, dispatch, async ({ options, ctx }, source) => {
    const confs = await resolveConfs(ctx, {
      target: source,
      kernels: parseKernelTargets(options.kernels, options.arches, ctx.hostArch, ctx.config.flavorRules),
      directives: options.directives,
    });
    for (const resolved of confs) {
      if (options.json) writeJson(io, { ...resolved.conf, buildDir: resolved.buildDir });
      else io.out(formatConf(resolved));
    }
    return 0;
  });
}
