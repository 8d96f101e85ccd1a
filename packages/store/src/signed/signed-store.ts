import { validateKey } from '../contract/keys.js';
import { isUint8Array, validateValue } from '../contract/values.js';
import type { PutResult, Store, StoreCapabilities, StoreStats } from '../contract/store.js';
import { publish } from '../diagnostics/channels.js';
import { InvalidStoreOptionError, SigningKeyRequiredError } from '../errors/store-error.js';
import { FaultReporter } from '../faults/fault-reporter.js';
import { zeroCounters, type StatsCounters } from '../stats/stats-counter.js';
import { openEnvelope, sealEnvelope, type SignatureRejection } from './envelope.js';

/** Shortest signing key accepted, in bytes (HMAC-SHA256 gains nothing from more than 64). */
export const MIN_SIGNING_KEY_BYTES = 32;

/** Options of a {@link SignedStore}: a key, or an explicit opt-in to unsigned entries. */
export interface SignedStoreOptions {
  /**
   * The secret shared by every process that may write or read the inner
   * store, at least {@link MIN_SIGNING_KEY_BYTES} bytes (a string is taken as
   * UTF-8; `openssl rand -hex 32` makes a good one). Entries are signed with
   * HMAC-SHA256 over the key and the value on `put` and checked on `get`.
   */
  signingKey?: Uint8Array | string;
  /**
   * Without a `signingKey`, pass values through unsigned. Only for a shared
   * cache whose every writer is trusted: anyone who can write to it can then
   * run native code in every process that reads it. Ignored when a key is set.
   * @default false
   */
  allowUnsigned?: boolean;
  /** Name used in warnings and diagnostics. @default the inner store's kind */
  label?: string;
}

/** How many entries a {@link SignedStore} refused, by reason. */
export interface SignatureRejections {
  /** Entries without a signature envelope (written unsigned, or by something else). */
  readonly unsigned: number;
  /** Entries whose signature does not match: another key, tampered bytes, or an entry moved to another key. */
  readonly badSignature: number;
}

function keyBytes(key: Uint8Array | string): Uint8Array {
  const bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
  if (!isUint8Array(bytes)) throw new InvalidStoreOptionError('signingKey', 'expected a string or a Uint8Array');
  if (bytes.byteLength < MIN_SIGNING_KEY_BYTES) {
    throw new InvalidStoreOptionError('signingKey', `expected at least ${MIN_SIGNING_KEY_BYTES} bytes, got ${bytes.byteLength} (the key itself is not shown)`);
  }
  return new Uint8Array(bytes);
}

/**
 * Wraps any store so its entries are signed: `put` stores
 * `magic | HMAC-SHA256(key ‖ value) | value`, `get` returns the value only
 * when the tag verifies for that key. An unsigned, wrongly signed, tampered or
 * swapped entry is rejected (a miss), counted, published on
 * `cache:store:corrupt` and warned about once; its bytes never reach the
 * caller. Put it around every tier other machines can write to.
 *
 * Without a key the constructor throws {@link SigningKeyRequiredError} unless
 * `allowUnsigned: true`, which makes it a transparent pass-through.
 *
 * The wrapper owns the inner store: `close()` closes it.
 */
export class SignedStore implements Store {
  /** `'signed'` (or `'unsigned'` for an explicit pass-through). */
  readonly kind: string;
  /** The inner store's, with `verifiesContent` true when signing. */
  readonly capabilities: StoreCapabilities;
  /** The wrapped store. */
  readonly inner: Store;
  readonly #secret: Uint8Array | undefined;
  readonly #counters: StatsCounters = zeroCounters();
  readonly #faults: FaultReporter;
  readonly #label: string;
  #unsigned = 0;
  #badSignature = 0;

  /**
   * @throws SigningKeyRequiredError without a key and without `allowUnsigned: true`.
   * @throws InvalidStoreOptionError for a key shorter than {@link MIN_SIGNING_KEY_BYTES}.
   */
  constructor(inner: Store, options: SignedStoreOptions) {
    this.inner = inner;
    this.#label = options.label ?? inner.kind;
    if (options.signingKey === undefined) {
      if (options.allowUnsigned !== true) throw new SigningKeyRequiredError(`The shared ${this.#label} store`);
      this.#secret = undefined;
      this.kind = 'unsigned';
      this.capabilities = inner.capabilities;
    } else {
      this.#secret = keyBytes(options.signingKey);
      this.kind = 'signed';
      this.capabilities = Object.freeze({ ...inner.capabilities, verifiesContent: true });
    }
    this.#faults = new FaultReporter(this.kind, this.#label, this.#counters);
  }

  /** Whether entries are signed and checked (false for an explicit unsigned pass-through). */
  get signing(): boolean {
    return this.#secret !== undefined;
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    validateKey(key);
    const stored = await this.inner.get(key);
    if (stored === undefined) {
      this.#counters.misses++;
      return undefined;
    }
    if (!this.#secret) return this.#hit(stored);
    const opened = openEnvelope(this.#secret, key, stored);
    if (opened.ok) return this.#hit(opened.payload);
    this.#reject(key, opened.reason);
    return undefined;
  }

  async put(key: string, value: Uint8Array): Promise<PutResult> {
    validateKey(key);
    validateValue(value);
    const sealed = this.#secret ? sealEnvelope(this.#secret, key, value) : value;
    const result = await this.inner.put(key, sealed);
    if (result.stored) {
      this.#counters.writes++;
      this.#counters.bytesWritten += value.byteLength;
    }
    return result;
  }

  delete(key: string): Promise<boolean> {
    return this.inner.delete(key);
  }

  has(key: string): Promise<boolean> {
    return this.inner.has(key);
  }

  keys(): AsyncIterable<string> {
    return this.inner.keys();
  }

  /** Entries refused since creation, by reason (also counted in `stats().corruptEntries`). */
  rejections(): SignatureRejections {
    return { unsigned: this.#unsigned, badSignature: this.#badSignature };
  }

  stats(): StoreStats {
    const inner = this.inner.stats();
    const own = this.#counters;
    return Object.freeze({
      hits: own.hits,
      misses: own.misses,
      writes: own.writes,
      bytesRead: own.bytesRead,
      bytesWritten: own.bytesWritten,
      evictions: inner.evictions,
      corruptEntries: inner.corruptEntries + own.corruptEntries,
      errors: inner.errors,
      timeSpentMs: inner.timeSpentMs,
      ...(inner.entries === undefined ? {} : { entries: inner.entries }),
      ...(inner.bytes === undefined ? {} : { bytes: inner.bytes }),
    });
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  #hit(value: Uint8Array): Uint8Array {
    this.#counters.hits++;
    this.#counters.bytesRead += value.byteLength;
    return value;
  }

  #reject(key: string, reason: SignatureRejection): void {
    if (reason === 'unsigned') this.#unsigned++;
    else this.#badSignature++;
    this.#counters.corruptEntries++;
    this.#counters.misses++;
    publish.corrupt(() => ({ store: this.kind, location: this.#label, key, reason }));
    publish.miss(() => ({ store: this.kind, location: this.#label, key, reason: 'corrupt' }));
    this.#faults.warnOnce(
      `SIGNATURE_${reason.toUpperCase()}`,
      `rejected an entry with ${reason === 'unsigned' ? 'no signature' : 'a signature that does not match its key and bytes'}; it was not loaded. Another writer with a different key or no key, or tampering, can cause this (said once per reason)`,
    );
  }
}
