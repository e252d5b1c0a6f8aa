const safeWord = /^[\w@%+=:,./-]+$/;

/** Quotes one word for bash so that the shell reads it back unchanged. */
export function quoteShell(word: string): string {
  if (word !== '' && safeWord.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** A command line as a user could paste it into a shell. */
export function quoteCommand(argv: readonly string[]): string {
  return argv.map(quoteShell).join(' ');
}
