/**
 * The one user-facing error type. Everything the user can cause (bad input, failed builds, missing
 * kernels) is a KmodError with a code; a plain Error means a bug in kmodforge.
 */
export const exitCodes = {
  USAGE: 2,
  NOT_PERMITTED: 1,
  MISSING_ARGS: 1,
  NO_SOURCE_DIR: 2,
  ALREADY_ADDED: 3,
  NOT_ADDED: 3,
  CONF_NOT_FOUND: 4,
  KERNEL_COUNT: 4,
  BROKEN_MODULE: 4,
  ALL_BANNED: 5,
  PATCH_INVALID: 5,
  PATCH_FAILED: 6,
  INSTALL_FAILED: 6,
  DEPMOD_FAILED: 6,
  BUILT_MODULE_MISSING: 7,
  CONF_INVALID: 8,
  CONF_FAILED: 8,
  ARCHIVE_INVALID: 9,
  BUILD_FAILED: 10,
  SIGN_FAILED: 10,
  AUTOINSTALL_FAILED: 11,
  /** status --verify found a module that differs (not an error: the command's answer). */
  VERIFY_FAILED: 12,
  MISSING_DEPENDS: 13,
  /** doctor found a problem (not an error: the command's answer; warnings alone exit 0). */
  DOCTOR_PROBLEM: 14,
  /** verify: a module did not load, oopsed or warned in the guest (dkms has no such check, nor code). */
  LOAD_FAILED: 15,
  NO_HEADERS: 21,
  CONFIG_INVALID: 8,
  COMMAND_FAILED: 1,
  VERSION_SANITY: 6,
  BUILD_EXCLUSIVE: 77,
  PRE_INSTALL_FAILED: 101,
} as const;

export type ErrorCode = keyof typeof exitCodes;

/** Exit code for a bug: an error that is not a KmodError (EX_SOFTWARE). */
export const internalErrorExitCode = 70;

export interface KmodErrorOptions {
  hint?: string | undefined;
  cause?: unknown;
  /** Overrides the code's exit code, e.g. the exit status of a failed script that dkms passes on. */
  exitCode?: number | undefined;
}

export class KmodError extends Error {
  override readonly name = 'KmodError';
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly exitCode: number;

  constructor(code: ErrorCode, message: string, options: KmodErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? exitCodes[code];
  }
}

/** True for a Node fs error with one of the given errno codes; lets callers catch only what they expect. */
export function isErrno(error: unknown, ...codes: string[]): error is NodeJS.ErrnoException {
  return (
    error instanceof Error && 'code' in error && codes.includes(String((error as NodeJS.ErrnoException).code))
  );
}

/** An error the system reported (it has an errno code, any), as opposed to a bug. */
export function isSystemError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string';
}

/**
 * File system errors the user can fix (rights, a read-only or full file system, a failing disk), with the
 * KmodError code and the words for each: they end as a clear error, never as a crash.
 */
const fixableErrnos: Readonly<Record<string, { code: ErrorCode; text: string }>> = {
  EACCES: { code: 'NOT_PERMITTED', text: 'Permission denied' },
  EPERM: { code: 'NOT_PERMITTED', text: 'Operation not permitted' },
  EROFS: { code: 'NOT_PERMITTED', text: 'Read-only file system' },
  ENOSPC: { code: 'COMMAND_FAILED', text: 'No space left on device' },
  EDQUOT: { code: 'COMMAND_FAILED', text: 'Disk quota exceeded' },
  EIO: { code: 'COMMAND_FAILED', text: 'Input/output error' },
};

/** The KmodError `<what>: <reason>` for a file system error the user can fix, else undefined. */
export function fromFixableErrno(error: unknown, what: string): KmodError | undefined {
  if (!isErrno(error, ...Object.keys(fixableErrnos))) return undefined;
  const known = fixableErrnos[error.code ?? ''];
  if (known === undefined) return undefined;
  return new KmodError(known.code, `${what}: ${known.text}`, {
    cause: error,
    ...(known.code === 'NOT_PERMITTED'
      ? {
          hint: 'run it as root, or point --dkmstree, --sourcetree, --installtree or --out somewhere writable',
        }
      : {}),
  });
}
