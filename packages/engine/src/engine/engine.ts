import { Config } from '@cache/config';
import { deserialize as loadSerialized } from '@cache/v8';
import { checkArtifactBelongs, decodeArtifact, type ArtifactFields } from '../artifact/artifact-format.js';
import { moduleHash } from '../artifact/checksum.js';
import { Cache, type ArtifactStorage } from '../cache/cache.js';
import { compileChannel, warnOnce } from '../diagnostics/warn-once.js';
import {
  ArtifactIncompatibleError,
  ArtifactInvalidError,
  EngineArgumentError,
  NativeUnavailableError,
  ProducerError,
} from '../errors/engine-errors.js';
import { engineFingerprint, type EngineFingerprint } from '../fingerprint/engine-fingerprint.js';
import { tryAcquireProducerLock } from '../producer/producer-lock.js';
import { startProducer } from '../producer/producer-client.js';
import { emptyStats, StatsRecorder, type EngineStats } from '../stats/engine-stats.js';
import { asUint8Array, originalWasm, type WasmBytes } from '../wasm/wasm-api.js';

/** Options of an {@link Engine}. */
export interface EngineOptions {
  /**
   * A running cache to share with other engines. By default the engine
   * builds its own from `config.cache`.
   */
  cache?: Cache;
}

/** How one compile was served, as reported on the `cache:engine:compile` channel. */
export type CompileOutcome = 'hit' | 'miss' | 'uncached';

/**
 * Compiles WebAssembly through the cache: a module whose optimized code was
 * saved before is loaded from V8's serialized code instead of being compiled.
 *
 * On a miss the engine compiles normally and returns at once; the optimized
 * artifact is made off the hot path and written through the store, so the
 * next process loads optimized code from its first call. With the default
 * `'hot'` tier (`Config.withArtifactTier`) it is the code V8 optimized while
 * the module ran here, saved on timers, at `close()` and at exit, and grown by
 * later runs; with `'full'` every function is compiled by TurboFan in a
 * process of its own (V8 flags are process-wide). Every artifact is verified (checksum,
 * module bytes, engine fingerprint) before a byte of it reaches V8; a damaged
 * or foreign one is removed and counted, and the caller still gets a module.
 * The cache never breaks a compile: when it cannot work (native addon
 * missing, store unwritable) it compiles normally and says why once.
 *
 * @example
 * const engine = new Engine(Config.default().cacheConfig(CacheConfig.default().withDirectory(dir).withCapacity('1Gi')));
 * const module = await engine.compile(wasmBytes);
 * const instance = await WebAssembly.instantiate(module, imports);
 */
export class Engine {
  /** The engine-level configuration. */
  readonly config: Config;
  /** The running cache this engine uses (its own, or the shared one it was given). */
  readonly cache: Cache;
  readonly #ownsCache: boolean;
  readonly #stats: EngineStats = emptyStats();
  readonly #record: StatsRecorder;

  /**
   * @throws CacheConfigError when the configuration is invalid.
   */
  constructor(config: Config = Config.default(), options: EngineOptions = {}) {
    this.config = config.validate();
    this.#ownsCache = options.cache === undefined;
    this.cache = options.cache ?? new Cache(config.cache, { compression: config.artifactCompression });
    this.#record = new StatsRecorder(this.#stats, this.cache.counters);
  }

  /**
   * Compiles module bytes, from the cache when it holds this module's
   * optimized code for this engine.
   *
   * @throws TypeError when `bytes` is not a buffer; rejects with
   *   `WebAssembly.CompileError` when the bytes are not a valid module, exactly
   *   as `WebAssembly.compile` does.
   */
  async compile(bytes: WasmBytes): Promise<WebAssembly.Module> {
    const wire = asUint8Array(bytes);
    if (!wire) throw new TypeError('Engine.compile: expected an ArrayBuffer or a typed array of WebAssembly module bytes');
    this.#record.add('compiles');
    const context = await this.#context();
    if (!context) return this.#compileUncached(wire);
    const hash = moduleHash(wire);
    const key = context.storage.key(hash, this.config.artifactTier);
    const inflight = this.cache.inflight;
    let pending = inflight.get(key);
    if (!pending) {
      pending = this.#compileCached(wire, hash, key, context).finally(() => inflight.delete(key));
      inflight.set(key, pending);
    }
    return pending;
  }

