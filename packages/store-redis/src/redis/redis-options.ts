import { redisDatabaseOf } from '@cache/config';
import { InvalidRedisOptionError } from '../errors/redis-store-error.js';
import { MAX_CHUNK_BYTES, MIN_CHUNK_BYTES } from '../layout/manifest.js';

/** TLS settings for a `rediss://` connection. */
export interface RedisTlsOptions {
  /** Certificate authorities to trust (PEM), instead of Node's defaults. */
  ca?: string | Buffer;
  /** Refuse a server whose certificate does not verify. Turn off only for tests. @default true */
  rejectUnauthorized?: boolean;
  /** The name to check the certificate against (SNI). @default the URL's host when it is a name (an IP address is sent no SNI, which RFC 6066 does not allow for one; the certificate is still checked against it) */
  servername?: string;
}

/** Options of a {@link RedisStore}. Every duration is in milliseconds, every size in bytes. */
export interface RedisStoreOptions {
  /**
   * `redis://[user:password@]host[:port][/db]` or `rediss://...` for TLS;
   * the user name and password percent-encoded (a `%` in them is `%25`);
   * `db` is a database number (0 when absent). A database the server refuses
   * to select is a fault: the store misses and stores nothing, never uses
   * another database.
   */
  url: string;
  /** ACL user name; overrides one in the URL. */
  username?: string;
  /** Password; overrides one in the URL. Never printed: errors and `location` show the URL redacted. */
  password?: string;
  /** Prefix of every Redis key the store uses; give each application or environment its own. @default 'wasm-cache:' */
  keyPrefix?: string;
  /**
   * Time to live of an entry; refreshed on every hit (unless `refreshTtlOnHit` is false), so entries in use stay.
   * `0` keeps entries until Redis evicts them (`maxmemory-policy allkeys-lru`).
   * @default 7 days
   */
  ttlMs?: number;
  /** Whether a hit extends the entry's time to live. @default true */
  refreshTtlOnHit?: boolean;
  /**
   * Largest value stored and read, in the bytes given to `put` (behind a
   * `SignedStore`, the signed envelope's); a larger `put` reports
   * `{ stored: false }`, and a `get` of an entry whose manifest says it is
   * larger (a store of a larger limit wrote it) is a miss (`too-large`)
   * before any of it is fetched. @default 320 MiB
   */
  maxEntryBytes?: number;
  /** Bytes per Redis value (Redis allows 512 MB; small chunks keep each command short). From 64 KiB to 256 MiB. @default 4 MiB */
  chunkBytes?: number;
  /**
   * How long connecting may take: the connection, its TLS handshake, and the
   * server answering a PING (and the SELECT of the URL's database) on it. A
   * server that has not answered by then (frozen, overloaded) is given up,
   * said as `ETIMEDOUT`, and tried again with backoff; a call made while the
   * first connection is being made waits at most what is left of this.
   * @default 2000
   */
  connectTimeoutMs?: number;
  /** How long one command may take before it counts as a fault (a slow or paused server). @default 5000 */
  commandTimeoutMs?: number;
  /** Longest wait between reconnection attempts while Redis is down. @default 2000 */
  reconnectMaxDelayMs?: number;
  /** TLS settings (a `rediss://` URL turns TLS on with Node's defaults). */
  tls?: RedisTlsOptions;
  /**
   * Whether the open connection, and the wait between reconnection attempts
   * while Redis is down, keep the process running. With `false` only a call in
   * flight does (and `close()` while it waits for `QUIT`); connecting does not,
   * to a server that does not answer either: a process that never calls
   * `close()` (one under `node --import @cache/engine/register`) still ends
   * when its work is done.
   * @default true
   */
  keepProcessAlive?: boolean;
}

/** {@link RedisStoreOptions} with every default applied and checked. */
export interface ResolvedRedisStoreOptions {
  readonly url: URL;
  /** The database of the URL's path (0 without one). */
  readonly database: number;
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly keyPrefix: string;
  readonly ttlMs: number;
  readonly refreshTtlOnHit: boolean;
  readonly maxEntryBytes: number;
  readonly chunkBytes: number;
  readonly connectTimeoutMs: number;
  readonly commandTimeoutMs: number;
  readonly reconnectMaxDelayMs: number;
  readonly tls: RedisTlsOptions | undefined;
  readonly keepProcessAlive: boolean;
}

const MiB = 1024 * 1024;

/** The URL with any password replaced by `***`, for messages. */
export function redactUrl(url: string | URL): string {
  let parsed: URL;
  try {
    parsed = new URL(String(url));
  } catch {
    return '<invalid URL>';
  }
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

/**
 * A user name or password of the URL, percent-decoded.
 *
 * @throws InvalidRedisOptionError when it holds a `%` that is not an escape (`%` and two hex digits).
 */
function userInfo(part: 'user name' | 'password', text: string, url: URL): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new InvalidRedisOptionError(
      'url',
      `the ${part} must be percent-encoded (a "%" that does not begin an escape such as %41 is written %25), got ${redactUrl(url)}`,
    );
  }
}

function integer(name: string, value: number, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) throw new InvalidRedisOptionError(name, `expected a whole number from ${min} to ${max}, got ${value}`);
  return value;
}

/**
 * Checks options and applies defaults.
 *
 * @throws InvalidRedisOptionError naming the option (the URL redacted), such as
 *   a URL whose user name or password holds a `%` that is not an escape.
 */
export function resolveRedisOptions(options: RedisStoreOptions): ResolvedRedisStoreOptions {
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    throw new InvalidRedisOptionError('url', `expected redis://host:port or rediss://host:port, got ${redactUrl(options.url)}`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new InvalidRedisOptionError('url', `expected the redis: or rediss: scheme, got ${redactUrl(url)}`);
  const database = redisDatabaseOf(url.href);
  if (typeof database !== 'number') {
    throw new InvalidRedisOptionError('url', `the path must be empty, "/" or "/<n>" with n a database number (a whole number from 0), got ${redactUrl(url)}`);
  }
  const chunkBytes = integer('chunkBytes', options.chunkBytes ?? 4 * MiB, MIN_CHUNK_BYTES, MAX_CHUNK_BYTES);
  return {
    url,
    database,
    username: options.username ?? (url.username ? userInfo('user name', url.username, url) : undefined),
    password: options.password ?? (url.password ? userInfo('password', url.password, url) : undefined),
    keyPrefix: options.keyPrefix ?? 'wasm-cache:',
    ttlMs: integer('ttlMs', options.ttlMs ?? 7 * 24 * 3600 * 1000, 0, Number.MAX_SAFE_INTEGER),
    refreshTtlOnHit: options.refreshTtlOnHit ?? true,
    maxEntryBytes: integer('maxEntryBytes', options.maxEntryBytes ?? 320 * MiB, 0, Number.MAX_SAFE_INTEGER),
    chunkBytes,
    connectTimeoutMs: integer('connectTimeoutMs', options.connectTimeoutMs ?? 2000, 1, 3_600_000),
    commandTimeoutMs: integer('commandTimeoutMs', options.commandTimeoutMs ?? 5000, 1, 3_600_000),
    reconnectMaxDelayMs: integer('reconnectMaxDelayMs', options.reconnectMaxDelayMs ?? 2000, 1, 3_600_000),
    tls: url.protocol === 'rediss:' ? (options.tls ?? {}) : options.tls,
    keepProcessAlive: options.keepProcessAlive ?? true,
  };
}
