import type { CacheConfig } from '@cache/config';
import type { Store } from './contract/store.js';
import { DiskStore, type DiskStoreOptions } from './disk/disk-store.js';
import { InvalidStoreOptionError, StoreDisabledError } from './errors/store-error.js';
import { MemoryStore } from './memory/memory-store.js';

/** Options of {@link createStore}. */
export type CreateStoreOptions =
  | ({ /** The disk store (the default). */ backend?: 'disk' } & DiskStoreOptions)
  | { /** The in-process LRU store. */ backend: 'memory'; /** Label for diagnostics. */ namespace?: string };

/**
 * Creates a store from a validated configuration: `'disk'` (default) under
 * `config.directory`, one directory per `namespace` (the engine
 * fingerprint), or `'memory'` bounded by `capacity` and `fileCountSoftLimit`.
 *
 * @throws CacheConfigError when the configuration is invalid.
 * @throws StoreDisabledError when the configuration is disabled.
 * @throws UnsafeDirectoryError, InvalidNamespaceError for the disk backend (see {@link DiskStore.open}).
 */
export async function createStore(config: CacheConfig, options: CreateStoreOptions = {}): Promise<Store> {
  config.validate();
  if (!config.enabled) throw new StoreDisabledError();
  const backend = options.backend ?? 'disk';
  if (options.backend === 'memory') return MemoryStore.fromConfig(config, { label: options.namespace ?? 'memory' });
  if (options.backend === undefined || options.backend === 'disk') return DiskStore.open(config, options);
  throw new InvalidStoreOptionError('backend', `expected 'disk' or 'memory', got ${JSON.stringify(backend)}`);
}
