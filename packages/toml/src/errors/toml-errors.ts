/** The TOML text itself is malformed; names the file, line and column. */
export class TomlSyntaxError extends Error {
  /** Stable code for programmatic handling. */
  readonly code = 'ERR_CACHE_TOML_SYNTAX' as const;

  constructor(
    /** The file (or `<string>` for text). */
    readonly file: string,
    /** 1-based line. */
    readonly line: number,
    /** 1-based column. */
    readonly column: number,
    /** What the TOML parser said. */
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}:${line}:${column}: invalid TOML: ${reason}`, options);
    this.name = 'TomlSyntaxError';
  }
}

/** A configuration file could not be read or written (missing, permissions, ...). */
export class ConfigFileAccessError extends Error {
  /** Stable code for programmatic handling. */
  readonly code = 'ERR_CACHE_CONFIG_FILE_ACCESS' as const;

  constructor(
    /** The file. */
    readonly file: string,
    /** What was being done: 'read' or 'write'. */
    readonly operation: 'read' | 'write',
    /** The system error code, e.g. ENOENT or EACCES, when there is one. */
    readonly systemCode: string | undefined,
    options?: { cause?: unknown },
  ) {
    const cause = options?.cause instanceof Error ? options.cause.message : String(options?.cause ?? 'unknown error');
    super(`Cannot ${operation} cache configuration file ${file}: ${cause}`, options);
    this.name = 'ConfigFileAccessError';
  }
}

/** Refusing to overwrite an existing configuration file (as `wasmtime config new` does). */
export class ConfigFileExistsError extends Error {
  /** Stable code for programmatic handling. */
  readonly code = 'ERR_CACHE_CONFIG_FILE_EXISTS' as const;

  constructor(
    /** The file that already exists. */
    readonly file: string,
  ) {
    super(`Configuration file ${file} already exists; refusing to overwrite it`);
    this.name = 'ConfigFileExistsError';
  }
}

/** The system error code of an fs error, if any. */
export function systemCodeOf(error: unknown): string | undefined {
  if (error && typeof error === 'object' && 'code' in error && typeof error.code === 'string') return error.code;
  return undefined;
}
