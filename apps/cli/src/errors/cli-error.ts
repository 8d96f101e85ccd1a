/** Exit codes of `wasm-cache`, stable for scripts. */
export const EXIT = {
  ok: 0,
  /** The operation failed (a compile, a write, a damaged artifact…). */
  failure: 1,
  /** The command line was wrong (commander's own code). */
  usage: 2,
  /** The configuration is invalid (file, environment or flags). */
  config: 3,
  /** A file could not be read or written. */
  io: 4,
  /** The cache directory was refused as unsafe: writable by others, or owned by another user. */
  unsafeDirectory: 5,
} as const;

/** An error the CLI reports as one line (no stack) and exits with its code. */
export class CliError extends Error {
  constructor(
    message: string,
    /** The process exit code. */
    readonly exitCode: number = EXIT.failure,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
