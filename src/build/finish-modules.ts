import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import type { KmodEvent } from '../context.ts';
import { lastLines, describeEnd } from '../exec/run.ts';
import { quoteCommand } from '../exec/quote.ts';
import { appendSkippedStep, planErrorExcerpt } from './build-log.ts';
import type { BuildPlan } from './build-plan.ts';
import { failure, runLoggedCommand } from './build-steps.ts';
import { compressionSuffix, planCompressCommand } from './postprocess.ts';
import { makeDirs } from '../state/fs.ts';

export interface FinishedModule {
  destName: string;
  /** The module file as it goes into K/A/module/: named <dest>.ko[.xz|.zst|.gz]. */
  file: string;
  signed: boolean;
}

/**
 * Makes the built modules what the kernel expects, in the kernel's order: strip (STRIP[]), sign with the
 * kernel's hash, compress as the kernel compresses its own. A signing failure leaves the module unsigned
 * with a warning naming the command and the reason, or fails the build when signatures are required.
 */
export async function finishModules(
  plan: BuildPlan,
  step: (name: string) => void,
  emit: (e: KmodEvent) => void,
): Promise<FinishedModule[]> {
  const finished: FinishedModule[] = [];
  const strip = plan.kernel.config?.compiler.clang === true ? 'llvm-strip' : 'strip';
  // Steps this kernel does not take are logged too, so that make.log says why a module is as it is.
  if (plan.signing.kind !== 'sign') await appendSkippedStep(plan.logFile, 'signing', plan.signing.reason);
  if (plan.compression === 'none')
    await appendSkippedStep(
      plan.logFile,
      'compressing',
      `kernel ${plan.kernel.release} does not compress its modules`,
    );
  if (plan.signing.kind === 'unavailable') {
    emit({
      type: 'warning',
      message: `${plan.module}/${plan.version} for ${plan.kernel.release}: modules left unsigned: ${plan.signing.reason}`,
    });
  }
  for (const m of plan.modules) {
    // A copy under the dest name (compression names the file as it is installed), apart from the build
    // tree, where another module may be built under that name.
    const file = path.join(plan.workDir, 'finished', String(m.index), `${m.destName}.ko`);
    await makeDirs(path.dirname(file));
    await copyFile(m.builtFile, file);
    if (m.strip) {
      step(`stripping ${m.destName}.ko`);
      const result = await runLoggedCommand(plan, `stripping ${m.destName}`, [strip, '-g', file]);
      if (result.exitCode !== 0)
        throw failure(plan, 'BUILD_FAILED', `${strip} -g ${file} failed:\n${planErrorExcerpt(result.all)}`);
    }
    let signed = false;
    if (plan.signing.kind === 'sign') {
      const { signFile, hash, key, certificate } = plan.signing;
      const argv = [signFile, hash, key, certificate, file];
      step(`signing ${m.destName}.ko`);
      const result = await runLoggedCommand(plan, `signing ${m.destName}`, argv);
      if (result.exitCode === 0 && !result.timedOut) signed = true;
      else {
        const reason = `${quoteCommand(argv)} failed (${describeEnd(result)})${result.all.trim() === '' ? '' : `: ${lastLines(result.all, 5)}`}`;
        if (plan.signing.require)
          throw failure(plan, 'SIGN_FAILED', `signing ${m.destName}.ko failed: ${reason}`);
        emit({
          type: 'warning',
          message: `${plan.module}/${plan.version} for ${plan.kernel.release}: ${m.destName}.ko left unsigned: ${reason}`,
        });
      }
    }
    const compress = planCompressCommand(plan.compression, file, plan.compressionOptions);
    if (compress !== undefined) {
      step(`compressing ${m.destName}.ko`);
      const result = await runLoggedCommand(plan, `compressing ${m.destName}`, compress);
      if (result.exitCode !== 0)
        throw failure(
          plan,
          'BUILD_FAILED',
          `${quoteCommand(compress)} failed:\n${planErrorExcerpt(result.all)}`,
        );
    }
    finished.push({ destName: m.destName, file: `${file}${compressionSuffix(plan.compression)}`, signed });
  }
  return finished;
}
