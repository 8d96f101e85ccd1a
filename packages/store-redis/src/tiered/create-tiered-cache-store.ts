import { readTlsCaFile, type CacheConfig, type RemoteCacheConfig, type ResolvedRemoteSettings } from '@cache/config';
import { DiskStore, MemoryStore, SignedStore, TieredStore, type DiskStoreOptions } from '@cache/store';
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
 * works from memory and disk and joins Redis when it returns.
 *
 * @throws CacheConfigError when either configuration is invalid (including a remote tier without a signing key and without `allowUnsigned`).
 * @throws SigningKeyFileError when the signing key file cannot be read.
 * @throws TlsCaFileError when the TLS CA file cannot be read (after the signing key file is checked).
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
 * waits at most the connect timeout.
 *
 * @throws CacheConfigError when the remote configuration is invalid (including no signing key without `allowUnsigned`).
 * @throws SigningKeyFileError when the signing key file cannot be read.
 * @throws TlsCaFileError when the TLS CA file cannot be read (after the signing key file is checked).
 */
export async function connectRemoteTier(remote: RemoteCacheConfig, options: Pick<RedisStoreOptions, 'keepProcessAlive'> = {}): Promise<SignedStore> {
  return (await connectSigned(remote.settings(), options)).signed;
}

/** The tier's local files are checked in this order (the signing key file, then the TLS CA file), before anything connects; `@cache/engine`'s hook checks them in the same order. */
async function connectSigned(settings: Readonly<ResolvedRemoteSettings>, options: Pick<RedisStoreOptions, 'keepProcessAlive'> = {}): Promise<{ signed: SignedStore; redis: RedisStore }> {
  const signingKey = resolveSigningKey(settings);
  const redis = await RedisStore.connect({ ...redisOptionsFrom(settings), ...options });
  const signed = new SignedStore(redis, signingKey === undefined ? { allowUnsigned: settings.allowUnsigned, label: redis.location } : { signingKey, label: redis.location });
  return { signed, redis };
}
