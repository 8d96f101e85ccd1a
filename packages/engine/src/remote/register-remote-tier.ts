import { readSigningKeyFile, readTlsCaFile, signingKeyFileMessage, tlsCaFileMessage, type RemoteCacheConfig } from '@cache/config';
import { snapshot, UNREACHABLE_FAULT_CODES, zeroCounters, type PutResult, type Store, type StoreCapabilities, type StoreStats } from '@cache/store';
import { warnOnce } from '../diagnostics/warn-once.js';
import type { EngineOptions } from '../engine/engine.js';
import { REMOTE_RETRY_AFTER_MS, RemoteOutageNote, type RemoteOutage } from './remote-outage.js';
import { isStoreRedisModule, locateStoreRedis, STORE_REDIS } from './store-redis.js';

function unavailable(reason: unknown): void {
  // Node's "Cannot find module" message goes on with a require stack: its first line says it.
  const message = (reason instanceof Error ? reason.message : String(reason)).split('\n')[0];
  const code = typeof reason === 'object' && reason !== null && 'code' in reason ? String((reason as { code: unknown }).code) : '';
  const hint = code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND' ? ` (the tier needs ${STORE_REDIS} installed next to the application)` : '';
  warnOnce('CACHE_ENGINE_REMOTE_UNAVAILABLE', `@cache/engine/register: a remote cache tier is configured but cannot be used, so the cache is local only: ${message}${hint}.`);
}

function skipped(outage: RemoteOutage): void {
  const ago = Math.max(0, Math.round((Date.now() - outage.at) / 1000));
  warnOnce(
    'CACHE_ENGINE_REMOTE_SKIPPED',
    `@cache/engine/register: the remote cache tier failed in another process on this machine (pid ${outage.pid}) ${ago} s ago, so this process caches locally and leaves the tier alone until ${REMOTE_RETRY_AFTER_MS / 1000} s have passed since then.`,
  );
}

/**
 * Fault codes of a write the server did not answer (`faultCode` of a `put`):
 * it could not be reached or did not answer (the store's own list), or it
 * cannot serve yet (loading its data, its primary down, busy in a script).
 */
const UNANSWERED: ReadonlySet<string> = new Set([...UNREACHABLE_FAULT_CODES, 'LOADING', 'MASTERDOWN', 'BUSY']);

/**
 * The hook's remote tier, opened at its first use: a cache hit from the local
 * disk never loads the Redis client or connects. Its first call loads
 * `@cache/store-redis`, connects (waiting at most the connect timeout) and
 * then serves every call; when that fails, it says so once and holds nothing.
 * The connection keeps the process running only while a call is in flight. A
 * read that fails, or a write Redis does not answer, is noted in the cache
 * directory, and the hooked processes that start within
 * {@link REMOTE_RETRY_AFTER_MS} of it leave the tier alone: during an outage
 * one process in that period waits for a Redis that does not answer, not each.
 */
class RegisterRemoteTier implements Store {
  readonly kind = 'remote';
  /** `connectRemoteTier` gives Redis behind the signature check, and Redis checks every chunk: content is verified either way. */
  readonly capabilities: StoreCapabilities = Object.freeze({ persistent: true, sharedAcrossProcesses: true, verifiesContent: true });
  readonly #remote: RemoteCacheConfig;
  readonly #module: string;
  readonly #importModule: ModuleImporter;
  readonly #outage: RemoteOutageNote | undefined;
  #opening: Promise<Store | undefined> | undefined;
  /** What {@link #localFileFault} found, once checked, so a call during the window does not read the files again. */
  #filesChecked: { fault: Error | undefined } | undefined;
  #opened: Store | undefined;

  constructor(remote: RemoteCacheConfig, module: string, importModule: ModuleImporter, outage: RemoteOutageNote | undefined) {
    this.#remote = remote;
    this.#module = module;
    this.#importModule = importModule;
    this.#outage = outage;
  }

