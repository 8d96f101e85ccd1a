import type { RemoteCacheConfig } from '@cache/config';
import { snapshot, zeroCounters, type PutResult, type Store, type StoreCapabilities, type StoreStats } from '@cache/store';
import { warnOnce } from '../diagnostics/warn-once.js';
import type { EngineOptions } from '../engine/engine.js';
import { isStoreRedisModule, locateStoreRedis, STORE_REDIS } from './store-redis.js';

function unavailable(reason: unknown): void {
  // Node's "Cannot find module" message goes on with a require stack: its first line says it.
  const message = (reason instanceof Error ? reason.message : String(reason)).split('\n')[0];
  const code = typeof reason === 'object' && reason !== null && 'code' in reason ? String((reason as { code: unknown }).code) : '';
  const hint = code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND' ? ` (the tier needs ${STORE_REDIS} installed next to the application)` : '';
  warnOnce('CACHE_ENGINE_REMOTE_UNAVAILABLE', `@cache/engine/register: a remote cache tier is configured but cannot be used, so the cache is local only: ${message}${hint}.`);
}

/**
 * The hook's remote tier, opened at its first use: a cache hit from the local
 * disk never loads the Redis client or connects. Its first call loads
 * `@cache/store-redis`, connects (waiting at most the connect timeout) and
 * then serves every call; when that fails, it says so once and holds nothing.
 * The connection never keeps the process running.
 */
class RegisterRemoteTier implements Store {
  readonly kind = 'remote';
  /** `connectRemoteTier` gives Redis behind the signature check, and Redis checks every chunk: content is verified either way. */
  readonly capabilities: StoreCapabilities = Object.freeze({ persistent: true, sharedAcrossProcesses: true, verifiesContent: true });
  readonly #remote: RemoteCacheConfig;
  readonly #module: string;
  readonly #importModule: ModuleImporter;
  #opening: Promise<Store | undefined> | undefined;
  #opened: Store | undefined;

  constructor(remote: RemoteCacheConfig, module: string, importModule: ModuleImporter) {
    this.#remote = remote;
    this.#module = module;
    this.#importModule = importModule;
  }

  #open(): Promise<Store | undefined> {
    this.#opening ??= (async () => {
      try {
        const loaded = await this.#importModule(this.#module);
        if (!isStoreRedisModule(loaded)) throw new Error(`${STORE_REDIS} has no connectRemoteTier (install a version that has)`);
        const store = await loaded.connectRemoteTier(this.#remote, { keepProcessAlive: false });
        if (store.capabilities.verifiesContent !== true) throw new Error(`${STORE_REDIS}'s remote tier does not verify what it returns`);
        this.#opened = store;
        return store;
      } catch (error) {
        unavailable(error);
        return undefined;
      }
    })();
    return this.#opening;
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    return (await this.#open())?.get(key);
  }

  async put(key: string, value: Uint8Array): Promise<PutResult> {
    const store = await this.#open();
    return store ? store.put(key, value) : { stored: false, reason: 'the remote tier is unavailable' };
  }

  async delete(key: string): Promise<boolean> {
    return (await (await this.#open())?.delete(key)) ?? false;
  }

  async has(key: string): Promise<boolean> {
    return (await (await this.#open())?.has(key)) ?? false;
  }

  async *keys(): AsyncIterable<string> {
    const store = await this.#open();
    if (store) yield* store.keys();
  }

  stats(): StoreStats {
    return this.#opened?.stats() ?? snapshot(zeroCounters());
  }

  async close(): Promise<void> {
    await this.#opened?.close();
  }
}

/**
 * Loads an ES module by its URL: `import()`, unless the caller's code cannot
 * use it (the hook's script, run through `node:vm`, has no module loader of
 * its own, so the hook passes its `import`).
 */
export type ModuleImporter = (url: string) => Promise<unknown>;

/**
 * The engine options for the shared remote tier the hook's configuration
 * names: the tier, as a store that opens at its first use, and how a detached
 * writer reopens it (the module it comes from and the remote). Empty, said
 * once, when `@cache/store-redis` is not installed: the hook then caches on
 * the local disk only. Redis being down is not such a case: the store opens,
 * misses while Redis is away, and joins when it returns.
 */
export function registerRemoteTier(remote: RemoteCacheConfig, importModule: ModuleImporter = (url) => import(url)): Pick<EngineOptions, 'remoteTier' | 'remoteTierWriter'> {
  let module: string;
  try {
    module = locateStoreRedis();
  } catch (error) {
    unavailable(error);
    return {};
  }
  return { remoteTier: new RegisterRemoteTier(remote, module, importModule), remoteTierWriter: { module, remote } };
}
