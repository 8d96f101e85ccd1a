/**
 * `@cache/store-redis`: a Redis tier for the WebAssembly module cache.
 *
 * @packageDocumentation
 */
export { RedisStore } from './redis/redis-store.js';
export { redactUrl, resolveRedisOptions, type RedisStoreOptions, type RedisTlsOptions, type ResolvedRedisStoreOptions } from './redis/redis-options.js';
export { classifyFault } from './redis/classify-fault.js';
export { RedisLayout } from './layout/redis-keys.js';
export { chunkCount, decodeManifest, encodeManifest, MANIFEST_FORMAT, type Manifest } from './layout/manifest.js';
export { InvalidRedisOptionError, RedisStoreError, SigningKeyFileError, TlsCaFileError } from './errors/redis-store-error.js';
export { connectRemoteTier, createTieredCacheStore, redisOptionsFrom, type TieredCacheStoreOptions } from './tiered/create-tiered-cache-store.js';
export { resolveSigningKey } from './tiered/signing-key.js';
