import { createRequire } from 'node:module';
import type { CacheConfig } from '@cache/config';
import type { LRUCache } from 'lru-cache';
import { validateKey } from '../contract/keys.js';
import { validatePeekLength, validateValue } from '../contract/values.js';
import type { PutResult, Store, StoreCapabilities, StoreStats } from '../contract/store.js';
import { publish } from '../diagnostics/channels.js';
import { InvalidStoreOptionError, StoreClosedError } from '../errors/store-error.js';
import { snapshot, zeroCounters, type StatsCounters } from '../stats/stats-counter.js';
import { clockMs } from '../stats/clock.js';

/** Limits of a {@link MemoryStore}. At least one bound always applies: both have defaults. */
export interface MemoryStoreOptions {
  /**
   * Total bytes of values held; least recently used entries are evicted beyond it.
   * A value larger than this is refused (`{ stored: false }`).
   * @default 512 MiB (Wasmtime's `files-total-size-soft-limit`)
   */
  maxBytes?: number;
  /**
   * Entries held; least recently used entries are evicted beyond it.
   * @default 65536 (Wasmtime's `file-count-soft-limit`)
   */
  maxEntries?: number;
  /** Name published in diagnostics messages. @default 'memory' */
  label?: string;
  /**
   * Copy values on `put` and `get`, so neither the caller nor a later reader
   * can change what is stored. `false` stores and returns the caller's
   * buffers as they are: much faster for large values, for trusted callers
   * that never mutate them (this opts out of the contract's isolation rule).
   * @default true
   */
  copy?: boolean;
}

const DEFAULT_MAX_BYTES = 512 * 1024 * 1024;
const DEFAULT_MAX_ENTRIES = 65_536;

let lruCacheClass: typeof LRUCache | undefined;

/**
 * `lru-cache`, loaded when the first memory store is made: importing the
 * package (as the engine does at start-up, to open a disk store later) then
 * costs nothing for it.
 */
function LRUCacheClass(): typeof LRUCache {
  return (lruCacheClass ??= (createRequire(import.meta.url)('lru-cache') as typeof import('lru-cache')).LRUCache);
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw new InvalidStoreOptionError(name, `expected a positive integer, got ${value}`);
  return value;
}

/**
 * An in-process LRU store bounded by total bytes and by entry count.
 *
 * Built on `lru-cache` (isaacs/node-lru-cache): its size accounting
 * (`maxSize` + `sizeCalculation`) and O(1) recency list are exactly what is
 * needed; the benchmark in `apps/bench` measures this wrapper against the bare
 * library. Values are copied on `put` and on `get` (unless `copy: false`), so
 * neither the caller nor a later reader can change what is stored.
 */
export class MemoryStore implements Store {
  /** Always `'memory'`. */
  readonly kind = 'memory';
  /** Not persistent, not shared across processes. */
  readonly capabilities: StoreCapabilities;
  readonly #cache: LRUCache<string, Uint8Array>;
  readonly #counters: StatsCounters = zeroCounters();
  readonly #maxBytes: number;
  readonly #label: string;
  readonly #copy: boolean;
  #closed = false;

  constructor(options: MemoryStoreOptions = {}) {
    this.#maxBytes = positiveInteger('maxBytes', options.maxBytes ?? DEFAULT_MAX_BYTES);
    const maxEntries = positiveInteger('maxEntries', options.maxEntries ?? DEFAULT_MAX_ENTRIES);
    this.#label = options.label ?? 'memory';
    this.#copy = options.copy ?? true;
    // Without copies, the caller still holds the stored memory and could change it.
    this.capabilities = Object.freeze({ persistent: false, sharedAcrossProcesses: false, verifiesContent: this.#copy });
    const Cache = LRUCacheClass();
    this.#cache = new Cache<string, Uint8Array>({
      max: maxEntries,
      maxSize: this.#maxBytes,
      // lru-cache refuses size 0; an empty value still costs an entry.
      sizeCalculation: (value) => Math.max(1, value.byteLength),
      dispose: (_value, _key, reason) => {
        if (reason === 'evict') {
          this.#counters.evictions++;
          publish.evict(() => ({ store: this.kind, location: this.#label, entries: 1, bytes: _value.byteLength, trigger: 'capacity' }));
        }
      },
    });
  }

  /** A memory store bounded by a validated configuration's `capacity` and `fileCountSoftLimit`. */
  static fromConfig(config: CacheConfig, options: Omit<MemoryStoreOptions, 'maxBytes' | 'maxEntries'> = {}): MemoryStore {
    config.validate();
    return new MemoryStore({ ...options, maxBytes: config.capacity, maxEntries: config.fileCountSoftLimit });
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    this.#check(key);
    const started = clockMs();
    const value = this.#cache.get(key);
    if (value === undefined) {
      this.#counters.misses++;
      publish.miss(() => ({ store: this.kind, location: this.#label, key, reason: 'absent' }));
      this.#counters.timeSpentMs += clockMs() - started;
      return undefined;
    }
    this.#counters.hits++;
    this.#counters.bytesRead += value.byteLength;
    publish.hit(() => ({ store: this.kind, location: this.#label, key, bytes: value.byteLength }));
    const copy = this.#copy ? new Uint8Array(value) : value;
    this.#counters.timeSpentMs += clockMs() - started;
    return copy;
  }

  async put(key: string, value: Uint8Array): Promise<PutResult> {
    this.#check(key);
    validateValue(value);
    const started = clockMs();
    try {
      if (value.byteLength > this.#maxBytes) {
        return { stored: false, reason: `value of ${value.byteLength} bytes exceeds the store's ${this.#maxBytes}-byte capacity` };
      }
      // A real copy: Buffer#slice would be a view sharing the caller's memory.
      this.#cache.set(key, this.#copy ? new Uint8Array(value) : value);
      this.#counters.writes++;
      this.#counters.bytesWritten += value.byteLength;
      publish.write(() => ({ store: this.kind, location: this.#label, key, bytes: value.byteLength, storedBytes: value.byteLength }));
      return { stored: true };
    } finally {
      this.#counters.timeSpentMs += clockMs() - started;
    }
  }

  async delete(key: string): Promise<boolean> {
    this.#check(key);
    return this.#cache.delete(key);
  }

  async has(key: string): Promise<boolean> {
    this.#check(key);
    return this.#cache.has(key);
  }

  /** The first `length` bytes of the value under `key` (see `Store.peek`); not a use of it (its place in the LRU order stays). */
  async peek(key: string, length: number): Promise<Uint8Array | undefined> {
    this.#check(key);
    validatePeekLength(length);
    return this.#cache.peek(key)?.slice(0, length);
  }

  async *keys(): AsyncIterable<string> {
    if (this.#closed) throw new StoreClosedError(this.kind);
    // Snapshot first, so callers may delete while iterating.
    for (const key of [...this.#cache.keys()]) yield key;
  }

  stats(): StoreStats {
    return snapshot(this.#counters, { entries: this.#cache.size, bytes: this.#cache.calculatedSize });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#cache.clear();
  }

  #check(key: string): void {
    if (this.#closed) throw new StoreClosedError(this.kind);
    validateKey(key);
  }
}
