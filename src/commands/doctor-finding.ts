/** A finding of `kmodforge doctor`: what one check found, as data (see doctor-checks.ts). Pure. */

export type DoctorSeverity = 'ok' | 'warning' | 'problem';

export type DoctorCheck = 'root' | 'headers' | 'compiler' | 'secure-boot' | 'state' | 'modules' | 'lock';

export interface DoctorFinding {
  check: DoctorCheck;
  severity: DoctorSeverity;
  /** One line naming the kernel, module or path it is about. */
  summary: string;
  /** What to do about it; undefined for an ok finding. */
  action: string | undefined;
  /** The file or directory it is about, when there is one. */
  path: string | undefined;
}

export function ok(check: DoctorCheck, summary: string, path: string | undefined): DoctorFinding {
  return { check, severity: 'ok', summary, action: undefined, path };
}

/** Worth a look; doctor still exits 0. */
export function warning(
  check: DoctorCheck,
  summary: string,
  action: string,
  path: string | undefined,
): DoctorFinding {
  return { check, severity: 'warning', summary, action, path };
}

/** Something that breaks builds, installs or loading; doctor exits 14. */
export function problem(
  check: DoctorCheck,
  summary: string,
  action: string,
  path: string | undefined,
): DoctorFinding {
  return { check, severity: 'problem', summary, action, path };
}
