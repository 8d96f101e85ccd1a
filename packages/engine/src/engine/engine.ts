import { CacheConfig, Config } from '@cache/config';
import { addonStatus, deserialize as loadSerialized } from '@cache/v8';
import { clockMs, type Store } from '@cache/store';
import { ARTIFACT_HEADER_SIZE, checkArtifactBelongs, decodeArtifact, peekModuleHash, type ArtifactFields, type ArtifactTier } from '../artifact/artifact-format.js';
import { moduleHash, moduleHashInSteps } from '../artifact/module-hash.js';
import { isExactLookup, lookupId } from '../artifact/module-lookup.js';
import { Cache, putArtifact, reportWrongFingerprint, type ArtifactStorage, type RemoteTierWriter, type StoredArtifact } from '../cache/cache.js';
import { compileChannel, warnOnce } from '../diagnostics/warn-once.js';
import {
  ArtifactIncompatibleError,
  ArtifactInvalidError,
  describeArgument,
  EngineArgumentError,
  NativeUnavailableError,
  ProducerError,
} from '../errors/engine-errors.js';
import { engineFingerprint, wrongRememberedHeader, type EngineFingerprint } from '../fingerprint/engine-fingerprint.js';
import type { HandedOverModule } from '../hot/hot-snapshots.js';
import { takeProducerFailureNote, tryAcquireProducerLock, type ProducerLock } from '../producer/producer-lock.js';
import { startProducer } from '../producer/producer-client.js';
import { refusalStillHolding } from '../producer/refusal-note.js';
import { emptyStats, StatsRecorder, type EngineStats } from '../stats/engine-stats.js';
import { asUint8Array, isSharedMemory, originalWasm, privateCopyOf, type WasmBytes } from '../wasm/wasm-api.js';

/** Options of an {@link Engine}. */
export interface EngineOptions {
  /**
   * A running cache to share with other engines. By default the engine
   * builds its own from `config.cache`. With one, the cache's configuration
   * decides where and whether artifacts are stored (and whether compressed):
   * the engine's `config.cache` and `artifactCompression` are then not used,
   * only its artifact tier.
   */
  cache?: Cache;
  /**
   * A shared store under the engine's own cache's disk store (see
   * `CacheOptions.remoteTier`), for an engine that builds its own cache.
   */
  remoteTier?: Store;
  /** @internal See `CacheOptions.remoteTierWriter`. */
  remoteTierWriter?: RemoteTierWriter;
}

/** Options of {@link Engine.compile}. */
export interface EngineCompileOptions {
  /**
   * The URL the module came from, as `WebAssembly.compileStreaming` takes it
   * from a Response: stack traces and the inspector name the module's code by
   * it (`https://host/app.wasm:wasm-function[3]:0x1f`), cached or not. Without
   * one the module is named `wasm://wasm/<hash>`, as by `WebAssembly.compile`.
   * It does not change what is cached. Needs the native addon: where it cannot
   * be used, the module is compiled without a URL. V8 names a module by the
   * URL it had when this process first compiled the same bytes.
   */
  url?: string;
  /**
   * V8's compile options for JS string builtins (`builtins: ['js-string']`,
   * `importedStringConstants`), as `WebAssembly.compile` takes them: a
   * compile given either goes to V8 with them, uncached (they change what is
   * compiled, and the cache does not key on them), as the `--import` hook
   * does with calls that pass options.
   */
  builtins?: readonly string[];
  /** See {@link EngineCompileOptions.builtins}. */
  importedStringConstants?: string;
}

/** The engine configuration a constructor argument stands for; anything else is a programmer error, said plainly. */
function engineConfig(config: unknown): Config {
  if (config instanceof Config) return config;
  if (config instanceof CacheConfig) return Config.default().cacheConfig(config);
  throw new EngineArgumentError(
    `new Engine: expected a Config (Config.default().cacheConfig(...)) or a CacheConfig from @cache/engine or @cache/config, got ${describeArgument(config)}. ` +
      'A Config from another copy of @cache/config (a CommonJS require beside an ES import, or two installed versions) is not accepted either.',
  );
}

/** No serialized code: `@cache/v8`'s loader then compiles the wire bytes (named by a URL). */
const NO_CODE = new Uint8Array(0);

