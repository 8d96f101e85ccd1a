import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { RemoteCacheConfig } from '@cache/config';
import type { Store } from '@cache/store';

/** The package with the Redis tier: not a dependency of this one, so nobody who does not use Redis installs its client. */
export const STORE_REDIS = '@cache/store-redis';

/** What the hook needs of `@cache/store-redis`. */
export interface StoreRedisModule {
  connectRemoteTier(remote: RemoteCacheConfig, options: { keepProcessAlive?: boolean }): Promise<Store>;
}

/** Whether an imported module is `@cache/store-redis` as the hook needs it. */
export function isStoreRedisModule(value: unknown): value is StoreRedisModule {
  return typeof value === 'object' && value !== null && typeof (value as { connectRemoteTier?: unknown }).connectRemoteTier === 'function';
}

/**
 * Where `@cache/store-redis` is: next to this package (npm's flat
 * node_modules), else next to the application (`process.cwd()`, as with
 * pnpm, whose packages see only their own dependencies). Finding it is cheap;
 * loading it (its Redis client) costs 40-50 ms, so that waits for a use.
 * From the hook's CommonJS script (no `import.meta.resolve`), next to this
 * package means where `require` finds it.
 */
export function locateStoreRedis(): string {
  try {
    if (typeof import.meta.resolve === 'function') return import.meta.resolve(STORE_REDIS);
    return pathToFileURL(createRequire(import.meta.url).resolve(STORE_REDIS)).href;
  } catch {
    // not next to this package
  }
  return pathToFileURL(createRequire(join(process.cwd(), 'package.json')).resolve(STORE_REDIS)).href;
}
