/**
 * Base class of every error this package throws. Errors are thrown only for
 * programmer mistakes (a bad key, a closed store, an unsafe directory); faults
 * of the file system never throw out of `get`/`put`/`delete`/`has`, nor does
 * damaged data ({@link CompressedDataError} is a codec's, which the stores
 * catch: a damaged entry is a miss).
 */
export abstract class StoreError extends Error {
  /** Stable code for programmatic handling. */
  abstract readonly code: string;
}

/** A key that is not a non-empty, well-formed string of at most {@link MAX_KEY_LENGTH} characters. */
export class InvalidKeyError extends StoreError {
  /** Stable code for programmatic handling. */
  readonly code = 'ERR_CACHE_STORE_INVALID_KEY' as const;
  /** Why the key was refused. */
  readonly reason: string;

  constructor(reason: string) {
    super(`Invalid cache key: ${reason}`);
    this.name = 'InvalidKeyError';
    this.reason = reason;
  }
}

/** A namespace (engine fingerprint) that cannot be used as one directory name. */
export class InvalidNamespaceError extends StoreError {
  /** Stable code for programmatic handling. */
  readonly code = 'ERR_CACHE_STORE_INVALID_NAMESPACE' as const;
  /** The refused namespace. */
  readonly namespace: string;

  constructor(namespace: string) {
    super(
      `Invalid store namespace ${JSON.stringify(namespace)}: use 1 to 128 characters from A-Z a-z 0-9 . _ -, starting with a letter or digit`,
    );
    this.name = 'InvalidNamespaceError';
    this.namespace = namespace;
  }
}

/** Why a directory was refused. */
export type UnsafeDirectoryReason = 'world-writable' | 'foreign-owner';

/**
 * The cache directory could be written by someone else (world-writable without
 * the sticky bit, or owned by another user), who could then plant entries.
 */
export class UnsafeDirectoryError extends StoreError {
  /** Stable code for programmatic handling. */
  readonly code = 'ERR_CACHE_STORE_UNSAFE_DIRECTORY' as const;
  /** The refused directory. */
  readonly path: string;
  /** What is wrong with it. */
  readonly reason: UnsafeDirectoryReason;

  constructor(path: string, reason: UnsafeDirectoryReason, detail: string) {
    super(`Refusing cache directory ${path}: ${detail}`);
    this.name = 'UnsafeDirectoryError';
    this.path = path;
    this.reason = reason;
  }
}

/** An operation on a store after `close()`. */
export class StoreClosedError extends StoreError {
  /** Stable code for programmatic handling. */
  readonly code = 'ERR_CACHE_STORE_CLOSED' as const;

  constructor(kind: string) {
    super(`The ${kind} store is closed`);
    this.name = 'StoreClosedError';
  }
}

/** `createStore` was given a configuration with caching disabled. */
export class StoreDisabledError extends StoreError {
  /** Stable code for programmatic handling. */
  readonly code = 'ERR_CACHE_STORE_DISABLED' as const;

  constructor() {
    super('The cache configuration is disabled (CacheConfig.disabled()); do not create a store for it');
    this.name = 'StoreDisabledError';
  }
}

/** Invalid store options (a limit that is not a positive integer, an unknown backend, ...). */
export class InvalidStoreOptionError extends StoreError {
  /** Stable code for programmatic handling. */
  readonly code = 'ERR_CACHE_STORE_INVALID_OPTION' as const;
  /** The option's name. */
  readonly option: string;

  constructor(option: string, rule: string) {
    super(`Invalid store option ${option}: ${rule}`);
    this.name = 'InvalidStoreOptionError';
    this.option = option;
  }
}

/** A value passed to `put` that is not a `Uint8Array`, or one whose memory was detached (a programmer error, not a fault). */
export class InvalidValueError extends StoreError {
  /** Stable code for programmatic handling. */
  readonly code = 'ERR_CACHE_STORE_INVALID_VALUE' as const;

  /** @param description what was received, when its type alone does not say what is wrong. */
  constructor(received: unknown, description?: string) {
    super(`Invalid cache value: expected a Uint8Array (or Buffer), got ${description ?? (received === null ? 'null' : typeof received)}`);
    this.name = 'InvalidValueError';
  }
}

/**
 * A store that would share entries with other machines was set up without a
 * signing key and without an explicit opt-in to unsigned entries. Anyone who
 * can write to a shared cache could otherwise run native code in every
 * process that reads it.
 */
export class SigningKeyRequiredError extends StoreError {
  /** Stable code for programmatic handling. */
  readonly code = 'ERR_CACHE_STORE_SIGNING_KEY_REQUIRED' as const;

  constructor(what: string) {
    super(
      `${what}: a signing key is required (set WASM_CACHE_SIGNING_KEY, a signing key file, or the signingKey option), or opt in to an unsigned shared cache explicitly with allowUnsigned: true`,
    );
    this.name = 'SigningKeyRequiredError';
  }
}

/**
 * Compressed data a codec refused to decompress (`Codec.decompress`), so
 * that a damaged or forged entry cannot make a reader allocate far more than
 * the size it was said to hold. `damaged`: the data is certainly wrong (not a
 * whole payload of its format, or it decompresses to more than that size);
 * else it only could decompress to far more (a codec that cannot stop at a
 * length judges by the payload's headers), which zstd's own output may also
 * do: not decompressed here, and not damage. The stores catch it.
 */
export class CompressedDataError extends StoreError {
  /** Stable code for programmatic handling. */
  readonly code = 'ERR_CACHE_STORE_COMPRESSED_DATA' as const;
  /** What is wrong with the data. */
  readonly reason: string;
  /** Whether the data is certainly damaged (else: not decompressed here, for what it could decompress to). */
  readonly damaged: boolean;

  constructor(reason: string, damaged = true) {
    super(`Refusing compressed data: ${reason}`);
    this.name = 'CompressedDataError';
    this.reason = reason;
    this.damaged = damaged;
  }
}