  /**
   * Compiles and instantiates, like `WebAssembly.instantiate(bytes, imports)`.
   */
  async instantiate(bytes: WasmBytes, imports?: object): Promise<{ module: WebAssembly.Module; instance: unknown }> {
    const module = await this.compile(bytes);
    const instance = await originalWasm.instantiate(module, imports);
    return { module, instance };
  }

  /**
   * Compiles a module with full optimization, in a separate process, and
   * returns a portable artifact (module hash, engine fingerprint, checksum,
   * V8's serialized code): the equivalent of `wasmtime compile`. Load it with
   * {@link Engine.deserialize} in any process with the same
   * {@link Engine.precompileCompatibilityHash}.
   *
   * @throws NativeUnavailableError when the native addon cannot be used here.
   * @throws ProducerError when the module cannot be compiled (the message says why).
   */
  async precompile(bytes: WasmBytes): Promise<Uint8Array> {
    const wire = asUint8Array(bytes);
    if (!wire) throw new EngineArgumentError('Engine.precompile: expected module bytes');
    const fingerprint = await this.#fingerprint(true);
    const hash = moduleHash(wire);
    const { result } = startProducer(
      { type: 'job', wireBytes: wire, moduleHash: hash, fingerprintId: fingerprint.id, expectedHeader: fingerprint.header.hex, delivery: { kind: 'parent' } },
      this.config.cache.optimizingCompressionTaskTimeout,
    );
    const keepAlive = setInterval(() => undefined, 1 << 30);
    try {
      const reply = await result;
      if (reply.type !== 'artifact') throw new ProducerError(`unexpected producer reply ${reply.type}`);
      return reply.artifact;
    } finally {
      clearInterval(keepAlive);
    }
  }

  /**
   * Loads an artifact from {@link Engine.precompile}, after verifying it is
   * intact, belongs to `bytes`, and was made by an engine like this one: the
   * equivalent of Wasmtime's `Module::deserialize`, but safe: nothing reaches
   * V8 unverified.
   *
   * @throws ArtifactInvalidError when the artifact is damaged or for other bytes.
   * @throws ArtifactIncompatibleError when it was made by another engine.
   * @throws NativeUnavailableError when the native addon cannot be used here.
   */
  async deserialize(artifact: Uint8Array, bytes: WasmBytes): Promise<WebAssembly.Module> {
    const wire = asUint8Array(bytes);
    if (!wire || !(artifact instanceof Uint8Array)) throw new EngineArgumentError('Engine.deserialize: expected (artifact: Uint8Array, bytes: module bytes)');
    const fingerprint = await this.#fingerprint(true);
    const fields = decodeArtifact(artifact);
    checkArtifactBelongs(fields, moduleHash(wire), fingerprint);
    const { module, acceptedByV8 } = await loadSerialized(fields.payload, wire);
    if (!acceptedByV8) throw new ArtifactIncompatibleError('(rejected by V8)', fingerprint.id);
    return module;
  }

