import { join } from 'node:path';
import { CacheConfig, type RemoteCacheConfig } from '@cache/config';
import { createStore, DiskStore, errorCode, provideDigests, TieredStore, type Store } from '@cache/store';
import { nativeDigests } from '@cache/v8';
import { warnOnce } from '../diagnostics/warn-once.js';
import { describeArgument, EngineArgumentError } from '../errors/engine-errors.js';
import { forgetFingerprint, type EngineFingerprint } from '../fingerprint/engine-fingerprint.js';
import { HotSnapshots, type HotTarget } from '../hot/hot-snapshots.js';
import { startProducer } from '../producer/producer-client.js';
import type { ProducerDelivery } from '../producer/producer-protocol.js';
import { PRODUCER_REMOTE_ENV, remoteToEnv } from '../remote/remote-env.js';
import { RemoteView } from '../remote/remote-view.js';
import { emptyStats, type CacheStats, type EngineStats } from '../stats/engine-stats.js';

/** Options of a {@link Cache}. */
export interface CacheOptions {
  /**
   * A store to use instead of the one the configuration describes: a
   * `MemoryStore`, a third party's backend, a tiered store. Artifacts of every
   * engine fingerprint share it, so keys carry the fingerprint. The cache does
   * not close a store it was given.
   */
  store?: Store;
  /** The backend the configuration's store uses. @default 'disk' */
  backend?: 'disk' | 'memory';
  /** Store artifacts compressed (see `Config.withArtifactCompression`). @default false */
  compression?: boolean;
  /**
   * A shared store under this cache's own disk store, such as
   * `connectRemoteTier(remote)` from `@cache/store-redis` (Redis behind a
   * signature check): a compile that finds nothing on disk looks there, a hit
   * there is written back to disk, and every artifact stored is written to it
   * too, in the background. Its keys carry the engine fingerprint, as in a
   * store given whole (`store`), so both ways of configuring share entries.
   * A full-tier artifact comes back from its producer to this process, which
   * writes it to both tiers (`close()` waits for productions and flushes the
   * writes). An artifact saved as the process exits (the hot tier's last
   * snapshot) goes to the disk only (the hook's own remote tier excepted):
   * call `close()` before exit to have it here too. The cache does not close
   * it. Not with `store` or the memory backend.
   */
  remoteTier?: Store;
  /**
   * @internal Set by `@cache/engine/register`: how a detached writer writes
   * `remoteTier` too (an artifact saved at exit, or made by a background
   * producer): the `@cache/store-redis` it imports and the remote it opens.
   */
  remoteTierWriter?: RemoteTierWriter;
}

/** @internal How a detached writer reopens the hook's remote tier. */
export interface RemoteTierWriter {
  /** `@cache/store-redis`, as a specifier or a file URL. */
  readonly module: string;
  readonly remote: RemoteCacheConfig;
}

/** Where artifacts go for one fingerprint: the store, and how keys are formed in it. */
export interface ArtifactStorage {
  readonly store: Store;
  /** The store key of a module's artifact. */
  key(moduleHash: string, tier: string): string;
  /** How a background producer delivers its artifact. */
  delivery(key: string, lockPath: string | undefined): ProducerDelivery;
  /** The producer lock file for a key, when the store is a shared directory. */
  lockPath(key: string): string | undefined;
  /**
   * Damaged entries the store itself found (and removed) since the last
   * call: a store that checks its own checksum (`verifiesContent`) reports a
   * damaged artifact as a miss, and this is how the engine still counts it.
   */
  takeStoreDamage(): number;
  /**
   * The CRC-32 the cache's own disk store computed over a value it just
   * returned, while checking it (`DiskStore.verifiedContentCrc32`); absent
   * for a store given to the cache, whose values may have passed through
   * code of its own after any such check.
   */
  readonly verifiedCrc32?: (value: Uint8Array) => number | undefined;
}

/**
 * V8 serialized code with another header than the engine fingerprint's: the
 * remembered header was wrong. It is forgotten (here and on disk) and said
 * once; nothing was stored under the wrong fingerprint.
 */
