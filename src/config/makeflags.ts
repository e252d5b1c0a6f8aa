/**
 * The job count a MAKEFLAGS asks for ("-j4", "-j 4", "--jobs=4", as make writes it or a user sets it), so
 * that `make -j4` in a Makefile that runs kmodforge, or MAKEFLAGS=-j4 in the environment, sets its budget
 * as it would make's. Undefined for none, or for a bare -j (no limit is not a budget).
 */
export function parseMakeflagsJobs(makeflags: string | undefined): number | undefined {
  if (makeflags === undefined) return undefined;
  const words = makeflags.trim().split(/\s+/);
  let jobs: number | undefined;
  for (const [i, word] of words.entries()) {
    const value = /^(?:-j|--jobs=)(\d*)$/.exec(word)?.[1] ?? (word === '--jobs' ? '' : undefined);
    if (value === undefined) continue;
    const count = value === '' ? words[i + 1] : value;
    // The last -j wins, as in make.
    jobs = count !== undefined && /^\d+$/.test(count) && Number(count) > 0 ? Number(count) : undefined;
  }
  return jobs;
}