  /**
   * A hash that is equal in two processes exactly when they can share
   * artifacts (same Node.js and V8, CPU features and V8 flags).
   *
   * @throws NativeUnavailableError when the native addon cannot be used here.
   */
  async precompileCompatibilityHash(): Promise<string> {
    return (await this.#fingerprint(true)).id;
  }

  /**
   * Whether the cache holds an optimized artifact for these bytes (produced
   * and stored, possibly by another process; for the hot tier, a full
   * artifact counts too, as `compile` would load it). Does not verify it: a later
   * `compile` still does.
   */
  async isCached(bytes: WasmBytes): Promise<boolean> {
    const wire = asUint8Array(bytes);
    if (!wire) throw new EngineArgumentError('Engine.isCached: expected module bytes');
    const context = await this.#context();
    if (!context) return false;
    const { storage } = context;
    const hash = moduleHash(wire);
    if (await storage.store.has(storage.key(hash, this.config.artifactTier))) return true;
    return this.config.artifactTier === 'hot' && storage.store.has(storage.key(hash, 'full'));
  }

  /** This engine's counters. */
  stats(): EngineStats {
    return { ...this.#stats };
  }

  /** Resolves when background artifact production started by this process has finished. */
  idle(): Promise<void> {
    return this.cache.idle();
  }

  /** Waits for background work and closes the cache if this engine owns it. */
  async close(): Promise<void> {
    if (this.#ownsCache) await this.cache.close();
  }

  async #fingerprint(required: true): Promise<EngineFingerprint>;
  async #fingerprint(required: false): Promise<EngineFingerprint | undefined>;
  async #fingerprint(required: boolean): Promise<EngineFingerprint | undefined> {
    const memoDirectory = this.cache.ownDirectory;
    const result = await engineFingerprint(memoDirectory === undefined ? {} : { memoDirectory });
    if (result.ok) return result.fingerprint;
    if (required) throw new NativeUnavailableError(result.reason);
    warnOnce('CACHE_ENGINE_NATIVE_UNAVAILABLE', `V8's compiled-code cache is not available, so WebAssembly is compiled normally: ${result.reason}`);
    return undefined;
  }

  async #context(): Promise<{ fingerprint: EngineFingerprint; storage: ArtifactStorage } | undefined> {
    if (!this.cache.enabled) return undefined;
    const fingerprint = await this.#fingerprint(false);
    if (!fingerprint) return undefined;
    const storage = await this.cache.storage(fingerprint);
    return storage ? { fingerprint, storage } : undefined;
  }

  async #compileUncached(wire: Uint8Array): Promise<WebAssembly.Module> {
    this.#record.add('uncached');
    const started = performance.now();
    const module = await originalWasm.compile(wire);
    this.#publish('uncached', undefined, performance.now() - started);
    return module;
  }

