import pkg from '../../package.json';

/** The package's version (package.json). */
export const VERSION: string = pkg.version;
