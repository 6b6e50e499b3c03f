/**
 * Errors a user can act on. The CLI prints `error: <message>` on one line and exits non-zero for these;
 * anything else is a bug and is reported as such (still one line, with a hint to rerun with DDPM_DEBUG=1).
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A file that is not what it claims to be: truncated, foreign, corrupt or of another format version. */
export class FormatError extends UsageError {
  constructor(message: string) {
    super(message);
    this.name = 'FormatError';
  }
}
