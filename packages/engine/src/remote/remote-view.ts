import type { PutResult, Store, StoreCapabilities, StoreStats } from '@cache/store';

/**
 * One engine fingerprint's view of a shared remote tier (a `Cache`'s
 * `remoteTier`): its keys are the fingerprint id, a dot, and the cache's own
 * key, as in a store given to a `Cache` whole, so engines of every
 * fingerprint, and processes that pass `@cache/store-redis`'s tiered store in
 * code, share one remote. Closing the view leaves the remote open: it is
 * shared by every fingerprint, and whoever opened it closes it.
 */
export class RemoteView implements Store {
  readonly kind = 'remote';
  readonly capabilities: StoreCapabilities;
  readonly #remote: Store;
  readonly #prefix: string;

  constructor(remote: Store, fingerprintId: string) {
    this.#remote = remote;
    this.#prefix = `${fingerprintId}.`;
    this.capabilities = remote.capabilities;
  }

  get(key: string): Promise<Uint8Array | undefined> {
    return this.#remote.get(this.#prefix + key);
  }

  put(key: string, value: Uint8Array): Promise<PutResult> {
    return this.#remote.put(this.#prefix + key, value);
  }

  delete(key: string): Promise<boolean> {
    return this.#remote.delete(this.#prefix + key);
  }

  has(key: string): Promise<boolean> {
    return this.#remote.has(this.#prefix + key);
  }

  async *keys(): AsyncIterable<string> {
    for await (const key of this.#remote.keys()) if (key.startsWith(this.#prefix)) yield key.slice(this.#prefix.length);
  }

  /** The remote's own counters (every fingerprint's). */
  stats(): StoreStats {
    return this.#remote.stats();
  }

  async close(): Promise<void> {
    // Shared by every fingerprint and owned by whoever opened it.
  }
}
