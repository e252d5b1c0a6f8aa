/**
 * Writes the man pages and bash completions of kmodforge and its `dkms` front end into a directory:
 * `npx tsx scripts/docs.ts <outdir>` (make install and the packages call it). Everything about commands
 * and options comes from the command table (as --help shows it) and the dkms grammar.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildProgram } from '../src/cli/program.ts';
import { dkmsActions, dkmsOptions, dkmsVersion } from '../src/cli/dkms/grammar.ts';
import { formatBashCompletion } from '../src/cli/docs/completion.ts';
import { describeProgram } from '../src/cli/docs/describe-program.ts';
import { planDkmsCompletion } from '../src/cli/docs/dkms-completion.ts';
import { planDkmsManPage } from '../src/cli/docs/dkms-man.ts';
import { planKmodforgeCompletion } from '../src/cli/docs/kmodforge-completion.ts';
import { planKmodforgeManPage } from '../src/cli/docs/kmodforge-man.ts';
import { formatManPage } from '../src/cli/docs/man-page.ts';
import { version } from '../src/cli/version.ts';

const generatedBy = 'scripts/docs.ts';

/** The four files, by name. */
export async function renderDocs(): Promise<Record<string, string>> {
  const silent = { out: () => undefined, err: () => undefined, color: false };
  const program = describeProgram(await buildProgram(silent, { result: undefined }));
  const grammar = { actions: dkmsActions, options: dkmsOptions, dkmsVersion };
  return {
    'kmodforge.1': formatManPage(planKmodforgeManPage(program, version), generatedBy),
    'dkms.8': formatManPage(planDkmsManPage(grammar, version), generatedBy),
    'kmodforge.bash': formatBashCompletion(planKmodforgeCompletion(program), generatedBy),
    'dkms.bash': formatBashCompletion(planDkmsCompletion(grammar), generatedBy),
  };
}

export async function writeDocs(outDir: string): Promise<void> {
  await mkdir(outDir, { recursive: true });
  for (const [name, text] of Object.entries(await renderDocs())) {
    await writeFile(path.join(outDir, name), text);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const outDir = process.argv[2];
  if (outDir === undefined || process.argv.length > 3) {
    process.stderr.write('usage: npx tsx scripts/docs.ts <outdir>\n');
    process.exit(2);
  }
  await writeDocs(outDir);
}
