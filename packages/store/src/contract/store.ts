/**
 * What a backend can do beyond the core contract.
 */
export interface StoreCapabilities {
  /** Entries survive the process (disk, remote). */
  readonly persistent: boolean;
  /** Several processes may use the same storage at once, safely. */
  readonly sharedAcrossProcesses: boolean;
  /**
   * `get` returns exactly the bytes that were `put`, or `undefined`: any
   * change in between (damage on disk, a torn write, a swapped file) is
   * detected, by a checksum verified on every read or because nothing else
   * can reach the stored bytes. A caller may then skip checksumming the
   * value again. Absent (undefined) means no such promise.
   */
  readonly verifiesContent?: boolean;
}

/**
 * The outcome of {@link Store.put}: stored, or not stored and why (never a
 * throw for faults). `faultCode` tells a fault (the disk, the network, the
 * server) from a refusal of this one value (too large for the store): it is
 * the fault's stable code (`ENOSPC`, `EACCES`, `ETIMEDOUT`, `ECONNRESET`, a
 * Redis error such as `OOM`...), and absent for a refusal. A caller can tell
 * from it whether the store is failing or only turned one value away.
 */
export type PutResult = { readonly stored: true } | { readonly stored: false; readonly reason: string; readonly faultCode?: string };

/** Counters of one store instance since it was created. */
export interface StoreStats {
  /** `get` calls that returned bytes. */
  readonly hits: number;
  /** `get` calls that returned `undefined` (absent, damaged or a fault). */
  readonly misses: number;
  /** `put` calls that stored the value. */
  readonly writes: number;
  /** Bytes returned by hits (uncompressed). */
  readonly bytesRead: number;
  /** Bytes of values stored by `put` (uncompressed). */
  readonly bytesWritten: number;
  /** Entries removed to honour the limits. */
  readonly evictions: number;
  /** Entries found damaged (checksum, length or key mismatch) and removed. */
  readonly corruptEntries: number;
  /** Faults (I/O errors) met and absorbed. */
  readonly errors: number;
  /** Wall time spent inside `get`, `put`, `delete` and `has`, in milliseconds. */
  readonly timeSpentMs: number;
  /** Entries held, when the backend knows (approximate for shared directories). */
  readonly entries?: number;
  /** Bytes held, when the backend knows (approximate for shared directories). */
  readonly bytes?: number;
}

/**
 * Bytes by key. Every backend implements this; the engine, the CLI and third
 * parties depend only on it.
 *
 * Values are whole buffers, not streams: V8 needs a whole buffer to
 * deserialize a module anyway, and artifacts (1 KB to a few hundred MB) fit in
 * memory by construction. A value returned by `get` belongs to the caller.
 *
 * Keys are opaque strings (the engine uses hex SHA-256 plus suffixes). A
 * backend must never derive a path or a command from a key without hashing or
 * escaping it. An invalid key (see `validateKey`) throws `InvalidKeyError`:
 * that is a programmer error, not a fault.
 *
 * Faults (I/O errors, damage, a vanished directory) never throw out of these
 * methods: `get` reports a miss, `put` reports `{ stored: false }`.
 */
export interface Store {
  /** The backend's name: `'memory'`, `'disk'`, ... */
  readonly kind: string;
  /** What the backend guarantees beyond the core contract. */
  readonly capabilities: StoreCapabilities;
  /** The verified bytes stored under `key`, or `undefined` (absent, damaged, or a fault). Never throws for faults. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Stores a copy of `value` under `key`, replacing any previous value. Never throws for faults. */
  put(key: string, value: Uint8Array): Promise<PutResult>;
  /** Removes `key`; true when something was removed. */
  delete(key: string): Promise<boolean>;
  /** Whether an entry exists for `key` (a hint: `get` may still miss if it is damaged or evicted meanwhile). */
  has(key: string): Promise<boolean>;
  /**
   * Optional. The first `length` bytes of the value under `key` (all of it
   * when shorter), read without reading or checking the rest: a hint, as
   * `has` is, for telling values apart by what they begin with (a later
   * `get` verifies). Undefined when absent or unreadable. Never throws for
   * faults. A backend that cannot read less than a whole value leaves it
   * out; callers then `get`.
   */
  peek?(key: string, length: number): Promise<Uint8Array | undefined>;
  /** Every key currently held (order unspecified; concurrent changes may or may not show). */
  keys(): AsyncIterable<string>;
  /** This instance's counters. */
  stats(): StoreStats;
  /** Flushes and stops background work. Idempotent. Other methods throw `StoreClosedError` afterwards. */
  close(): Promise<void>;
}
