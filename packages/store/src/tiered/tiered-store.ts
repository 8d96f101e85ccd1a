import { validateKey } from '../contract/keys.js';
import { validatePeekLength, validateValue } from '../contract/values.js';
import type { PutResult, Store, StoreCapabilities, StoreStats } from '../contract/store.js';
import { publish } from '../diagnostics/channels.js';
import { InvalidStoreOptionError, StoreClosedError } from '../errors/store-error.js';
import { FaultReporter, toFault } from '../faults/fault-reporter.js';
import { snapshot, zeroCounters, type StatsCounters } from '../stats/stats-counter.js';
import { clockMs } from '../stats/clock.js';

/** Options of a {@link TieredStore}. */
export interface TieredStoreOptions {
  /**
   * The tiers, fastest first: typically a `MemoryStore`, a `DiskStore`, then
   * a shared remote store wrapped in a `SignedStore`. At least one.
   */
  tiers: readonly Store[];
  /**
   * Index of the first tier that `put` writes in the background instead of
   * before it resolves. Tiers before it are written synchronously (the caller
   * waits, and `put` reports whether they stored); tiers from it on are
   * written behind the caller's back (see {@link TieredStore.flush}). Must be
   * at least 1, so a value is readable as soon as `put` resolves.
   * @default tiers.length - 1 (only the slowest tier is written in the background), or 1 for a single tier
   */
  backgroundFrom?: number;
  /**
   * Bytes that background writes may hold at once; a write beyond it is
   * skipped (counted in `stats().errors`, warned once), so a slow remote
   * cannot grow memory without bound.
   * @default 1 GiB
   */
  maxPendingBytes?: number;
  /** Name used in warnings and diagnostics. @default 'tiered' */
  label?: string;
}

/** Per-tier counters of a {@link TieredStore}. */
export interface TierStats {
  /** The tier's kind. */
  readonly kind: string;
  /** `get` calls this tier answered (the faster tiers had missed). */
  readonly hits: number;
  /** Values copied into this tier after a slower tier hit. */
  readonly writeBacks: number;
  /** The tier's own counters. */
  readonly store: StoreStats;
}

const DEFAULT_MAX_PENDING_BYTES = 1024 * 1024 * 1024;

/**
 * What the store knows of one key while work on it is in flight (kept only
 * that long, so the map stays as small as the work in progress).
 */
interface KeyActivity {
  /** Calls and background writes of this key in flight. */
  refs: number;
  /** The store's sequence number when the last `put` or `delete` of this key had written every tier it writes directly. */
  lastWriteEnd: number;
  /** `put` and `delete` calls of this key between their start and that point (see `#writing`). */
  writesInFlight: number;
  /** Background writes of a `put` of this key not yet finished: the slower tiers may still hold an older value. */
  putsPending: number;
  /** A write-back into a tier `put` writes directly, while it runs; `put` waits for it. */
  writingBack: Promise<unknown> | undefined;
}

/**
 * Several stores as one, fastest first. `get` asks each tier in turn; a hit
 * in a slower tier is written back to the faster ones in the background.
 * `put` writes the fast tiers before it resolves and the slow ones (by
 * default the last, the remote) in the background, so a slow or failing
 * remote never blocks a compile. `delete` removes from every tier.
 *
 * Background writes to one key are applied in order; `flush()` waits for all
 * of them, and `close()` flushes, then closes every tier (the tiered store
 * owns its tiers). The newest `put` of a key wins in every tier: a write-back
 * of a value read before a `put` or `delete` of the same key is skipped, and a
 * `put` waits for a write-back of its key already being written.
 *
 * @example
 * const store = new TieredStore({ tiers: [new MemoryStore(), disk, new SignedStore(redis, { signingKey })] });
 */
export class TieredStore implements Store {
  /** Always `'tiered'`. */
  readonly kind = 'tiered';
  /** Persistent / shared when any tier is; verifies content when every tier does. */
  readonly capabilities: StoreCapabilities;
  readonly #tiers: readonly Store[];
  readonly #backgroundFrom: number;
  readonly #maxPendingBytes: number;
  readonly #label: string;
  readonly #counters: StatsCounters = zeroCounters();
  readonly #faults: FaultReporter;
  readonly #tierHits: number[];
  readonly #writeBacks: number[];
  /** The last background write queued per key (writes to one key run in order). */
  readonly #chains = new Map<string, Promise<void>>();
  /** Keys with calls or background writes in flight. */
  readonly #activity = new Map<string, KeyActivity>();
  /** Counts `get`, `put` and `delete` calls: orders a write-back against the writes of its key. */
  #sequence = 0;
  readonly #pending = new Set<Promise<void>>();
  #pendingBytes = 0;
  #closed = false;