export function reportWrongFingerprint(fingerprint: EngineFingerprint, header: string): void {
  const removed = forgetFingerprint(fingerprint);
  warnOnce(
    'CACHE_ENGINE_FINGERPRINT_WRONG',
    `V8's header of serialized WebAssembly code (${header}) is not the engine fingerprint's (${fingerprint.header.hex})` +
      (removed
        ? `: the header remembered in ${removed} is taken to be wrong and is removed; it is learned again from V8 by the next compile ` +
          '(should this repeat, the process sets V8 flags at run time, which a background producer does not inherit).'
        : '; nothing is cached under it.'),
  );
}

/**
 * Puts an artifact through a store: true when stored, false when a fault the
 * store counted kept it out (the store says its faults itself, once per
 * kind, so saying it again is noise).
 *
 * @throws Error for a refusal the store did not count as a fault (too large
 *   for its capacity, say), for the caller to say.
 */
export async function putArtifact(store: Store, key: string, artifact: Uint8Array): Promise<boolean> {
  const faultsBefore = store.stats().errors;
  const result = await store.put(key, artifact);
  if (result.stored) return true;
  if (store.stats().errors > faultsBefore) return false;
  throw new Error(`the store did not take the artifact: ${result.reason}`);
}

/**
 * Counts a store's `corruptEntries` as they grow, each one once. A store
 * given to the cache may not keep that counter (a JavaScript store reporting
 * only the counters it has): a count that is not a number is 0, so such a
 * store reports no damage rather than NaN.
 */
function storeDamageCounter(store: Store): () => number {
  const count = (): number => {
    const value: unknown = store.stats().corruptEntries;
    return typeof value === 'number' && Number.isFinite(value) ? value : 0;
  };
  let seen = count();
  return () => {
    const now = count();
    const found = Math.max(0, now - seen);
    seen = now;
    return found;
  };
}

/**
 * Codes of a file system that is full (ENOSPC, EDQUOT) or will not be written
 * (EROFS, EACCES, EPERM). Met by the hot tier handing its last snapshot to a
 * detached writer as the process exits, such a fault is the disk's, which the
 * store says itself (`WASM_CACHE_STORE_<CODE>`, once per code) whenever it
 * writes: said again at exit, it would be said by every short-lived process,
 * each ending the same way, as long as the disk stays full. Any other failure
 * (a file where the writer's folder goes, a writer that cannot be started) is
 * still said (`CACHE_ENGINE_HOT_SNAPSHOT_FAILED`).
 */
const DISK_FAULT_CODES: ReadonlySet<string> = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EACCES', 'EPERM']);

/** An artifact read from the store, and the key it was read under (empty when nothing was read). */
export interface StoredArtifact {
  readonly stored: Uint8Array | undefined;
  readonly from: string;
}

/**
 * The running cache: the store, background artifact production and the
 * statistics, built once from a {@link CacheConfig} and shared by any number
 * of engines in the process.
 *
 * @example
 * const cache = new Cache(CacheConfig.default().withDirectory(dir));
 * const a = new Engine(Config.default(), { cache });
 * const b = new Engine(Config.default(), { cache });
 */
export class Cache {
  /** The validated configuration. */
  readonly config: CacheConfig;
  readonly #options: CacheOptions;
  readonly #stats: EngineStats = emptyStats();
  readonly #storages = new Map<string, Promise<ArtifactStorage | undefined>>();
  readonly #opened = new Set<Store>();
  /** Compiles in flight by fingerprint, module hash and tier: concurrent compiles of the same bytes share one. */
  readonly inflight = new Map<string, Promise<WebAssembly.Module>>();
  /** @internal Artifact reads in flight by fingerprint and store key: compiles of one module started together share one read. */
  readonly reads = new Map<string, Promise<StoredArtifact>>();
  /** Background productions by module key: when each has finished. */
  readonly producing = new Map<string, Promise<void>>();
  /**
   * Productions a detached producer finishes on its own (it writes the store
   * itself): when each has been handed to its producer. `close()` waits only
   * for this, so a short-lived process exits without waiting for optimization.
   */
  readonly handedOff = new Map<string, Promise<void>>();
  /** @internal Modules whose hot code is being saved (the `'hot'` artifact tier). */
  readonly hot = new HotSnapshots({
    put: (target, artifact) => this.#putHot(target, artifact),
    putAtExit: (target, artifact) => this.#putHotAtExit(target, artifact),
    failed: (error) =>
      warnOnce(
        'CACHE_ENGINE_HOT_SNAPSHOT_FAILED',
        `Saving the optimized code of a WebAssembly module failed; it still runs, and will be saved by a later run: ${error instanceof Error ? error.message : String(error)}`,
      ),
    fingerprintWrong: (target, header) => reportWrongFingerprint(target.fingerprint, header),
  });
  #closed = false;
  /** @internal Variables a detached writer or producer of this cache gets: the hook's remote tier, when it has one. */
  readonly producerEnv: Readonly<Record<string, string>>;
  /** How a detached writer reopens the remote tier; only with a remote tier. */
  readonly #remoteTierWriter: RemoteTierWriter | undefined;

