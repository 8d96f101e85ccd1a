/** Stable codes of the errors this package throws. */
export type CacheV8ErrorCode =
  | 'ERR_CACHE_V8_UNAVAILABLE'
  | 'ERR_CACHE_V8_INVALID_ARGUMENT'
  | 'ERR_CACHE_V8_BAD_HEADER'
  | 'ERR_CACHE_V8_NOT_SERIALIZABLE'
  | 'ERR_CACHE_V8_FLAGS_NOT_RESTORED';

/** Base class of every error thrown by `@cache/v8`; `code` never changes between versions. */
export class CacheV8Error extends Error {
  /** Stable, machine-readable error code. */
  readonly code: CacheV8ErrorCode;

  constructor(code: CacheV8ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The native addon cannot be used in this process; `reason` says why. */
export class AddonUnavailableError extends CacheV8Error {
  /** Why the addon is unavailable (same text as `addonStatus().reason`). */
  readonly reason: string;

  constructor(reason: string) {
    super('ERR_CACHE_V8_UNAVAILABLE', `@cache/v8 native addon unavailable: ${reason}`);
    this.reason = reason;
  }
}

/** An argument has the wrong type or shape. */
export class InvalidArgumentError extends CacheV8Error {
  constructor(message: string) {
    super('ERR_CACHE_V8_INVALID_ARGUMENT', message);
  }
}

/** Bytes do not start with a V8 serialized-wasm header. */
export class BadHeaderError extends CacheV8Error {
  constructor(message: string) {
    super('ERR_CACHE_V8_BAD_HEADER', message);
  }
}

/** V8 produced no serialized code (no TurboFan code in the module). */
export class NotSerializableError extends CacheV8Error {
  constructor(message: string) {
    super('ERR_CACHE_V8_NOT_SERIALIZABLE', message);
  }
}

/** `compileOptimized` could not put V8's flags back as they were. */
export class FlagsNotRestoredError extends CacheV8Error {
  constructor(message: string) {
    super('ERR_CACHE_V8_FLAGS_NOT_RESTORED', message);
  }
}