  /** @throws InvalidStoreOptionError for an empty tier list or a bad `backgroundFrom` / `maxPendingBytes`. */
  constructor(options: TieredStoreOptions) {
    const tiers = [...options.tiers];
    if (tiers.length === 0) throw new InvalidStoreOptionError('tiers', 'expected at least one store');
    const backgroundFrom = options.backgroundFrom ?? Math.max(1, tiers.length - 1);
    if (!Number.isSafeInteger(backgroundFrom) || backgroundFrom < 1 || backgroundFrom > tiers.length) {
      throw new InvalidStoreOptionError('backgroundFrom', `expected an integer from 1 to ${tiers.length} (the number of tiers), got ${backgroundFrom}`);
    }
    const maxPendingBytes = options.maxPendingBytes ?? DEFAULT_MAX_PENDING_BYTES;
    if (!Number.isSafeInteger(maxPendingBytes) || maxPendingBytes <= 0) {
      throw new InvalidStoreOptionError('maxPendingBytes', `expected a positive integer, got ${maxPendingBytes}`);
    }
    this.#tiers = tiers;
    this.#backgroundFrom = backgroundFrom;
    this.#maxPendingBytes = maxPendingBytes;
    this.#label = options.label ?? 'tiered';
    this.#tierHits = tiers.map(() => 0);
    this.#writeBacks = tiers.map(() => 0);
    this.#faults = new FaultReporter(this.kind, this.#label, this.#counters);
    this.capabilities = Object.freeze({
      persistent: tiers.some((tier) => tier.capabilities.persistent),
      sharedAcrossProcesses: tiers.some((tier) => tier.capabilities.sharedAcrossProcesses),
      verifiesContent: tiers.every((tier) => tier.capabilities.verifiesContent === true),
    });
  }

  /** The tiers, fastest first. */
  get tiers(): readonly Store[] {
    return this.#tiers;
  }

