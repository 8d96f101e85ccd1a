import { readTlsCaFile, type CacheConfig, type RemoteCacheConfig, type ResolvedRemoteSettings } from '@cache/config';
import {
  DiskStore,
  MemoryStore,
  SIGNED_HEADER_LENGTH,
  SignedStore,
  TieredStore,
  validateKey,
  validateValue,
  type DiskStoreOptions,
  type PutResult,
  type SignedStoreOptions,
} from '@cache/store';
import { TlsCaFileError } from '../errors/redis-store-error.js';
import { RedisStore } from '../redis/redis-store.js';
import type { RedisStoreOptions } from '../redis/redis-options.js';
import { resolveSigningKey } from './signing-key.js';

/** Options of {@link createTieredCacheStore}. */
export interface TieredCacheStoreOptions {
  /** Disk tier options (namespace, compression). @default { namespace: 'tiered', compression: false } */
  disk?: Pick<DiskStoreOptions, 'namespace' | 'compression' | 'background'>;
  /** Leave out the in-process tier (the engine keeps loaded modules itself). @default false */
  withoutMemoryTier?: boolean;
}

/**
 * The Redis store options a validated remote configuration describes (includes the password: do not log).
 * Its `maxEntryBytes` is `max-entry-size` as it is: the limit of a RedisStore used alone; the tiers of
 * {@link connectRemoteTier} and {@link createTieredCacheStore} allow Redis the signature on top of it.
 *
 * @throws TlsCaFileError when the TLS CA file cannot be read.
 */
export function redisOptionsFrom(settings: Readonly<ResolvedRemoteSettings>): RedisStoreOptions {
  const tls =
    settings.tlsCaFile !== undefined || !settings.tlsRejectUnauthorized
      ? { ...(settings.tlsCaFile === undefined ? {} : { ca: tlsCa(settings.tlsCaFile) }), rejectUnauthorized: settings.tlsRejectUnauthorized }
      : undefined;
  return {
    url: settings.url,
    ...(settings.username === undefined ? {} : { username: settings.username }),
    ...(settings.password === undefined ? {} : { password: settings.password }),
    keyPrefix: settings.keyPrefix,
    ttlMs: settings.ttl,
    maxEntryBytes: settings.maxEntrySize,
    chunkBytes: settings.chunkSize,
    connectTimeoutMs: settings.connectTimeout,
    commandTimeoutMs: settings.commandTimeout,
    ...(tls ? { tls } : {}),
  };
}

/** The certificate authorities of the TLS CA file. @throws TlsCaFileError when it cannot be read. */
function tlsCa(file: string): Buffer {
  const read = readTlsCaFile(file);
  if (!read.ok) throw new TlsCaFileError(file, read.reason, { cause: read.cause });
  return read.ca;
}

/**
 * The store a fleet shares compiled artifacts through: memory, then the local
 * disk (`config.directory`), then Redis behind an HMAC signature check
 * (`SignedStore`). A remote hit is written back to memory and disk; writes
 * reach Redis in the background, so a slow or absent Redis never delays a
 * compile. Pass it to the engine's cache:
 *
 * @example
 * const store = await createTieredCacheStore(cacheConfig, RemoteCacheConfig.fromEnv().withUrl('redis://cache:6379'));
 * const engine = new Engine(Config.default(), { cache: new Cache(cacheConfig, { store }) });
 * // … at exit: await engine.close(); await store.close();
 *
 * Connecting waits at most the connect timeout; when Redis is down the store
 * works from memory and disk and joins Redis when it returns. The remote
 * tier stores artifacts up to `max-entry-size`, the signature not counted.
 *
 * @throws CacheConfigError when either configuration is invalid (including a remote tier without a signing key and without `allowUnsigned`).
 * @throws SigningKeyFileError when the signing key file cannot be read.
 * @throws TlsCaFileError when the TLS CA file cannot be read (after the signing key file is checked).
 * @throws InvalidRedisOptionError when the URL's user name or password holds a `%` that is not an escape (the configuration accepts it).
 * @throws StoreDisabledError when the cache configuration is disabled.
 */
