/**
 * One base for the errors this project throws on purpose (as undici's UndiciError is for its own):
 * a stable `code` a caller branches on instead of matching messages or class names, and whether the
 * error is the user's to fix. The CLI prints a user error as one line and exits 2; anything else is a
 * bug and keeps its stack. Free of imports, so the CLI loads it before any command.
 */
export abstract class CorpusError extends Error {
  /** Stable identifier, `ERR_…`: what callers and logs branch on. */
  abstract readonly code: string;
  /** True when the user can fix it (a bad flag, a missing file, a bad config key): one line, exit 2. */
  readonly userError: boolean = false;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A CorpusError the user fixes: the CLI prints its message alone and exits 2. */
export abstract class UserError extends CorpusError {
  override readonly userError = true;
}