  async #compileCached(
    wire: Uint8Array,
    hash: string,
    key: string,
    context: { fingerprint: EngineFingerprint; storage: ArtifactStorage },
  ): Promise<WebAssembly.Module> {
    const { fingerprint, storage } = context;
    const started = performance.now();
    const { stored, from } = await this.#read(storage, hash, key);
    if (stored) {
      const fields = await this.#verify(stored, hash, fingerprint, storage, from);
      if (fields) {
        const { module, acceptedByV8 } = await loadSerialized(fields.payload, wire);
        const loadMs = performance.now() - started;
        if (acceptedByV8) {
          this.#record.add('hits');
          this.#record.add('bytesLoaded', stored.byteLength);
          this.#record.add('loadMs', loadMs);
          this.#record.add('timeSavedMs', Math.max(0, fields.compileMs - loadMs));
          this.#publish('hit', hash, loadMs);
          // A full artifact already holds every function optimized: nothing hot to add.
          if (fields.tier === 'hot') this.#trackHot(module, hash, key, context, fields.compileMs, fields.payload.byteLength);
          return module;
        }
        // V8 refused code that passed every check: drop it and make a fresh one. The module is usable
        // (V8 compiled the wire bytes instead).
        this.#record.add('rejectedByV8');
        await storage.store.delete(from);
        this.#fill(module, wire, hash, key, context, loadMs);
        this.#record.add('misses');
        this.#publish('miss', hash, loadMs);
        return module;
      }
    }
    this.#record.add('misses');
    const module = await originalWasm.compile(wire);
    const compileMs = performance.now() - started;
    this.#record.add('compileMs', compileMs);
    this.#publish('miss', hash, compileMs);
    this.#fill(module, wire, hash, key, context, compileMs);
    return module;
  }

  /**
   * Reads the artifact for a module: its own tier's, else, for the hot tier,
   * a full one (from `precompile`-style production or a full-tier engine),
   * which holds everything a hot one would.
   */
  async #read(storage: ArtifactStorage, hash: string, key: string): Promise<{ stored: Uint8Array | undefined; from: string }> {
    const stored = await storage.store.get(key);
    if (stored || this.config.artifactTier !== 'hot') return { stored, from: key };
    const fullKey = storage.key(hash, 'full');
    return { stored: await storage.store.get(fullKey), from: fullKey };
  }

  /** After a miss: saves the module's hot code as it runs, or has a producer make the full artifact. */
  #fill(module: WebAssembly.Module, wire: Uint8Array, hash: string, key: string, context: { fingerprint: EngineFingerprint; storage: ArtifactStorage }, compileMs: number): void {
    if (this.config.artifactTier === 'hot') this.#trackHot(module, hash, key, context, compileMs, 0);
    else this.#produce(wire, hash, key, context.fingerprint, context.storage);
  }

  /** Hot tier: saves the code V8 optimizes for this module in this process, as it grows. */
  #trackHot(module: WebAssembly.Module, hash: string, key: string, context: { fingerprint: EngineFingerprint; storage: ArtifactStorage }, compileMs: number, storedBytes: number): void {
    if (this.config.artifactTier !== 'hot') return;
    this.cache.hot.track({ module, moduleHash: hash, key, fingerprint: context.fingerprint, storage: context.storage, compileMs, record: this.#record, storedBytes });
  }

  /** Checks a stored artifact; a bad one is removed, counted and reported, and undefined returned. */
  async #verify(stored: Uint8Array, hash: string, fingerprint: EngineFingerprint, storage: ArtifactStorage, key: string): Promise<ArtifactFields | undefined> {
    try {
      // A store that guarantees it returns exactly what was put (its own checksum, checked on this read)
      // spares checksumming the payload twice; every other check runs regardless.
      const fields = decodeArtifact(stored, { verifyChecksum: storage.store.capabilities.verifiesContent !== true });
      checkArtifactBelongs(fields, hash, fingerprint);
      return fields;
    } catch (error) {
      if (error instanceof ArtifactIncompatibleError) this.#record.add('incompatibleArtifacts');
      else if (error instanceof ArtifactInvalidError) this.#record.add('corruptArtifacts');
      else throw error;
      await storage.store.delete(key);
      warnOnce('CACHE_ENGINE_ARTIFACT_DAMAGED', `A cached WebAssembly artifact was unusable and was removed; compiling instead (${error.message}).`);
      return undefined;
    }
  }

  /** Starts background production of the optimized artifact for a module, once per key across processes. */
  #produce(wire: Uint8Array, hash: string, key: string, fingerprint: EngineFingerprint, storage: ArtifactStorage): void {
    const producing = this.cache.producing;
    if (producing.has(key)) return;
    const lockPath = storage.lockPath(key);
    const timeoutMs = this.cache.config.optimizingCompressionTaskTimeout;
    const lock = lockPath ? tryAcquireProducerLock(lockPath, timeoutMs) : undefined;
    if (lockPath && !lock) return; // another process is producing it (or locks cannot be taken here)
    // Copy now: the caller may reuse its buffer once compile() returns.
    const wireBytes = new Uint8Array(wire);
    let handedOff: () => void = () => undefined;
    const handOff = new Promise<void>((resolve) => {
      handedOff = resolve;
    });
    const work = (async () => {
      // Another process may have stored the artifact and released its lock between our miss and our lock.
      if (lock && (await storage.store.has(key))) {
        lock.release();
        return;
      }
      const delivery = storage.delivery(key, lock?.path);
      let handle: ReturnType<typeof startProducer>;
      try {
        handle = startProducer(
          { type: 'job', wireBytes, moduleHash: hash, fingerprintId: fingerprint.id, expectedHeader: fingerprint.header.hex, delivery },
          timeoutMs,
        );
      } catch (error) {
        lock?.release();
        throw error;
      }
      if (handle.child.pid !== undefined) lock?.handOver(handle.child.pid);
      if (delivery.kind === 'store') {
        await handle.sent;
        handedOff();
      }
      try {
        const reply = await handle.result;
        if (reply.type === 'artifact') {
          const result = await storage.store.put(key, reply.artifact);
          if (result.stored) this.#record.add('artifactsProduced');
        } else if (reply.type === 'stored' && reply.stored) {
          this.#record.add('artifactsProduced');
        }
      } finally {
        if (delivery.kind === 'parent') lock?.release();
      }
    })()
      .catch((error: unknown) => this.#producerFailed(error))
      .finally(() => {
        producing.delete(key);
        this.cache.handedOff.delete(key);
        handedOff();
      });
    producing.set(key, work);
    if (lock) this.cache.handedOff.set(key, handOff);
  }

  #producerFailed(error: unknown): void {
    this.#record.add('producerFailures');
    warnOnce('CACHE_ENGINE_PRODUCER_FAILED', `Producing an optimized WebAssembly artifact failed; modules still compile normally: ${error instanceof Error ? error.message : String(error)}`);
  }

  #publish(outcome: CompileOutcome, hash: string | undefined, ms: number): void {
    if (compileChannel.hasSubscribers) compileChannel.publish({ outcome, moduleHash: hash, ms });
  }
}
