import { signingKeyFileMessage, tlsCaFileMessage } from '@cache/config';

/** Base class of the errors this package throws (programmer or configuration mistakes; Redis faults never throw out of a store). */
export abstract class RedisStoreError extends Error {
  /** Stable code for programmatic handling. */
  abstract readonly code: string;
}

/** Invalid `RedisStore` options (a URL that is not `redis://` or `rediss://`, a chunk size beyond Redis's limits, …). */
export class InvalidRedisOptionError extends RedisStoreError {
  /** Stable code for programmatic handling. */
  readonly code = 'ERR_CACHE_REDIS_INVALID_OPTION' as const;
  /** The option's name. */
  readonly option: string;

  constructor(option: string, rule: string) {
    super(`Invalid Redis store option ${option}: ${rule}`);
    this.name = 'InvalidRedisOptionError';
    this.option = option;
  }
}

/** The signing key file could not be read, or holds too short a key. The key itself is never part of the message. */
export class SigningKeyFileError extends RedisStoreError {
  /** Stable code for programmatic handling. */
  readonly code = 'ERR_CACHE_REDIS_SIGNING_KEY_FILE' as const;
  /** The file. */
  readonly path: string;

  constructor(path: string, reason: string, options?: { cause?: unknown }) {
    super(signingKeyFileMessage(path, reason), options);
    this.name = 'SigningKeyFileError';
    this.path = path;
  }
}

/** The TLS CA file (`tls-ca-file`) could not be read. Its content is not judged here: a certificate it does not hold shows when the server's is checked. */
export class TlsCaFileError extends RedisStoreError {
  /** Stable code for programmatic handling. */
  readonly code = 'ERR_CACHE_REDIS_TLS_CA_FILE' as const;
  /** The file. */
  readonly path: string;

  constructor(path: string, reason: string, options?: { cause?: unknown }) {
    super(tlsCaFileMessage(path, reason), options);
    this.name = 'TlsCaFileError';
    this.path = path;
  }
}
