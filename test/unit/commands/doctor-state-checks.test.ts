import { describe, expect, it } from 'vitest';
import {
  planModuleFindings,
  planStateFindings,
  type JournalFacts,
  type StateFacts,
  type VersionFacts,
} from '../../../src/commands/doctor-state-checks.ts';
import type { VerifyFinding } from '../../../src/commands/status.ts';

const version: VersionFacts = {
  module: 'hello',
  version: '1.0',
  broken: false,
  sourceLink: '/var/lib/dkms/hello/1.0/source',
  sourceTarget: '/usr/src/hello-1.0',
  hasConf: true,
  builds: [{ kernel: '6.1.0-56-amd64', arch: 'x86_64', installed: true }],
};

function state(overrides: Partial<StateFacts> = {}): StateFacts {
  return {
    dkmsTree: '/var/lib/dkms',
    treeExists: true,
    versions: [version],
    kernelLinks: [],
    workDirs: [],
    sharedBuilds: [],
    journal: { kind: 'none' },
    ...overrides,
  };
}

describe('planStateFindings', () => {
  it('is one ok line for a consistent tree', () => {
    expect(planStateFindings(state(), [])).toEqual([
      {
        check: 'state',
        severity: 'ok',
        summary: '/var/lib/dkms: 1 module version added, nothing inconsistent',
        action: undefined,
        path: '/var/lib/dkms',
      },
    ]);
  });

  it('is one warning when the tree does not exist, saying what makes it', () => {
    expect(planStateFindings(state({ treeExists: false, versions: [] }), [])).toEqual([
      {
        check: 'state',
        severity: 'warning',
        summary: '/var/lib/dkms does not exist: no module has been added on this system',
        action:
          'if modules should be there, point --dkmstree (or dkms_tree in framework.conf) at the state tree; otherwise kmodforge add creates it',
        path: '/var/lib/dkms',
      },
    ]);
  });

  it('finds a broken source link and a missing dkms.conf', () => {
    const findings = planStateFindings(
      state({
        versions: [
          { ...version, broken: true, builds: [] },
          { ...version, module: 'other', sourceLink: '/var/lib/dkms/other/1.0/source', hasConf: false },
        ],
      }),
      [],
    );
    expect(findings.map((f) => [f.severity, f.path])).toEqual([
      ['problem', '/var/lib/dkms/hello/1.0/source'],
      ['problem', '/var/lib/dkms/other/1.0/source/dkms.conf'],
    ]);
    expect(findings[0]?.summary).toMatch('leads to /usr/src/hello-1.0, which is missing');
    expect(findings[0]?.action).toMatch('put the source back at /usr/src/hello-1.0');
    expect(findings[1]?.summary).toMatch('1 build depends on it');
    expect(findings[1]?.action).toMatch('restore /usr/src/hello-1.0/dkms.conf');
  });

  it('finds a kernel link to a missing build, and says how to redo it or remove it', () => {
    const link = {
      module: 'hello',
      link: '/var/lib/dkms/hello/kernel-6.1.0-56-amd64-x86_64',
      kernel: '6.1.0-56-amd64',
      arch: 'x86_64',
      target: '1.0/6.1.0-56-amd64/x86_64',
      built: false,
    };
    const [added] = planStateFindings(state({ kernelLinks: [link] }), []);
    expect(added).toMatchObject({
      severity: 'problem',
      action: 'build and install it again: kmodforge install --force hello/1.0 -k 6.1.0-56-amd64/x86_64',
    });
    const [gone] = planStateFindings(state({ versions: [], kernelLinks: [link] }), []);
    expect(gone?.action).toMatch(`rm ${link.link}`);
    expect(planStateFindings(state({ kernelLinks: [{ ...link, built: true }] }), [])[0]?.severity).toBe('ok');
  });

  it('says to remove what a failed build left only while no kmodforge holds the lock', () => {
    const work = {
      module: 'hello',
      version: '1.0',
      dir: '/var/lib/dkms/hello/1.0/.kmodforge-build/6.1.0-56-amd64-x86_64',
      log: '/var/lib/dkms/hello/1.0/.kmodforge-build/6.1.0-56-amd64-x86_64/make.log',
    };
    const [idle] = planStateFindings(state({ workDirs: [work] }), []);
    expect(idle).toMatchObject({ severity: 'warning', action: `read ${work.log}, then rm -rf ${work.dir}` });
    const busy = planStateFindings(state({ workDirs: [work] }), [{ pid: 9, command: undefined }]);
    expect(busy.map((f) => f.severity)).toEqual(['ok', 'ok']);
    expect(busy[1]?.summary).toMatch('most likely in progress (pid 9 holds the lock)');
  });

  it("finds a failed dkms build's files", () => {
    const dir = '/var/lib/dkms/hello/1.0/build';
    const [finding] = planStateFindings(
      state({ sharedBuilds: [{ module: 'hello', version: '1.0', dir, log: undefined }] }),
      [],
    );
    expect(finding).toMatchObject({
      severity: 'warning',
      action: `when no dkms is running, empty it: find ${dir} -mindepth 1 -delete`,
    });
  });

  it('reports a journal: recoverable, in progress, or unreadable', () => {
    const file = '/var/lib/dkms/.kmodforge-journal';
    const readable: JournalFacts = {
      kind: 'readable',
      file,
      command: 'install hello/1.0',
      state: 'applying',
      kernels: ['6.1.0-56-amd64'],
    };
    const [interrupted] = planStateFindings(state({ journal: readable }), []);
    expect(interrupted?.severity).toBe('warning');
    expect(interrupted?.action).toMatch('rolls back');
    expect(
      planStateFindings(state({ journal: { ...readable, state: 'committing' } }), [])[0]?.action,
    ).toMatch('completes');
    const busy = planStateFindings(state({ journal: readable }), [{ pid: 3, command: undefined }]);
    expect(busy.map((f) => f.severity)).toEqual(['ok', 'ok']);
    expect(busy[1]?.summary).toMatch(
      'install hello/1.0 for 6.1.0-56-amd64 in progress (pid 3 holds the lock)',
    );
    const [broken] = planStateFindings(
      state({
        journal: { kind: 'unreadable', file, message: 'not a journal', hint: 'check, then remove it' },
      }),
      [],
    );
    expect(broken).toMatchObject({ severity: 'problem', action: 'check, then remove it' });
  });
});

describe('planModuleFindings', () => {
  const finding = (kind: VerifyFinding['kind']): VerifyFinding => ({
    module: 'hello',
    version: '1.0',
    kernel: '6.1.0-56-amd64',
    arch: 'x86_64',
    name: 'hello',
    kind,
    file: '/lib/modules/6.1.0-56-amd64/updates/dkms/hello.ko',
    detail: `${kind} detail`,
  });

  it('is one ok line when every module is the built one', () => {
    expect(planModuleFindings({ checked: 2, findings: [] })).toEqual([
      expect.objectContaining({
        severity: 'ok',
        summary: '2 installed builds: every module is the one built',
      }),
    ]);
  });

  it('makes a module copied by hand a problem, and another compression a warning', () => {
    const findings = planModuleFindings({
      checked: 1,
      findings: [finding('differs'), finding('recompressed'), finding('vermagic')],
    });
    expect(findings.map((f) => f.severity)).toEqual(['problem', 'warning', 'problem']);
    expect(findings[0]?.summary).toMatch('is not the module kmodforge built');
    for (const f of findings)
      expect(f.action).toMatch('kmodforge install --force hello/1.0 -k 6.1.0-56-amd64/x86_64');
  });
});