export async function createTieredCacheStore(config: CacheConfig, remote: RemoteCacheConfig, options: TieredCacheStoreOptions = {}): Promise<TieredStore> {
  config.validate();
  const settings = remote.settings();
  const { signed, redis } = await connectSigned(settings);
  try {
    const disk = await DiskStore.open(config, { namespace: 'tiered', compression: false, ...options.disk });
    const memory = options.withoutMemoryTier ? [] : [new MemoryStore({ maxBytes: settings.memoryTierSize, label: 'tiered memory' })];
    return new TieredStore({ tiers: [...memory, disk, signed], label: `memory → ${config.directory} → ${redis.location}` });
  } catch (error) {
    await signed.close();
    throw error;
  }
}

/**
 * The shared tier alone: Redis behind the HMAC signature check, as
 * {@link createTieredCacheStore} puts it under memory and disk. For a cache
 * that keeps its own disk store, such as `@cache/engine`'s `Cache` with its
 * `remoteTier` option (which `node --import @cache/engine/register` uses when
 * a remote tier is configured, with `keepProcessAlive: false`). Connecting
 * waits at most the connect timeout. It stores artifacts up to
 * `max-entry-size`, the signature not counted; a larger one is refused with
 * its own size (`value of 1001 bytes exceeds maxEntryBytes (1000)`).
 *
 * @throws CacheConfigError when the remote configuration is invalid (including no signing key without `allowUnsigned`).
 * @throws SigningKeyFileError when the signing key file cannot be read.
 * @throws TlsCaFileError when the TLS CA file cannot be read (after the signing key file is checked).
 * @throws InvalidRedisOptionError when the URL's user name or password holds a `%` that is not an escape (the configuration accepts it).
 */
export async function connectRemoteTier(remote: RemoteCacheConfig, options: Pick<RedisStoreOptions, 'keepProcessAlive'> = {}): Promise<SignedStore> {
  return (await connectSigned(remote.settings(), options)).signed;
}

/**
 * A signed tier whose `max-entry-size` is the largest artifact it stores, as
 * the setting says, not the largest envelope: a larger value is refused
 * before it is signed, in the caller's bytes. Redis, below, is allowed the
 * envelope's header on top (see `connectSigned`).
 */
class SizeLimitedSignedStore extends SignedStore {
  readonly #maxEntryBytes: number;

  constructor(inner: RedisStore, options: SignedStoreOptions, maxEntryBytes: number) {
    super(inner, options);
    this.#maxEntryBytes = maxEntryBytes;
  }

  override async put(key: string, value: Uint8Array): Promise<PutResult> {
    validateKey(key);
    validateValue(value);
    if (value.byteLength > this.#maxEntryBytes) return { stored: false, reason: `value of ${value.byteLength} bytes exceeds maxEntryBytes (${this.#maxEntryBytes})` };
    return super.put(key, value);
  }
}

/** The tier's local files are checked in this order (the signing key file, then the TLS CA file), before anything connects; `@cache/engine`'s hook checks them in the same order. */
async function connectSigned(settings: Readonly<ResolvedRemoteSettings>, options: Pick<RedisStoreOptions, 'keepProcessAlive'> = {}): Promise<{ signed: SignedStore; redis: RedisStore }> {
  const signingKey = resolveSigningKey(settings);
  const redisOptions = redisOptionsFrom(settings);
  if (signingKey === undefined) {
    // Unsigned, values reach Redis as they are: its own limit is the artifact's.
    const redis = await RedisStore.connect({ ...redisOptions, ...options });
    return { signed: new SignedStore(redis, { allowUnsigned: settings.allowUnsigned, label: redis.location }), redis };
  }
  // Signed, Redis stores the envelope: the artifact and the signature's header before it.
  const enveloped = Math.min(settings.maxEntrySize + SIGNED_HEADER_LENGTH, Number.MAX_SAFE_INTEGER);
  const redis = await RedisStore.connect({ ...redisOptions, maxEntryBytes: enveloped, ...options });
  return { signed: new SizeLimitedSignedStore(redis, { signingKey, label: redis.location }, settings.maxEntrySize), redis };
}
