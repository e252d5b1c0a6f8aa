/** kmodforge's version, and the options that print it (as commander spells them). */
export const version = '0.1.0';
export const versionFlags = '-V, --version';