  /**
   * @throws CacheConfigError when the configuration is invalid.
   * @throws EngineArgumentError when `config` is not a `CacheConfig`, or for `remoteTier` with `store` or the memory backend.
   */
  constructor(config: CacheConfig = CacheConfig.default(), options: CacheOptions = {}) {
    if (!(config instanceof CacheConfig)) {
      throw new EngineArgumentError(
        `new Cache: expected a CacheConfig (CacheConfig.default().withDirectory(...)) from @cache/engine or @cache/config, got ${describeArgument(config)}. ` +
          'A CacheConfig from another copy of @cache/config (a CommonJS require beside an ES import, or two installed versions) is not accepted either.',
      );
    }
    this.config = config.validate();
    if (options.remoteTier && (options.store || options.backend === 'memory')) {
      throw new EngineArgumentError('Cache: remoteTier goes under the cache\'s own disk store; with `store` or the memory backend, build the tiered store yourself');
    }
    this.#options = options;
    this.#remoteTierWriter = options.remoteTier ? options.remoteTierWriter : undefined;
    this.producerEnv = this.#remoteTierWriter ? { [PRODUCER_REMOTE_ENV]: remoteToEnv(this.#remoteTierWriter.remote) } : {};
  }

  /** Whether caching is on (a disabled cache compiles every time). */
  get enabled(): boolean {
    return this.config.enabled && !this.#closed;
  }

  /** @internal The folder this cache keeps files in, when it uses its own disk store (not a given store or memory). */
  get ownDirectory(): string | undefined {
    return this.#options.store === undefined && (this.#options.backend ?? 'disk') === 'disk' && this.enabled ? this.config.directory : undefined;
  }

  /** @internal The counters every engine of this cache adds to. */
  get counters(): EngineStats {
    return this.#stats;
  }

  /**
   * @internal The storage for one engine fingerprint, opened on first use.
   * Resolves undefined (and says why, once) when no store can be opened; the
   * engine then compiles without the cache.
   */
  storage(fingerprint: EngineFingerprint): Promise<ArtifactStorage | undefined> {
    let storage = this.#storages.get(fingerprint.id);
    if (!storage) {
      storage = this.#open(fingerprint);
      this.#storages.set(fingerprint.id, storage);
    }
    return storage;
  }

