import { CacheConfig, CacheConfigError } from '@cache/config';
import { afterEach, describe, expect, it } from 'vitest';
import { createStore, DiskStore, InvalidNamespaceError, MemoryStore, StoreDisabledError } from '../src/index.js';
import { tempDirectory } from './helpers.js';

describe('createStore', () => {
  const dir = tempDirectory('create-');
  afterEach(() => dir.remove());

  it('creates a disk store by default, one directory per namespace', async () => {
    const store = await createStore(CacheConfig.default().withDirectory(dir.path), { namespace: 'node-20.20.2-v8-11.3' });
    expect(store).toBeInstanceOf(DiskStore);
    expect((store as DiskStore).layout.root).toBe(`${dir.path}/node-20.20.2-v8-11.3/v1`);
    await store.close();
  });

  it('creates a memory store', async () => {
    const store = await createStore(CacheConfig.default().withDirectory(dir.path).withCapacity('1Mi'), { backend: 'memory' });
    expect(store).toBeInstanceOf(MemoryStore);
    await store.close();
  });

  it('validates the configuration and refuses a disabled one', async () => {
    await expect(createStore(CacheConfig.default().withDirectory(dir.path).withCapacity('2g'))).rejects.toBeInstanceOf(CacheConfigError);
    await expect(createStore(CacheConfig.disabled())).rejects.toBeInstanceOf(StoreDisabledError);
  });

  it('refuses a namespace that is not one safe directory name', async () => {
    for (const namespace of ['..', '.', 'a/b', '', 'x'.repeat(129), '../escape']) {
      await expect(createStore(CacheConfig.default().withDirectory(dir.path), { namespace })).rejects.toBeInstanceOf(InvalidNamespaceError);
    }
  });
});
