/**
 * `kmodforge doctor`'s judgement of the dkms state tree and of the installed modules, from facts read by
 * src/commands/doctor.ts. Pure.
 */
import type { BuiltEntry } from '../state/read-state.ts';
import type { VerifyFinding } from './status.ts';
import { ok, problem, warning, type DoctorFinding } from './doctor-finding.ts';
import type { LockHolder } from './doctor-checks.ts';

export interface VersionFacts {
  module: string;
  version: string;
  /** dkms's "broken": the source link leads nowhere. */
  broken: boolean;
  /** <dkmsTree>/M/V/source. */
  sourceLink: string;
  /** Where the link leads, as written; undefined for a directory in its place. */
  sourceTarget: string | undefined;
  /** <source>/dkms.conf exists. */
  hasConf: boolean;
  builds: BuiltEntry[];
}

/** A `<dkmsTree>/M/kernel-K-A` link: the mark that M is installed for K/A. */
export interface KernelLinkFacts {
  module: string;
  link: string;
  kernel: string;
  arch: string;
  /** Its target as written ("V/K/A"). */
  target: string;
  /** The target holds a build (a module/ directory). */
  built: boolean;
}

/** A directory a failed build left: kmodforge's `.kmodforge-build/<K>-<A>`, or dkms's non-empty `build/`. */
export interface LeftoverDir {
  module: string;
  version: string;
  dir: string;
  /** Its make.log, when it has one. */
  log: string | undefined;
}

export type JournalFacts =
  | { kind: 'none' }
  | { kind: 'readable'; file: string; command: string; state: 'applying' | 'committing'; kernels: string[] }
  | { kind: 'unreadable'; file: string; message: string; hint: string | undefined };

export interface StateFacts {
  dkmsTree: string;
  /** The dkms tree is a directory (the package makes it; so does the first add). */
  treeExists: boolean;
  versions: VersionFacts[];
  kernelLinks: KernelLinkFacts[];
  workDirs: LeftoverDir[];
  sharedBuilds: LeftoverDir[];
  journal: JournalFacts;
}

export interface ModuleFacts {
  /** Installed builds compared (each one's modules against the built files). */
  checked: number;
  /** What `status --verify` found. */
  findings: VerifyFinding[];
}

/**
 * What is wrong in the state tree: broken source links, sources without dkms.conf, kernel-K-A links to
 * builds that are gone, what failed builds left, an unfinished journal. While a kmodforge holds the lock,
 * a build directory or journal is most likely its work in progress, so it is reported as such.
 */