/** What a read found: nothing when the store had no artifact. */
const NOTHING_READ: StoredArtifact = { stored: undefined, from: '' };

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
   * @param config the engine configuration; a `CacheConfig` alone stands for
   *   `Config.default().cacheConfig(config)`.
   * @throws CacheConfigError when the configuration is invalid.
   * @throws EngineArgumentError when `config` is neither a `Config` nor a
   *   `CacheConfig`, when `cache` is not a `Cache`, or for `remoteTier` with `cache`.
   */
  constructor(config: Config | CacheConfig = Config.default(), options: EngineOptions = {}) {
    this.config = engineConfig(config).validate();
    this.#ownsCache = options.cache === undefined;
    if (options.cache !== undefined && !(options.cache instanceof Cache)) {
      throw new EngineArgumentError(
        `new Engine: options.cache must be a Cache (new Cache(cacheConfig)) from this copy of @cache/engine, got ${describeArgument(options.cache)}`,
      );
    }
    const remoteTier = options.remoteTier;
    if (remoteTier && options.cache) throw new EngineArgumentError('Engine: remoteTier is for the cache the engine builds; give it to the Cache you pass instead (CacheOptions.remoteTier)');
    const remoteTierWriter = options.remoteTierWriter;
    this.cache =
      options.cache ??
      new Cache(this.config.cache, { compression: this.config.artifactCompression, ...(remoteTier ? { remoteTier } : {}), ...(remoteTierWriter ? { remoteTierWriter } : {}) });
    this.#record = new StatsRecorder(this.#stats, this.cache.counters);
  }

  /**
   * Compiles module bytes, from the cache when it holds this module's
   * optimized code for this engine.
   *
   * Unlike `WebAssembly.compile`, the bytes are not copied first (a copy of a
   * large module costs more than the rest of a load): do not change them
   * until the returned promise settles. Bytes in a `SharedArrayBuffer`, which
   * another thread may change at any time, are copied.
   *
   * @param options the module's URL (see {@link EngineCompileOptions}).
   * @throws TypeError when `bytes` is not a buffer; rejects with
   *   `WebAssembly.CompileError` when the bytes are not a valid module, as
   *   `WebAssembly.compile` does (`compileStreaming`, given a URL).
   * @throws EngineArgumentError when `options.url` is not a string.
   */
  async compile(bytes: WasmBytes, options?: EngineCompileOptions | null): Promise<WebAssembly.Module> {
    const view = asUint8Array(bytes);
    if (!view) throw new TypeError('Engine.compile: expected an ArrayBuffer or a typed array of WebAssembly module bytes');
    const url = options?.url === '' ? undefined : options?.url;
    if (url !== undefined && typeof url !== 'string') throw new EngineArgumentError(`Engine.compile: options.url must be a string, got ${typeof url}`);
    if (options?.builtins !== undefined || options?.importedStringConstants !== undefined) {
      // V8's own compile options: what they make is not what the cache keys on.
      this.#record.add('compiles');
      const { builtins, importedStringConstants } = options;
      return this.#compileUncached(view, undefined, { ...(builtins === undefined ? {} : { builtins }), ...(importedStringConstants === undefined ? {} : { importedStringConstants }) });
    }
    // Memory another thread can write at any moment is copied first, whatever the caller promises:
    // bytes checked against an artifact must be the bytes V8 gets with it.
    const wire = isSharedMemory(view) ? view.slice() : view;
    this.#record.add('compiles');
    const fingerprint = await this.#cachingFingerprint();
    if (!fingerprint) return this.#compileUncached(wire, url);
    const started = clockMs();
    // The store opens and reads the artifact (found by the module's lookup id) while the module is
    // hashed: for a large module the two take about as long as each other.
    const opening = this.cache.storage(fingerprint);
    const lookup = lookupId(wire);
    const found = opening.then((storage) => (storage ? this.#sharedRead(storage, fingerprint, lookup) : NOTHING_READ));
    const hash = isExactLookup(lookup) ? lookup : await moduleHashInSteps(wire);
    const storage = await opening;
    if (!storage) return this.#compileUncached(wire, url);
    const context = { fingerprint, storage };
    // Single flight by the module's full hash: a lookup id may be shared by another module. Not by URL: V8
    // names every module of the same bytes by the first one's, so a compile with another URL gains nothing.
    const flight = `${fingerprint.id}.${hash}.${this.config.artifactTier}`;
    const inflight = this.cache.inflight;
    const pending = inflight.get(flight);
    if (pending) {
      this.#record.add('joined');
      // Each caller gets a module object of its own, as from WebAssembly.compile: a clone shares the
      // compiled code (no compile), but not properties or WeakMap entries one caller attaches.
      return pending.then((module) => structuredClone(module));
    }
    const compiling = this.#compileCached(wire, url, hash, lookup, found, context, started).finally(() => inflight.delete(flight));
    inflight.set(flight, compiling);
    return compiling;
  }

  /**
   * @internal Whether `patchWebAssembly` routes streaming sources (Responses)
   * through this engine: only where the native addon can be used. Without it
   * nothing is cached, and V8's own streaming functions keep what a compile
   * from bytes cannot (the module named by the Response's URL).
   */
  routesStreaming(): boolean {
    return addonStatus().available;
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
    try {
      return await this.#precompileFor(wire, hash, fingerprint);
    } catch (error) {
      // The producer's V8 header is not the one remembered in the cache folder: that memory was wrong.
      // It is forgotten (said once), learned again from V8, and the artifact made for the right one.
      if (!(error instanceof ProducerError) || error.producerHeader === undefined || fingerprint.rememberedIn === undefined) throw error;
      reportWrongFingerprint(fingerprint, error.producerHeader);
      return this.#precompileFor(wire, hash, await this.#fingerprint(true));
    }
  }

  /** Has a producer make the portable artifact of a module for a fingerprint. */
  async #precompileFor(wire: Uint8Array, hash: string, fingerprint: EngineFingerprint): Promise<Uint8Array> {
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
   * V8 unverified. The artifact is copied first; as with {@link Engine.compile},
   * `bytes` are not (unless in a `SharedArrayBuffer`): do not change them
   * until the returned promise settles.
   *
   * @throws ArtifactInvalidError when the artifact is damaged or for other bytes.
   * @throws ArtifactIncompatibleError when it was made by another engine.
   * @throws NativeUnavailableError when the native addon cannot be used here.
   */
  async deserialize(artifact: Uint8Array, bytes: WasmBytes): Promise<WebAssembly.Module> {
    const view = asUint8Array(bytes);
    // The artifact is checked and handed to V8 as a copy of its own (V8 reads it later, and runs
    // whatever code it is given); the module bytes are copied when another thread can change them.
    const copy = privateCopyOf(artifact);
    if (!view || !copy) throw new EngineArgumentError('Engine.deserialize: expected (artifact: Uint8Array, bytes: module bytes)');
    const wire = isSharedMemory(view) ? view.slice() : view;
    const fingerprint = await this.#fingerprint(true);
    const fields = decodeArtifact(copy);
    const hash = moduleHash(wire);
    try {
      checkArtifactBelongs(fields, hash, fingerprint);
    } catch (error) {
      // Refused as another engine's under a header remembered in the cache folder: V8 is asked for its
      // header, and when that memory was wrong it is forgotten (said once), learned again, and checked again.
      const actual = error instanceof ArtifactIncompatibleError ? await wrongRememberedHeader(fingerprint) : undefined;
      if (actual === undefined) throw error;
      reportWrongFingerprint(fingerprint, actual);
      checkArtifactBelongs(fields, hash, await this.#fingerprint(true));
    }
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
    const lookup = lookupId(wire);
    const hash = isExactLookup(lookup) ? lookup : moduleHash(wire);
    try {
      for (const tier of this.#loadableTiers()) {
        if (await this.#holds(context.storage, lookup, hash, tier)) return true;
      }
    } catch (error) {
      // As for a compile: a store that fails holds nothing usable (said once); a closed one, nothing.
      if (this.cache.enabled) warnOnce('CACHE_ENGINE_STORE_FAILED', `Reading the WebAssembly cache failed (${error instanceof Error ? error.message : String(error)}).`);
    }
    return false;
  }

  /**
   * @internal For `@cache/engine/register` in the main thread: saves the hot
   * code of a module a worker thread of this process compiled through its
   * hook, as if compiled here (a worker thread may be stopped by
   * `worker.terminate()` or by its process's end before it saves it itself).
   * Resolves whether the module is tracked: only by a hot-tier engine over
   * the same cache folder, with the same engine fingerprint.
   */
  async adoptHandedOver(handed: HandedOverModule): Promise<boolean> {
    const directory = this.cache.ownDirectory;
    if (this.config.artifactTier !== 'hot' || directory === undefined || directory !== handed.directory) return false;
    const context = await this.#context();
    if (!context || context.fingerprint.id !== handed.fingerprintId) return false;
    this.#trackHot(handed.module, handed.moduleHash, handed.key, context, handed.compileMs, handed.storedBytes);
    return true;
  }

  /** Whether the store holds an artifact of this module for a tier, under its lookup id or (after a shared sampled id) its hash. */
  async #holds(storage: ArtifactStorage, lookup: string, hash: string, tier: ArtifactTier): Promise<boolean> {
    if (isExactLookup(lookup)) return storage.store.has(storage.key(hash, tier));
    // The artifact's header names its module: a store that can read just that is spared the whole artifact.
    const key = storage.key(lookup, tier);
    const stored = storage.store.peek ? await storage.store.peek(key, ARTIFACT_HEADER_SIZE) : await storage.store.get(key);
    if (stored && peekModuleHash(stored) === hash) return true;
    return storage.store.has(storage.key(hash, tier));
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

  /** The fingerprint when this engine caches at all: undefined when the cache is off or V8's code cache is unavailable (said once). */
  async #cachingFingerprint(): Promise<EngineFingerprint | undefined> {
    return this.cache.enabled ? this.#fingerprint(false) : undefined;
  }

  async #context(): Promise<{ fingerprint: EngineFingerprint; storage: ArtifactStorage } | undefined> {
    const fingerprint = await this.#cachingFingerprint();
    if (!fingerprint) return undefined;
    const storage = await this.cache.storage(fingerprint);
    return storage ? { fingerprint, storage } : undefined;
  }

  async #compileUncached(wire: Uint8Array, url: string | undefined, v8Options?: object): Promise<WebAssembly.Module> {
    const started = clockMs();
    const module = await this.#compileNormally(wire, url, v8Options);
    this.#record.add('uncached');
    this.#publish('uncached', undefined, clockMs() - started);
    return module;
  }

  /**
   * V8's own compile (through its streaming path when the module has a URL to
   * be named by); bytes that are not a valid module are counted as such, and
   * the rejection passed on.
   */
  async #compileNormally(wire: Uint8Array, url: string | undefined, v8Options?: object): Promise<WebAssembly.Module> {
    try {
      if (v8Options !== undefined) return await originalWasm.compile(wire, v8Options);
      // (No bytes: V8's own compile, for its own error.)
      if (url !== undefined && wire.byteLength > 0 && addonStatus().available) return (await loadSerialized(NO_CODE, wire, { url })).module;
      return await originalWasm.compile(wire);
    } catch (error) {
      this.#record.add('invalid');
      throw error;
    }
  }

  async #compileCached(
    wire: Uint8Array,
    url: string | undefined,
    hash: string,
    lookup: string,
    found: Promise<StoredArtifact>,
    context: { fingerprint: EngineFingerprint; storage: ArtifactStorage },
    started: number,
  ): Promise<WebAssembly.Module> {
    const { storage } = context;
    const { key, hit } = await this.#lookUp(context, hash, lookup, found);
    if (hit) {
      const { fields, stored, from } = hit;
      const { module, acceptedByV8 } = await loadSerialized(fields.payload, wire, url === undefined ? {} : { url });
      const loadMs = clockMs() - started;
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
      warnOnce(
        'CACHE_ENGINE_ARTIFACT_DAMAGED',
        `V8 refused a cached WebAssembly artifact that passed every check (${from}: made for another V8 or other V8 flags than its fingerprint says); it was removed and the module compiled instead.`,
      );
      await this.#remove(storage, from);
      this.#fill(module, wire, hash, key, context, loadMs);
      this.#record.add('misses');
      this.#publish('miss', hash, loadMs);
      return module;
    }
    const module = await this.#compileNormally(wire, url);
    const compileMs = clockMs() - started;
    this.#record.add('misses');
    this.#record.add('compileMs', compileMs);
    this.#publish('miss', hash, compileMs);
    this.#fill(module, wire, hash, key, context, compileMs);
    return module;
  }

  /**
   * Finds a module's verified artifact, and the key its artifacts are stored
   * under: its lookup id's, unless another module with the same sampled id
   * holds that one, in which case its full hash's.
   */
  async #lookUp(
    context: { fingerprint: EngineFingerprint; storage: ArtifactStorage },
    hash: string,
    lookup: string,
    found: Promise<StoredArtifact>,
  ): Promise<{ key: string; hit?: { fields: ArtifactFields; stored: Uint8Array; from: string } }> {
    const { fingerprint, storage } = context;
    let key = storage.key(lookup, this.config.artifactTier);
    let read = await found;
    let fields = read.stored && (await this.#decode(read.stored, storage, read.from));
    if (fields && fields.moduleHash !== hash && !isExactLookup(lookup)) {
      key = storage.key(hash, this.config.artifactTier);
      read = await this.#read(storage, hash);
      fields = read.stored && (await this.#decode(read.stored, storage, read.from));
    }
    if (!fields || !read.stored || !(await this.#belongs(fields, hash, fingerprint, storage, read.from))) return { key };
    return { key, hit: { fields, stored: read.stored, from: read.from } };
  }

  /** One read per artifact at a time: compiles of the same module started together share it. */
  #sharedRead(storage: ArtifactStorage, fingerprint: EngineFingerprint, id: string): Promise<StoredArtifact> {
    const reads = this.cache.reads;
    const readKey = `${fingerprint.id}.${storage.key(id, this.config.artifactTier)}`;
    let read = reads.get(readKey);
    if (!read) {
      read = this.#read(storage, id).finally(() => reads.delete(readKey));
      reads.set(readKey, read);
    }
    return read;
  }

  /**
   * Reads the artifact stored under an id (a lookup id or a module hash): its
   * own tier's, else, for the hot tier, a full one (from `precompile`-style
   * production or a full-tier engine), which holds everything a hot one would.
   * A store that fails (throws) is a miss, said once.
   */
  async #read(storage: ArtifactStorage, id: string): Promise<StoredArtifact> {
    let from = storage.key(id, this.config.artifactTier);
    try {
      for (const tier of this.#loadableTiers()) {
        from = storage.key(id, tier);
        const stored = await storage.store.get(from);
        this.#countStoreDamage(storage);
        if (stored) return { stored, from };
      }
      return { stored: undefined, from };
    } catch (error) {
      // A store closed with its cache while this compile ran is no failure.
      if (this.cache.enabled) warnOnce('CACHE_ENGINE_STORE_FAILED', `Reading the WebAssembly cache failed; compiling instead (${error instanceof Error ? error.message : String(error)}).`);
      return { stored: undefined, from };
    }
  }

  /** The tiers whose artifacts this engine loads, its own first: a hot engine also loads a full artifact, which holds everything a hot one would. */
  #loadableTiers(): ArtifactTier[] {
    return this.config.artifactTier === 'hot' ? ['hot', 'full'] : [this.config.artifactTier];
  }

  /** After a miss: saves the module's hot code as it runs, or has a producer make the full artifact. */
  #fill(module: WebAssembly.Module, wire: Uint8Array, hash: string, key: string, context: { fingerprint: EngineFingerprint; storage: ArtifactStorage }, compileMs: number): void {
    if (this.config.artifactTier === 'hot') this.#trackHot(module, hash, key, context, compileMs, 0);
    else this.#produce(wire, hash, key, context.fingerprint, context.storage);
  }

  /** Hot tier: saves the code V8 optimizes for this module in this process, as it grows. */
  #trackHot(module: WebAssembly.Module, hash: string, key: string, context: { fingerprint: EngineFingerprint; storage: ArtifactStorage }, compileMs: number, storedBytes: number): void {
    if (this.config.artifactTier !== 'hot' || !this.cache.enabled) return;
    this.cache.hot.track({ module, moduleHash: hash, key, fingerprint: context.fingerprint, storage: context.storage, compileMs, record: this.#record, storedBytes });
  }

  /** Reads an artifact's fields, checking it is intact; a damaged one is removed, counted and reported, and undefined returned. */
  async #decode(stored: Uint8Array, storage: ArtifactStorage, key: string): Promise<ArtifactFields | undefined> {
    try {
      // The artifact's own checksum, made when V8 serialized the code, is checked even where the store
      // checks one of its own (verifiesContent): that one covers the bytes as they were put, and code
      // damaged before the put (a writer's bug, memory, another tool storing artifacts) would pass it.
      // Where the cache's own disk store has just computed the CRC-32 of these very bytes, the check
      // uses it instead of reading them again (same answer: see decodeArtifact's contentCrc32).
      const contentCrc32 = storage.verifiedCrc32?.(stored);
      if (contentCrc32 !== undefined) return decodeArtifact(stored, { contentCrc32 });
      // Any other value (a store given in code, a remote tier, the memory backend) is checked and handed
      // to V8 as a copy of its own: the store's code, or another thread, could change it in between.
      return decodeArtifact(privateCopyOf(stored) ?? stored);
    } catch (error) {
      await this.#discard(error, storage, key);
      return undefined;
    }
  }

  /** Whether an intact artifact belongs to this module and engine; one that does not is removed, counted and reported. */
  async #belongs(fields: ArtifactFields, hash: string, fingerprint: EngineFingerprint, storage: ArtifactStorage, key: string): Promise<boolean> {
    try {
      checkArtifactBelongs(fields, hash, fingerprint);
      return true;
    } catch (error) {
      await this.#discard(error, storage, key);
      return false;
    }
  }

  /**
   * Artifacts the store refused itself (its own checksum, which a disk store
   * removes; a signature that does not match, which a signed store leaves):
   * counted and reported as the engine's own finds are.
   */
  #countStoreDamage(storage: ArtifactStorage): void {
    const found = storage.takeStoreDamage();
    if (found === 0) return;
    this.#record.add('corruptArtifacts', found);
    warnOnce(
      'CACHE_ENGINE_ARTIFACT_DAMAGED',
      "A cached WebAssembly artifact was refused by the store's own check (a checksum that does not match, or a signature made with another key) and not used; compiling instead.",
    );
  }

  async #discard(error: unknown, storage: ArtifactStorage, key: string): Promise<void> {
    if (error instanceof ArtifactIncompatibleError) this.#record.add('incompatibleArtifacts');
    else if (error instanceof ArtifactInvalidError) this.#record.add('corruptArtifacts');
    else throw error;
    await this.#remove(storage, key);
    warnOnce('CACHE_ENGINE_ARTIFACT_DAMAGED', `A cached WebAssembly artifact was unusable and was removed; compiling instead (${error.message}).`);
  }

  /**
   * Removes an unusable artifact from the store. A store that cannot (closed
   * meanwhile, failing) keeps it: the compile goes on, and the next read
   * finds it unusable again.
   */
  async #remove(storage: ArtifactStorage, key: string): Promise<void> {
    try {
      await storage.store.delete(key);
    } catch {
      // Said by the store when it is a fault; a closed cache is past caring.
    }
  }

  /**
   * Whether another process stored a usable artifact under a key since this
   * one missed it (between its miss and its producer lock). Read, not asked
   * (`has`): a store can hold an entry its reads refuse, such as one signed
   * with a key since rotated away, and that one must be replaced, not taken
   * for done. Its refusal was counted by the miss, so not again here.
   */
  async #storedMeanwhile(storage: ArtifactStorage, key: string): Promise<boolean> {
    try {
      return (await storage.store.get(key)) !== undefined;
    } catch {
      return false;
    } finally {
      storage.takeStoreDamage();
    }
  }

  /** Starts background production of the optimized artifact for a module, once per key across processes. */
  #produce(wire: Uint8Array, hash: string, key: string, fingerprint: EngineFingerprint, storage: ArtifactStorage): void {
    const producing = this.cache.producing;
    // A cache closed while this compile ran stores nothing more.
    if (producing.has(key) || !this.cache.enabled) return;
    const lockPath = storage.lockPath(key);
    const timeoutMs = this.cache.config.optimizingCompressionTaskTimeout;
    let lock: ProducerLock | undefined;
    if (lockPath) {
      // A detached producer that failed after its parent exited left its reason here: said now, and tried again.
      const earlier = takeProducerFailureNote(lockPath);
      if (earlier !== undefined) this.#producerFailed(new ProducerError(`an earlier background production of this module failed: ${earlier}`));
      if (this.#refusedBefore(storage, key, lockPath)) return;
      const attempt = tryAcquireProducerLock(lockPath, timeoutMs);
      if ('busy' in attempt) return; // another process is producing it
      if ('fault' in attempt) {
        this.#producerFailed(new ProducerError(attempt.fault));
        return;
      }
      lock = attempt.lock;
    }
    // Copy now: the caller may reuse its buffer once compile() returns.
    const wireBytes = new Uint8Array(wire);
    let handedOff: () => void = () => undefined;
    const handOff = new Promise<void>((resolve) => {
      handedOff = resolve;
    });
    const work = (async () => {
      // Another process may have stored the artifact and released its lock between our miss and our lock.
      if (lock && (await this.#storedMeanwhile(storage, key))) {
        lock.release();
        return;
      }
      const delivery = storage.delivery(key, lock?.path);
      let handle: ReturnType<typeof startProducer>;
      try {
        handle = startProducer(
          {
            type: 'job',
            wireBytes,
            moduleHash: hash,
            fingerprintId: fingerprint.id,
            expectedHeader: fingerprint.header.hex,
            ...(fingerprint.rememberedIn === undefined ? {} : { rememberedHeaderFile: fingerprint.rememberedIn }),
            delivery,
          },
          timeoutMs,
          { env: this.cache.producerEnv },
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
          if (await putArtifact(storage.store, key, reply.artifact)) this.#record.add('artifactsProduced');
        } else if (reply.type === 'stored') {
          if (!reply.stored) throw new ProducerError(`the store did not take the artifact: ${reply.reason ?? 'no reason given'}`);
          this.#record.add('artifactsProduced');
        }
      } finally {
        if (delivery.kind === 'parent') lock?.release();
      }
    })()
      .catch((error: unknown) => {
        // Heard here: the note the producer left for a next process is not needed.
        if (lockPath) takeProducerFailureNote(lockPath);
        // The cache was closed under it (its store with it): nothing failed that anyone still waits for.
        if (!this.cache.enabled) return;
        // With a header learned in this process, a producer that differs has other flags: only a remembered one is suspect.
        if (error instanceof ProducerError && error.producerHeader !== undefined && fingerprint.rememberedIn !== undefined) {
          this.#record.add('producerFailures');
          reportWrongFingerprint(fingerprint, error.producerHeader);
          return;
        }
        this.#producerFailed(error);
      })
      .finally(() => {
        producing.delete(key);
        this.cache.handedOff.delete(key);
        handedOff();
      });
    producing.set(key, work);
    if (lock) this.cache.handedOff.set(key, handOff);
  }

  /**
   * Whether the store refused this module's artifact before under the same
   * capacity and compression: producing it again would cost a full optimizing
   * compile for the same refusal. Said once; a changed setting produces again.
   */
  #refusedBefore(storage: ArtifactStorage, key: string, lockPath: string): boolean {
    const delivery = storage.delivery(key, lockPath);
    if (delivery.kind !== 'store') return false;
    const refusal = refusalStillHolding(lockPath, { capacity: this.cache.config.capacity, compression: delivery.compression });
    if (!refusal) return false;
    warnOnce(
      'CACHE_ENGINE_PRODUCER_FAILED',
      `Not producing an optimized WebAssembly artifact the store refused before (${refusal.reason}); modules still compile normally. It is produced again once the capacity or compression changes.`,
    );
    return true;
  }

  #producerFailed(error: unknown): void {
    this.#record.add('producerFailures');
    warnOnce('CACHE_ENGINE_PRODUCER_FAILED', `Producing an optimized WebAssembly artifact failed; modules still compile normally: ${error instanceof Error ? error.message : String(error)}`);
  }

  #publish(outcome: CompileOutcome, hash: string | undefined, ms: number): void {
    if (compileChannel.hasSubscribers) compileChannel.publish({ outcome, moduleHash: hash, ms });
  }
}