  /**
   * The tier for a call: undefined while another process's note of an outage
   * is recent (checked until this process opens the tier itself; from then on
   * its own client fails fast while Redis is away). A local file the tier
   * could never use (its signing key file, its TLS CA file) is said then all
   * the same, as opening the tier would say it, and the tier is held as one
   * that failed to open: the note is about Redis, and must not hide a mistake
   * on this machine until it is stale.
   */
  async #tier(): Promise<Store | undefined> {
    if (this.#opening === undefined) {
      const outage = this.#outage?.recent();
      if (outage) {
        this.#filesChecked ??= { fault: this.#localFileFault() };
        const { fault } = this.#filesChecked;
        if (fault === undefined) {
          skipped(outage);
        } else {
          unavailable(fault);
          this.#opening = Promise.resolve(undefined);
        }
        return undefined;
      }
    }
    return this.#open();
  }

  /**
   * Why a local file the tier needs cannot be used, from the files alone (no
   * Redis client, no connection): the signing key file, then the TLS CA file,
   * the order in which `connectRemoteTier` reads them, so the first fault is
   * the one opening the tier says. Undefined when they can, or none is configured.
   */
  #localFileFault(): Error | undefined {
    const { signingKeyFile, tlsCaFile } = this.#remote.settings();
    if (signingKeyFile !== undefined) {
      const read = readSigningKeyFile(signingKeyFile);
      if (!read.ok) return new Error(signingKeyFileMessage(signingKeyFile, read.reason), { cause: read.cause });
    }
    if (tlsCaFile !== undefined) {
      const read = readTlsCaFile(tlsCaFile);
      if (!read.ok) return new Error(tlsCaFileMessage(tlsCaFile, read.reason), { cause: read.cause });
    }
    return undefined;
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
    const store = await this.#tier();
    if (!store) return undefined;
    const errors = store.stats().errors;
    const value = await store.get(key);
    // A read the store could not make (a timeout, a lost connection) is a fault, not a miss: note it.
    if (store.stats().errors > errors) this.#outage?.write();
    return value;
  }

  async put(key: string, value: Uint8Array): Promise<PutResult> {
    const store = await this.#tier();
    if (!store) return { stored: false, reason: 'the remote tier is unavailable' };
    const result = await store.put(key, value);
    // A write Redis did not answer is noted as a failed read is: the process that met it waited (up to the
    // command timeout, at exit too); the others on the machine leave the tier alone for the period. A write the
    // server answered with a refusal (OOM, NOPERM for a read-only user) says nothing of its reads: not noted.
    if (!result.stored && result.faultCode !== undefined && UNANSWERED.has(result.faultCode)) this.#outage?.write();
    return result;
  }

  async delete(key: string): Promise<boolean> {
    return (await (await this.#tier())?.delete(key)) ?? false;
  }

  async has(key: string): Promise<boolean> {
    return (await (await this.#tier())?.has(key)) ?? false;
  }

  async *keys(): AsyncIterable<string> {
    const store = await this.#tier();
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
 *
 * @param directory the cache directory, where an outage is noted for the other processes (none: not noted)
 */
export function registerRemoteTier(
  remote: RemoteCacheConfig,
  importModule: ModuleImporter = (url) => import(url),
  directory?: string,
): Pick<EngineOptions, 'remoteTier' | 'remoteTierWriter'> {
  let module: string;
  try {
    module = locateStoreRedis();
  } catch (error) {
    unavailable(error);
    return {};
  }
  return { remoteTier: remoteTierAt(remote, module, importModule, directory), remoteTierWriter: { module, remote } };
}

/**
 * The hook's remote tier from the `@cache/store-redis` at `module` (see
 * {@link registerRemoteTier}): the hook's own, and the one its detached
 * writer and producers write through. It opens at its first call, never
 * throws for a tier it cannot open (said once; a miss, or not stored), and
 * `close()` closes what it opened.
 *
 * @param directory the cache directory, where an outage is noted for the other processes (none: not noted)
 */
export function remoteTierAt(remote: RemoteCacheConfig, module: string, importModule: ModuleImporter = (url) => import(url), directory?: string): Store {
  return new RegisterRemoteTier(remote, module, importModule, outageNote(remote, directory));
}

/** The outage note for a remote in a cache directory; none when either is missing (an invalid remote is said when the tier opens). */
function outageNote(remote: RemoteCacheConfig, directory: string | undefined): RemoteOutageNote | undefined {
  if (directory === undefined) return undefined;
  try {
    return new RemoteOutageNote(directory, remote.settings().url);
  } catch {
    return undefined;
  }
}
