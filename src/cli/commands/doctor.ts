import type { Command } from 'commander';
import { createColors } from 'picocolors';
import { hasProblem } from '../../commands/doctor-checks.ts';
import { readDoctorFindings, type DoctorFinding } from '../../commands/doctor.ts';
import { exitCodes } from '../../errors.ts';
import { defineAction, type Dispatch } from '../command.ts';
import type { Io } from '../io.ts';
import { writeJson } from '../render.ts';

/** One finding in `--json` output. */
export function doctorRecord(f: DoctorFinding) {
  return {
    type: 'doctor' as const,
    check: f.check,
    severity: f.severity,
    summary: f.summary,
    action: f.action ?? null,
    path: f.path ?? null,
  };
}

const labelWidth = 'problem'.length + 2;
const checkWidth = 'secure-boot'.length + 2;

/** A finding as text: severity, check and summary on one line, then what to do under it. */
export function formatDoctorFinding(f: DoctorFinding, color: boolean): string {
  const pc = createColors(color);
  const paint = f.severity === 'problem' ? pc.red : f.severity === 'warning' ? pc.yellow : pc.green;
  const line = `${paint(f.severity.padEnd(labelWidth))}${f.check.padEnd(checkWidth)}${f.summary}\n`;
  if (f.action === undefined) return line;
  return `${line}${' '.repeat(labelWidth + checkWidth)}${pc.dim('do this:')} ${f.action}\n`;
}

export function formatDoctorSummary(findings: readonly DoctorFinding[]): string {
  const count = (severity: DoctorFinding['severity']): number =>
    findings.filter((f) => f.severity === severity).length;
  const [problems, warnings] = [count('problem'), count('warning')];
  if (problems === 0 && warnings === 0) return 'No problems found.\n';
  return `${problems} problem${problems === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}.\n`;
}

/** `kmodforge doctor`: checks what commonly goes wrong and says what to do about each. */
export function registerDoctor(program: Command, io: Io, dispatch: Dispatch): void {
  const command = program
    .command('doctor')
    .description(
      'check headers, compilers, Secure Boot, the state tree, installed modules and locks; say what to do',
    );
  defineAction<[]>(command, io, dispatch, async ({ options, ctx }) => {
    const findings = await readDoctorFindings(ctx);
    if (options.json) {
      for (const f of findings) writeJson(io, doctorRecord(f));
    } else {
      // --quiet keeps what needs doing.
      for (const f of findings)
        if (!options.quiet || f.severity !== 'ok') io.out(formatDoctorFinding(f, io.color));
      if (!options.quiet) io.out(formatDoctorSummary(findings));
    }
    return hasProblem(findings) ? exitCodes.DOCTOR_PROBLEM : 0;
  });
}