  async #open(fingerprint: EngineFingerprint): Promise<ArtifactStorage | undefined> {
    const given = this.#options.store;
    if (given) {
      return {
        store: given,
        key: (moduleHash, tier) => `${fingerprint.id}.${moduleHash}.${tier}`,
        delivery: () => ({ kind: 'parent' }),
        lockPath: () => undefined,
        takeStoreDamage: storeDamageCounter(given),
      };
    }
    const backend = this.#options.backend ?? 'disk';
    try {
      // The store names and checks entries with the addon's SHA-256 and CRC-32 (the same as
      // node:crypto's and node:zlib's), so reading one loads neither module.
      const digests = backend === 'disk' ? nativeDigests() : undefined;
      if (digests) provideDigests(digests);
      const compression = this.#options.compression ?? false;
      const own = await createStore(this.config, backend === 'disk' ? { backend, namespace: fingerprint.id, compression } : { backend, namespace: fingerprint.id });
      const remote = this.#options.remoteTier;
      const remoteModule = this.#remoteTierWriter?.module;
      const store = remote ? new TieredStore({ tiers: [own, new RemoteView(remote, fingerprint.id)], label: `${this.config.directory} → remote` }) : own;
      // A detached producer writes the disk store itself, and the remote tier only when it can open that
      // too (the hook's). A remote tier given in code is an object of this process: its artifact comes
      // back here, and goes through both tiers.
      const detached = backend === 'disk' && (remote === undefined || remoteModule !== undefined);
      this.#opened.add(store);
      const settings = this.config.toJSON() as unknown as Record<string, unknown>;
      const locks = join(this.config.directory, '.producers');
      return {
        store,
        ...(own instanceof DiskStore ? { verifiedCrc32: (value: Uint8Array) => own.verifiedContentCrc32(value) } : {}),
        key: (moduleHash, tier) => `${moduleHash}.${tier}`,
        takeStoreDamage: storeDamageCounter(store),
        lockPath: (key) => (backend === 'disk' ? join(locks, `${fingerprint.id}.${key}.lock`) : undefined),
        delivery: (key, lockPath) =>
          detached
            ? { kind: 'store', settings, compression, namespace: fingerprint.id, key, ...(lockPath ? { lockPath } : {}), ...(remoteModule ? { remoteModule } : {}) }
            : { kind: 'parent' },
      };
    } catch (error) {
      warnOnce(
        'CACHE_ENGINE_STORE_UNAVAILABLE',
        `The WebAssembly cache store could not be opened (${error instanceof Error ? error.message : String(error)}); compiling without the cache.`,
      );
      return undefined;
    }
  }

  async #putHot(target: HotTarget, artifact: Uint8Array): Promise<boolean> {
    if (this.#closed || !(await putArtifact(target.storage.store, target.key, artifact))) return false;
    target.record.add('artifactsProduced');
    return true;
  }

  /**
   * At exit nothing asynchronous runs: a detached producer writes the artifact (disk stores only).
   * A full or read-only disk keeps the job file from being written: that is a store fault, which the
   * store says when it writes (once per code), not the hot tier, and not at every process's exit: the
   * snapshot is dropped without a word (see {@link DISK_FAULT_CODES}).
   */
  #putHotAtExit(target: HotTarget, artifact: Uint8Array): void {
    if (this.#closed) return;
    const delivery = target.storage.delivery(target.key, undefined);
    const lockPath = target.storage.lockPath(target.key);
    if (delivery.kind !== 'store' || !lockPath) return;
    try {
      startProducer({ type: 'deliver', artifact, delivery }, this.config.optimizingCompressionTaskTimeout, { jobFile: `${lockPath}.${process.pid}.deliver`, env: this.producerEnv });
    } catch (error) {
      if (DISK_FAULT_CODES.has(errorCode(error))) return;
      throw error;
    }
    target.record.add('artifactsProduced');
  }

  /** Counters of every engine sharing this cache, plus the store's. */
  stats(): CacheStats {
    const stores = [...this.#opened, ...(this.#options.store ? [this.#options.store] : [])];
    const store = stores[0]?.stats();
    return { ...this.#stats, ...(store ? { store } : {}) };
  }

  /** Resolves when no artifact is being produced in the background by this process. */
  async idle(): Promise<void> {
    const keepAlive = setInterval(() => undefined, 1 << 30);
    try {
      while (this.producing.size > 0) await Promise.allSettled([...this.producing.values()]);
    } finally {
      clearInterval(keepAlive);
    }
  }

  /**
   * Closes the stores this cache opened, after the work that needs them:
   * compiles already reading or writing through the cache finish with it;
   * productions whose artifact comes back here are awaited; detached
   * producers (disk store) are awaited only until they have started, and
   * finish on their own. Engines using a closed cache compile without it,
   * and a compile caught by the close midway still gets its module.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    const keepAlive = setInterval(() => undefined, 1 << 30);
    try {
      await Promise.allSettled([...this.inflight.values()]);
      // What the modules made hot so far is saved now, while the store is open.
      await this.hot.stop(true);
      await Promise.allSettled([...this.producing].map(([key, finished]) => this.handedOff.get(key) ?? finished));
    } finally {
      clearInterval(keepAlive);
    }
    this.#closed = true;
    await Promise.allSettled([...this.#opened].map((store) => store.close()));
    this.#opened.clear();
  }
}
