import diagnostics from 'node:diagnostics_channel';
import { describe, expect, it } from 'vitest';
import { CHANNELS, InvalidStoreOptionError, MemoryStore } from '../src/index.js';
import { configFor } from './helpers.js';

const bytes = (n: number, fill = 1): Uint8Array => new Uint8Array(n).fill(fill);

describe('MemoryStore', () => {
  it('evicts the least recently used entry beyond the entry count', async () => {
    const store = new MemoryStore({ maxEntries: 3 });
    for (const key of ['a', 'b', 'c']) await store.put(key, bytes(1));
    await store.get('a');
    await store.put('d', bytes(1));
    expect(await store.has('b')).toBe(false);
    expect(await store.has('a')).toBe(true);
    expect(store.stats()).toMatchObject({ evictions: 1, entries: 3 });
  });

  it('evicts by total bytes and reports them', async () => {
    const store = new MemoryStore({ maxBytes: 1000 });
    const evicted: unknown[] = [];
    const listener = (message: unknown): void => void evicted.push(message);
    diagnostics.subscribe(CHANNELS.evict, listener);
    try {
      for (let i = 0; i < 5; i++) await store.put(`k${i}`, bytes(300));
    } finally {
      diagnostics.unsubscribe(CHANNELS.evict, listener);
    }
    expect(store.stats().bytes).toBeLessThanOrEqual(1000);
    expect(store.stats().entries).toBe(3);
    expect(evicted).toHaveLength(2);
    expect(await store.has('k0')).toBe(false);
  });

  it('refuses a value larger than its capacity without evicting others', async () => {
    const store = new MemoryStore({ maxBytes: 100 });
    await store.put('small', bytes(10));
    const result = await store.put('big', bytes(101));
    expect(result.stored).toBe(false);
    expect(await store.has('small')).toBe(true);
  });

  it('takes its bounds from a CacheConfig', async () => {
    const store = MemoryStore.fromConfig(configFor('/tmp/unused').withCapacity(500).withFileCountSoftLimit(2));
    await store.put('a', bytes(10));
    await store.put('b', bytes(10));
    await store.put('c', bytes(10));
    expect(store.stats().entries).toBe(2);
    expect((await store.put('d', bytes(501))).stored).toBe(false);
  });

  it('shares buffers with the caller only when asked to (copy: false)', async () => {
    const shared = new MemoryStore({ copy: false });
    const value = new Uint8Array([1, 2, 3]);
    await shared.put('k', value);
    expect(await shared.get('k')).toBe(value);
    const copying = new MemoryStore();
    await copying.put('k', value);
    expect(await copying.get('k')).not.toBe(value);
  });

  it('rejects limits that are not positive integers', () => {
    expect(() => new MemoryStore({ maxBytes: 0 })).toThrow(InvalidStoreOptionError);
    expect(() => new MemoryStore({ maxEntries: 1.5 })).toThrow(InvalidStoreOptionError);
  });
});
