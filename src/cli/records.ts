import type { CommandPlan } from '../commands/command-plan.ts';
import type { AddResult } from '../commands/add.ts';
import type { AutoinstallResult } from '../commands/autoinstall.ts';
import type { GenerateMokResult } from '../commands/generate-mok.ts';
import type { MksrpmResult } from '../commands/mksrpm.ts';
import type { RemoveMode, RemoveOutcome } from '../commands/remove.ts';
import type { InstallOutcome } from '../commands/install.ts';
import type { LoadResult } from '../commands/tarball.ts';
import type { ResolvedConf } from '../commands/conf.ts';
import type { KmodEvent } from '../context.ts';
import type { outcomeRecord } from './commands/build.ts';
import type { cacheEntryRecord } from './commands/cache.ts';
import type { ClearCacheResult } from '../commands/cache.ts';
import type { doctorRecord } from './commands/doctor.ts';
import type { kernelRecord } from './commands/kernels.ts';
import type { statusRecord, verifyRecord } from './commands/status.ts';
import type { loadRecord, verifyResultRecord } from './commands/verify.ts';

/** An error as data: in an error line and in the outcomes of builds, installs and autoinstalls. */
export interface ErrorData {
  code: string;
  message: string;
  hint: string | null;
  exitCode: number;
}

type BuildData = ReturnType<typeof outcomeRecord>;

/**
 * Every line `--json` prints (NDJSON): the core's events (each with its ISO 8601 time; a build's events
 * name its module, version, kernel and arch), each command's records and results, a dry run's plan, and
 * the final error. One union, so what a script reads is written in one place.
 */
export type OutputLine =
  | (KmodEvent & { time: string })
  | ({ type: 'error' } & ErrorData)
  | ({ type: 'build' } & BuildData)
  | ({ type: 'install' } & Omit<InstallOutcome, 'build' | 'error'> & {
        build: BuildData | null;
        error: ErrorData | null;
      })
  | {
      type: 'autoinstall';
      module: string;
      version: string;
      kernel: string;
      arch: string;
      result: AutoinstallResult;
      missing: string[];
      error: ErrorData | null;
    }
  | ({ type: RemoveMode | 'kernel_prerm' } & RemoveOutcome)
  | { type: 'removed'; module: string; version: string }
  | ({ type: 'result'; command: 'add' } & AddResult)
  | ({ type: 'result'; command: 'generate-mok' } & GenerateMokResult)
  | ({ type: 'result'; command: 'ldtarball' } & LoadResult)
  | ({ type: 'result'; command: 'mksrpm' } & MksrpmResult)
  | ({ type: 'result'; command: 'cache clear' } & ClearCacheResult)
  | ReturnType<typeof cacheEntryRecord>
  | { type: 'result'; command: 'mktarball'; module: string; version: string; file: string }
  | { type: 'rpm' | 'deb'; kernel: string | null; arch: string; name: string; file: string }
  | ({ type: 'plan' } & CommandPlan)
  | ReturnType<typeof statusRecord>
  | ReturnType<typeof verifyRecord>
  | ReturnType<typeof kernelRecord>
  | ReturnType<typeof doctorRecord>
  | ReturnType<typeof loadRecord>
  | ReturnType<typeof verifyResultRecord>
  | (ResolvedConf['conf'] & { buildDir: string });
