import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { RemoteCacheConfig } from '@cache/config';
import type { Store } from '@cache/store';
import { warnOnce } from '../diagnostics/warn-once.js';

/** The package with the Redis tier: not a dependency of this one, so nobody who does not use Redis installs its client. */
const STORE_REDIS = '@cache/store-redis';

/** What the hook needs of `@cache/store-redis`. */
export interface StoreRedisModule {
  connectRemoteTier(remote: RemoteCacheConfig, options: { keepProcessAlive?: boolean }): Promise<Store>;
}

/** Whether an imported module is `@cache/store-redis` as the hook needs it. */
export function isStoreRedisModule(value: unknown): value is StoreRedisModule {
  return typeof value === 'object' && value !== null && typeof (value as { connectRemoteTier?: unknown }).connectRemoteTier === 'function';
}

/**
 * `@cache/store-redis`, found where this package is installed (npm's flat
 * node_modules) or else where the application is (`process.cwd()`, as with
 * pnpm, whose packages see only their own dependencies).
 */
async function loadStoreRedis(): Promise<{ module: StoreRedisModule; specifier: string }> {
  let specifier: string = STORE_REDIS;
  let loaded: unknown;
  try {
    loaded = await import(specifier);
  } catch {
    specifier = pathToFileURL(createRequire(join(process.cwd(), 'package.json')).resolve(STORE_REDIS)).href;
    loaded = await import(specifier);
  }
  if (!isStoreRedisModule(loaded)) throw new Error(`${STORE_REDIS} has no connectRemoteTier (install a version that has)`);
  return { module: loaded, specifier };
}

/**
 * The shared remote tier the hook's configuration names, connected (waiting
 * at most its connect timeout), and the module it came from (for the detached
 * writer, which imports it again). Resolves undefined, said once, when
 * `@cache/store-redis` is not installed or the tier cannot be opened: the
 * hook then caches on the local disk only. Redis being down is not such a
 * case: the store opens, misses while Redis is away, and joins when it returns.
 */
export async function connectRegisterRemoteTier(remote: RemoteCacheConfig): Promise<{ store: Store; module: string } | undefined> {
  try {
    const { module, specifier } = await loadStoreRedis();
    // The hook never closes it: the connection must not keep the application's process running.
    return { store: await module.connectRemoteTier(remote, { keepProcessAlive: false }), module: specifier };
  } catch (error) {
    // Node's "Cannot find module" message goes on with a require stack: its first line says it.
    const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    warnOnce(
      'CACHE_ENGINE_REMOTE_UNAVAILABLE',
      `@cache/engine/register: a remote cache tier is configured but cannot be used, so the cache is local only: ${reason} (the tier needs ${STORE_REDIS} installed next to the application).`,
    );
    return undefined;
  }
}