  /** Background writes not yet finished. */
  get pendingWrites(): number {
    return this.#pending.size;
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    this.#check(key);
    const started = clockMs();
    // A put or delete of the key after this point makes what this get read too old to write back.
    const ticket = ++this.#sequence;
    const activity = this.#acquire(key);
    try {
      for (const [index, tier] of this.#tiers.entries()) {
        const value = await this.#tierGet(tier, key);
        if (value === undefined) continue;
        this.#tierHits[index] = (this.#tierHits[index] ?? 0) + 1;
        this.#counters.hits++;
        this.#counters.bytesRead += value.byteLength;
        publish.hit(() => ({ store: this.kind, location: this.#label, key, bytes: value.byteLength }));
        if (index > 0) this.#writeBack(key, value, index, ticket);
        return value;
      }
      this.#counters.misses++;
      publish.miss(() => ({ store: this.kind, location: this.#label, key, reason: 'absent' }));
      return undefined;
    } finally {
      this.#release(key, activity);
      this.#counters.timeSpentMs += clockMs() - started;
    }
  }

  async put(key: string, value: Uint8Array): Promise<PutResult> {
    this.#check(key);
    validateValue(value);
    const started = clockMs();
    const activity = this.#acquire(key);
    try {
      return await this.#writing(activity, () => this.#putTiers(key, value, activity));
    } finally {
      this.#release(key, activity);
      this.#counters.timeSpentMs += clockMs() - started;
    }
  }

  /**
   * Runs a `put`'s or `delete`'s writes of a key. Write-backs of the key read
   * before they ended skip themselves: queued ones, and those queued while
   * they run (see `#writeBack`).
   */
  async #writing<T>(activity: KeyActivity, writes: () => Promise<T>): Promise<T> {
    activity.writesInFlight++;
    try {
      return await writes();
    } finally {
      activity.writesInFlight--;
      activity.lastWriteEnd = ++this.#sequence;
    }
  }

  /** A put's writes: the direct tiers now, the others queued in the background. */
  async #putTiers(key: string, value: Uint8Array, activity: KeyActivity): Promise<PutResult> {
    // A write-back already writing is waited for, so its older value cannot land after this one.
    while (activity.writingBack) await activity.writingBack;
    // The background tiers need a copy: the caller may change its buffer once put resolves.
    const copy = this.#backgroundFrom < this.#tiers.length ? new Uint8Array(value) : value;
    const results = await Promise.all(this.#tiers.slice(0, this.#backgroundFrom).map((tier) => this.#tierPut(tier, key, value)));
    for (let index = this.#backgroundFrom; index < this.#tiers.length; index++) {
      const tier = this.#tiers[index];
      if (!tier) continue;
      activity.putsPending++;
      const queued = this.#background(key, copy, async () => {
        try {
          return await this.#tierPut(tier, key, copy);
        } finally {
          activity.putsPending--;
        }
      });
      if (!queued) activity.putsPending--;
    }
    const stored = results.some((result) => result.stored);
    if (!stored) {
      const reasons = results.map((result) => (result.stored ? '' : result.reason)).join('; ');
      // A fault in any tier is the result's fault: the store is failing, not only turning this value away.
      const faultCode = results.map((result) => (result.stored ? undefined : result.faultCode)).find((code) => code !== undefined);
      return { stored: false, reason: `no tier stored the value (${reasons})`, ...(faultCode === undefined ? {} : { faultCode }) };
    }
    this.#counters.writes++;
    this.#counters.bytesWritten += value.byteLength;
    publish.write(() => ({ store: this.kind, location: this.#label, key, bytes: value.byteLength, storedBytes: value.byteLength }));
    return { stored: true };
  }

  async delete(key: string): Promise<boolean> {
    this.#check(key);
    const activity = this.#acquire(key);
    try {
      return await this.#writing(activity, async () => {
        await this.#chains.get(key);
        const removed = await Promise.all(this.#tiers.map((tier) => tier.delete(key).catch(() => false)));
        return removed.some(Boolean);
      });
    } finally {
      this.#release(key, activity);
    }
  }

  async has(key: string): Promise<boolean> {
    this.#check(key);
    for (const tier of this.#tiers) if (await tier.has(key).catch(() => false)) return true;
    return false;
  }

  /**
   * The first `length` bytes of the value under `key` in the first tier that
   * holds it (see `Store.peek`), copying nothing to the tiers above. A tier
   * without `peek` (a remote one) is read whole, and what it held written back
   * to the tiers above as by `get`, so that asking whether something is cached
   * and then reading it fetches it once. Counted as neither a hit nor a miss
   * of this store (the tier's own statistics count what was read).
   */
  async peek(key: string, length: number): Promise<Uint8Array | undefined> {
    this.#check(key);
    validatePeekLength(length);
    const ticket = ++this.#sequence;
    const activity = this.#acquire(key);
    try {
      for (const [index, tier] of this.#tiers.entries()) {
        if (tier.peek) {
          try {
            const head = await tier.peek(key, length);
            if (head) return head;
          } catch (error) {
            this.#faults.report(toFault(`peek at the ${tier.kind} tier`, error));
          }
          continue;
        }
        const value = await this.#tierGet(tier, key);
        if (value === undefined) continue;
        this.#tierHits[index] = (this.#tierHits[index] ?? 0) + 1;
        if (index > 0) this.#writeBack(key, value, index, ticket);
        return new Uint8Array(value.subarray(0, length));
      }
      return undefined;
    } finally {
      this.#release(key, activity);
    }
  }

  async *keys(): AsyncIterable<string> {
    if (this.#closed) throw new StoreClosedError(this.kind);
    const seen = new Set<string>();
    for (const tier of this.#tiers) {
      for await (const key of tier.keys()) {
        if (seen.has(key)) continue;
        seen.add(key);
        yield key;
      }
    }
  }

  /** Counters of this store as a whole (a hit in any tier is one hit). */
  stats(): StoreStats {
    const tiers = this.#tiers.map((tier) => tier.stats());
    const sum = (field: 'evictions' | 'corruptEntries' | 'errors'): number => tiers.reduce((total, stats) => total + stats[field], 0);
    const first = tiers[0];
    return snapshot({
      ...this.#counters,
      evictions: sum('evictions'),
      corruptEntries: sum('corruptEntries'),
      errors: this.#counters.errors + sum('errors'),
    }, first?.entries === undefined ? {} : { entries: first.entries, ...(first.bytes === undefined ? {} : { bytes: first.bytes }) });
  }

  /** Each tier's hits, write-backs and own counters, fastest first. */
  tierStats(): TierStats[] {
    return this.#tiers.map((tier, index) => ({ kind: tier.kind, hits: this.#tierHits[index] ?? 0, writeBacks: this.#writeBacks[index] ?? 0, store: tier.stats() }));
  }

  /** Resolves when every background write (write-through and write-back) started so far has finished. */
  async flush(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  /** Flushes background writes, then closes every tier. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.flush();
    await Promise.allSettled(this.#tiers.map((tier) => tier.close()));
  }

  /**
   * Copies a value a slower tier returned into the faster tiers, in the
   * background. Each write is skipped when, by the time it runs, a `put` or
   * `delete` of the key started or ended after the `get` that read it
   * (`ticket`), one is still writing, or a `put`'s background writes are pending (the slower tier may still
   * hold the older value): a write-back never replaces a newer value.
   */
  #writeBack(key: string, returned: Uint8Array, hitIndex: number, ticket: number): void {
    // The caller owns the returned buffer and may change it before the write-back runs.
    const value = new Uint8Array(returned);
    for (let index = 0; index < hitIndex; index++) {
      const tier = this.#tiers[index];
      if (!tier) continue;
      const direct = index < this.#backgroundFrom;
      this.#background(key, value, async (activity) => {
        // What the get read is too old when a put or delete of the key is still writing, or ended after the
        // get began (one that started after it has either; the get may have read a slower tier before that
        // write landed).
        const stale = activity.writesInFlight > 0 || activity.lastWriteEnd > ticket || activity.putsPending > 0;
        if (stale) return { stored: false, reason: 'a newer value was written' };
        const writing = this.#tierPut(tier, key, value);
        if (direct) activity.writingBack = writing;
        try {
          const result = await writing;
          if (result.stored) this.#writeBacks[index] = (this.#writeBacks[index] ?? 0) + 1;
          return result;
        } finally {
          if (activity.writingBack === writing) activity.writingBack = undefined;
        }
      });
    }
  }

  /** Queues a background write of `key` after the ones queued before it; false when skipped (too many bytes pending). */
  #background(key: string, value: Uint8Array, write: (activity: KeyActivity) => Promise<PutResult>): boolean {
    if (this.#pendingBytes + value.byteLength > this.#maxPendingBytes) {
      this.#faults.report({ operation: 'background write', code: 'EPENDINGFULL', message: `more than ${this.#maxPendingBytes} bytes of background writes are pending; skipped one` });
      return false;
    }
    this.#pendingBytes += value.byteLength;
    const activity = this.#acquire(key);
    const previous = this.#chains.get(key) ?? Promise.resolve();
    const task: Promise<void> = previous
      .then(() => write(activity))
      .then(() => undefined)
      .catch((error: unknown) => this.#faults.report(toFault('background write', error)))
      .finally(() => {
        this.#pendingBytes -= value.byteLength;
        this.#pending.delete(task);
        if (this.#chains.get(key) === task) this.#chains.delete(key);
        this.#release(key, activity);
      });
    this.#chains.set(key, task);
    this.#pending.add(task);
    return true;
  }

  /** The activity record of `key`, held until {@link TieredStore.#release}. */
  #acquire(key: string): KeyActivity {
    let activity = this.#activity.get(key);
    if (!activity) {
      activity = { refs: 0, lastWriteEnd: 0, writesInFlight: 0, putsPending: 0, writingBack: undefined };
      this.#activity.set(key, activity);
    }
    activity.refs++;
    return activity;
  }

  #release(key: string, activity: KeyActivity): void {
    activity.refs--;
    if (activity.refs === 0 && this.#activity.get(key) === activity) this.#activity.delete(key);
  }

  async #tierGet(tier: Store, key: string): Promise<Uint8Array | undefined> {
    try {
      return await tier.get(key);
    } catch (error) {
      this.#faults.report(toFault(`get from the ${tier.kind} tier`, error));
      return undefined;
    }
  }

  async #tierPut(tier: Store, key: string, value: Uint8Array): Promise<PutResult> {
    try {
      return await tier.put(key, value);
    } catch (error) {
      const fault = toFault(`put to the ${tier.kind} tier`, error);
      this.#faults.report(fault);
      return { stored: false, reason: fault.message, faultCode: fault.code };
    }
  }

  #check(key: string): void {
    if (this.#closed) throw new StoreClosedError(this.kind);
    validateKey(key);
  }
}
