import type { Command } from 'commander';
import type { Dispatch } from './command.ts';
import type { Io } from './io.ts';

/** Adds one module's commands to the program. */
export type Register = (program: Command, io: Io, dispatch: Dispatch) => void;

/** A module of src/cli/commands/ and the names (with aliases) of the commands it registers. */
export interface CommandEntry {
  names: readonly string[];
  load: () => Promise<Register>;
}

const removeEntry = (mode: 'uninstall' | 'unbuild' | 'remove'): CommandEntry => ({
  names: [mode],
  load: async () => {
    const { registerRemove } = await import('./commands/remove.ts');
    return (program, io, dispatch) => {
      registerRemove(program, io, dispatch, mode);
    };
  },
});

/**
 * Every command, in the order --help lists them. Each is imported only when registered, so that a run
 * loads the code of the command it runs and no other (test/unit/cli/command-table.test.ts checks the
 * names against what each module registers).
 */
export const commandTable: readonly CommandEntry[] = [
  { names: ['kernels'], load: async () => (await import('./commands/kernels.ts')).registerKernels },
  { names: ['conf'], load: async () => (await import('./commands/conf.ts')).registerConf },
  { names: ['add'], load: async () => (await import('./commands/add.ts')).registerAdd },
  { names: ['build'], load: async () => (await import('./commands/build.ts')).registerBuild },
  { names: ['install'], load: async () => (await import('./commands/install.ts')).registerInstall },
  removeEntry('uninstall'),
  removeEntry('unbuild'),
  removeEntry('remove'),
  {
    names: ['autoinstall', 'kernel_postinst', 'kernel-postinst'],
    load: async () => (await import('./commands/autoinstall.ts')).registerAutoinstall,
  },
  {
    names: ['kernel_prerm', 'kernel-prerm'],
    load: async () => (await import('./commands/kernel-prerm.ts')).registerKernelPrerm,
  },
  { names: ['match'], load: async () => (await import('./commands/match.ts')).registerMatch },
  { names: ['status'], load: async () => (await import('./commands/status.ts')).registerStatus },
  { names: ['verify'], load: async () => (await import('./commands/verify.ts')).registerVerify },
  { names: ['doctor'], load: async () => (await import('./commands/doctor.ts')).registerDoctor },
  {
    names: ['generate-mok', 'generate_mok'],
    load: async () => (await import('./commands/generate-mok.ts')).registerGenerateMok,
  },
  { names: ['mksrpm'], load: async () => (await import('./commands/mksrpm.ts')).registerMksrpm },
  { names: ['mkrpm'], load: async () => (await import('./commands/mkrpm.ts')).registerMkrpm },
  { names: ['mkdeb'], load: async () => (await import('./commands/mkdeb.ts')).registerMkdeb },
  { names: ['mkkernel'], load: async () => (await import('./commands/mkkernel.ts')).registerMkkernel },
  {
    names: ['mktarball', 'ldtarball'],
    load: async () => (await import('./commands/tarball.ts')).registerTarballs,
  },
  { names: ['cache'], load: async () => (await import('./commands/cache.ts')).registerCache },
];
