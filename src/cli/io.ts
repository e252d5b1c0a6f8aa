/** Where the CLI writes; tests pass buffers, main passes the process streams. */
export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  /**
   * Whether `err` may carry colours: only a terminal gets them (picocolors alone would also colour a piped
   * stderr under CI=1 or when stdout is a terminal).
   */
  color: boolean;
  /**
   * stdout when it is a terminal that can take a live view (cursor movement), with its size; absent when
   * stdout is a pipe or a file, or TERM is dumb. Only then do builds show their live progress.
   */
  terminal?: TerminalStream | undefined;
}

/** A terminal's output stream, as the live progress view writes to it (process.stdout on a TTY). */
export type TerminalStream = NodeJS.WritableStream & {
  columns?: number | undefined;
  rows?: number | undefined;
  isTTY?: boolean | undefined;
};

/**
 * A writer that goes quiet once its stream fails (EPIPE when the reader, e.g. `head`, has closed it):
 * the command goes on to its end, so a closed output never leaves a transaction half done, and nothing
 * crashes with a stack trace.
 */
export function quietOnClose(stream: NodeJS.WritableStream): (text: string) => void {
  let closed = false;
  stream.on('error', () => {
    closed = true;
  });
  return (text) => {
    if (!closed) stream.write(text);
  };
}

export const processIo: Io = {
  out: quietOnClose(process.stdout),
  err: quietOnClose(process.stderr),
  color: process.stderr.isTTY && !('NO_COLOR' in process.env),
  terminal: process.stdout.isTTY && process.env['TERM'] !== 'dumb' ? process.stdout : undefined,
};

/**
 * Turns SIGINT, SIGTERM and SIGHUP into an exit with the shell's 128+N status, so the process's exit
 * handlers run: build process groups are killed and temporary directories removed. An interrupted
 * transaction is rolled back by the next command, as after SIGKILL.
 */
export function exitOnSignals(): void {
  const numbers = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;
  for (const [signal, number] of Object.entries(numbers)) {
    process.once(signal, () => {
      process.exit(128 + number);
    });
  }
}