export function planStateFindings(state: StateFacts, holders: readonly LockHolder[]): DoctorFinding[] {
  if (!state.treeExists) {
    return [
      warning(
        'state',
        `${state.dkmsTree} does not exist: no module has been added on this system`,
        `if modules should be there, point --dkmstree (or dkms_tree in framework.conf) at the state tree; otherwise kmodforge add creates it`,
        state.dkmsTree,
      ),
    ];
  }
  const findings: DoctorFinding[] = [];
  const busy = holders.length === 0 ? undefined : holders.map((h) => `pid ${h.pid}`).join(', ');
  for (const v of state.versions) {
    const id = `${v.module}/${v.version}`;
    if (v.broken) {
      findings.push(
        problem(
          'state',
          `${id}: its source link ${v.sourceLink} leads ${v.sourceTarget === undefined ? 'nowhere' : `to ${v.sourceTarget}, which is missing`}`,
          `put the source back${v.sourceTarget === undefined ? '' : ` at ${v.sourceTarget}`} (reinstall the package that ships it); kmodforge cannot build, uninstall or remove ${id} without it`,
          v.sourceLink,
        ),
      );
    } else if (!v.hasConf) {
      const conf = `${v.sourceLink}/dkms.conf`;
      findings.push(
        problem(
          'state',
          `${id}: ${conf} is missing${v.builds.length === 0 ? '' : `, and ${v.builds.length} build${v.builds.length === 1 ? ' depends' : 's depend'} on it`}`,
          `restore ${v.sourceTarget === undefined ? conf : `${v.sourceTarget}/dkms.conf`} (reinstall the package that ships the source); kmodforge cannot build, uninstall or remove ${id} without it`,
          conf,
        ),
      );
    }
  }
  const added = new Set(state.versions.filter((v) => !v.broken).map((v) => `${v.module}/${v.version}`));
  for (const l of state.kernelLinks) {
    if (l.built) continue;
    const version = l.target.split('/')[0] ?? '';
    const id = `${l.module}/${version}`;
    findings.push(
      problem(
        'state',
        `${l.module}: ${l.link} marks it installed for ${l.kernel} (${l.arch}), but ${l.target} has no build`,
        added.has(id)
          ? `build and install it again: kmodforge install --force ${id} -k ${l.kernel}/${l.arch}`
          : `${id} is not added: remove the link (rm ${l.link}) and the module files it installed under the kernel's updates/ tree`,
        l.link,
      ),
    );
  }
  for (const d of state.workDirs) {
    const id = `${d.module}/${d.version}`;
    if (busy !== undefined) {
      findings.push(
        ok('state', `${d.dir}: a build of ${id}, most likely in progress (${busy} holds the lock)`, d.dir),
      );
      continue;
    }
    findings.push(
      warning(
        'state',
        `${d.dir}: a failed build of ${id} left its directory`,
        `${d.log === undefined ? '' : `read ${d.log}, then `}rm -rf ${d.dir}`,
        d.dir,
      ),
    );
  }
  for (const d of state.sharedBuilds) {
    findings.push(
      warning(
        'state',
        `${d.dir}: a failed dkms build of ${d.module}/${d.version} left its files`,
        `${d.log === undefined ? '' : `read ${d.log}, then `}when no dkms is running, empty it: find ${d.dir} -mindepth 1 -delete`,
        d.dir,
      ),
    );
  }
  findings.push(...planJournalFindings(state.journal, busy));
  if (findings.every((f) => f.severity === 'ok')) {
    const count = state.versions.length;
    findings.unshift(
      ok(
        'state',
        `${state.dkmsTree}: ${count} module version${count === 1 ? '' : 's'} added, nothing inconsistent`,
        state.dkmsTree,
      ),
    );
  }
  return findings;
}

function planJournalFindings(journal: JournalFacts, busy: string | undefined): DoctorFinding[] {
  switch (journal.kind) {
    case 'none':
      return [];
    case 'unreadable':
      return [
        problem(
          'state',
          `${journal.file}: ${journal.message}`,
          journal.hint ?? `check the module trees, then remove ${journal.file}`,
          journal.file,
        ),
      ];
    case 'readable': {
      const kernels = journal.kernels.length === 0 ? '' : ` for ${journal.kernels.join(', ')}`;
      if (busy !== undefined)
        return [
          ok(
            'state',
            `${journal.file}: ${journal.command}${kernels} in progress (${busy} holds the lock)`,
            journal.file,
          ),
        ];
      return [
        warning(
          'state',
          `${journal.file}: an interrupted ${journal.command}${kernels} left its journal`,
          `run kmodforge status: it ${journal.state === 'committing' ? 'completes' : 'rolls back'} the transaction (so does any command that changes the state)`,
          journal.file,
        ),
      ];
    }
  }
}

/** What `status --verify` found, as doctor findings: a module file that is not the one we built and installed. */
export function planModuleFindings(modules: ModuleFacts): DoctorFinding[] {
  if (modules.findings.length === 0) {
    return [
      ok(
        'modules',
        `${modules.checked} installed build${modules.checked === 1 ? '' : 's'}: every module is the one built`,
        undefined,
      ),
    ];
  }
  return modules.findings.map((f) => {
    const reinstall = `kmodforge install --force ${f.module}/${f.version} -k ${f.kernel}/${f.arch}`;
    const where = `${f.module}/${f.version}, ${f.kernel} (${f.arch})`;
    switch (f.kind) {
      case 'differs':
        return problem(
          'modules',
          `${where}: ${f.file} is not the module kmodforge built (copied over it by hand?)`,
          `put the built one back: ${reinstall}`,
          f.file,
        );
      case 'recompressed':
        return warning(
          'modules',
          `${where}: ${f.detail}`,
          `harmless; to have the exact file back: ${reinstall}`,
          f.file,
        );
      case 'not-installed':
      case 'vermagic':
      case 'unreadable':
        return problem(
          'modules',
          `${where}: ${f.detail}`,
          `build and install it again: ${reinstall}`,
          f.file,
        );
    }
  });
}
