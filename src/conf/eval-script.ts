import { quoteShell } from '../exec/quote.ts';
import { directiveNames } from './directives.ts';

/** The variables dkms has in scope when it sources dkms.conf (dkms.in read_conf and its globals). */
export type ConfVariables = Record<
  | 'kernelver'
  | 'arch'
  | 'kernel_source_dir'
  | 'kernel_config'
  | 'module'
  | 'module_version'
  | 'dkms_tree'
  | 'source_tree'
  | 'install_tree'
  | 'tmp_location'
  | 'parallel_jobs'
  | 'running_distribution'
  | 'current_kernel'
  | 'current_os',
  string
>;

/** A `--directive NAME=value` or `NAME[i]=value`, applied after every file, as dkms does. */
export interface DirectiveOverride {
  name: string;
  index: number | undefined;
  value: string;
}

/** A file to source; a CRLF file is sourced with its CRs removed, as bash would misread it otherwise. */
export interface ConfFile {
  path: string;
  crlf: boolean;
}

export const dumpEndMarker = 'KMODFORGE-END';

/**
 * Builds the bash program that sources dkms.conf and its overrides the way dkms's safe_source does: each
 * file in a subshell with stdout discarded, only the directive variables carried from one file to the
 * next (through `stateFile`, which must be in a directory only we can write); then applies --directive
 * values, evaluates the kernel/arch regexes with bash's own `=~`, and dumps everything NUL-separated on
 * stdout. Bash values cannot contain NUL, so the dump is unambiguous, and the files' own output never
 * reaches it.
 */
export function buildEvalScript(
  files: readonly ConfFile[],
  vars: ConfVariables,
  overrides: readonly DirectiveOverride[],
  stateFile: string,
): string {
  const assign = planVariableAssignments(vars);
  const names = directiveNames.join(' ');
  const setOverrides = overrides.map(
    (o) => `printf -v ${o.name}${o.index === undefined ? '' : `[${o.index}]`} '%s' ${quoteShell(o.value)}`,
  );
  return [
    'shopt -s extglob',
    ...assign,
    `__kmf_names=(${names})`,
    `__kmf_state_file=${quoteShell(stateFile)}`,
    '__kmf_state=',
    ...files.map((file) => sourceStep(file)),
    'eval "$__kmf_state"',
    ...setOverrides,
    'printf "S\\0"',
    'for __kmf_n in "${__kmf_names[@]}"; do',
    '  declare -n __kmf_ref=$__kmf_n',
    '  [[ -v __kmf_ref[@] ]] || { unset -n __kmf_ref; continue; }',
    '  for __kmf_i in "${!__kmf_ref[@]}"; do',
    '    [[ $__kmf_i =~ ^[0-9]+$ ]] && printf "V\\0%s\\0%s\\0%s\\0" "$__kmf_n" "$__kmf_i" "${__kmf_ref[$__kmf_i]}"',
    '  done',
    '  unset -n __kmf_ref',
    'done',
    matchStep('MAKE_MATCH', '$kernelver'),
    matchStep('PATCH_MATCH', '$kernelver'),
    matchStep('BUILD_EXCLUSIVE_KERNEL', '$kernelver'),
    matchStep('BUILD_EXCLUSIVE_ARCH', '$arch'),
    `printf "${dumpEndMarker}\\0"`,
  ].join('\n');
}

/** `name='value'` lines that give a bash program dkms's variables. */
export function planVariableAssignments(vars: ConfVariables): string[] {
  return Object.entries(vars).map(([name, value]) => `${name}=${quoteShell(value)}`);
}

function sourceStep(file: ConfFile): string {
  const quoted = quoteShell(file.path);
  const source = file.crlf ? `<(sed 's/\\r$//' ${quoted})` : quoted;
  // The subshell hands its variables back through a file, as dkms does, not through `$(…)`: a function or
  // loop the file leaves running in the background keeps every descriptor bash had while sourcing, and bash
  // would wait for it to close a command substitution's pipe. Stdout is /dev/null before the file runs, so
  // nothing it starts holds the state file or our stdout; `>|` because the file may `set -o noclobber`.
  // The marker tells a file that ran to its end from one that called `exit` part way (and so wrote nothing).
  return [
    ': >"$__kmf_state_file"',
    `(exec >/dev/null; eval "$__kmf_state"; . ${source}; __kmf_rc=$?; { printf 'KMF-SOURCED %s\\n' "$__kmf_rc"; declare -p "\${__kmf_names[@]}" 2>/dev/null; } >|"$__kmf_state_file")`,
    '__kmf_rc=$?',
    '__kmf_next=$(<"$__kmf_state_file")',
    `if [[ $__kmf_next != 'KMF-SOURCED '* ]]; then printf "X\\0%s\\0%s\\0" ${quoted} "$__kmf_rc"; exit 0; fi`,
    `printf "F\\0%s\\0" ${quoted}`,
    "__kmf_state=${__kmf_next#*$'\\n'}",
  ].join('\n');
}

function matchStep(name: string, subject: string): string {
  return [
    `for __kmf_i in "\${!${name}[@]}"; do`,
    `  [[ ${subject} =~ \${${name}[$__kmf_i]} ]]`,
    `  printf "M\\0${name}\\0%s\\0%s\\0" "$__kmf_i" "$?"`,
    'done',
  ].join('\n');
}
