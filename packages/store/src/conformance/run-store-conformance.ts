import { createHash } from 'node:crypto';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_KEY_LENGTH } from '../contract/keys.js';
import type { Store } from '../contract/store.js';

/** Makes a fresh, empty store for one test case. */
export type StoreFactory = () => Store | Promise<Store>;

/** Options of {@link runStoreConformance}. */
export interface ConformanceOptions {
  /** Called after each case, after the store is closed (remove a temp directory, flush a server). */
  cleanup?: () => void | Promise<void>;
  /** Size of the "large value" case, bytes. @default 4 MiB */
  largeValueBytes?: number;
}

function bytes(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'utf8'));
}

function same(actual: Uint8Array | undefined, expected: Uint8Array): boolean {
  return actual instanceof Uint8Array && Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength).equals(Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength));
}

function pseudoRandom(size: number, seed: string): Uint8Array {
  const out = new Uint8Array(size);
  let block = createHash('sha256').update(seed).digest();
  for (let offset = 0; offset < size; offset += block.length) {
    out.set(block.subarray(0, Math.min(block.length, size - offset)), offset);
    block = createHash('sha256').update(block).digest();
  }
  return out;
}

async function collect(iterable: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const key of iterable) out.push(key);
  return out;
}

async function expectInvalidKey(action: () => Promise<unknown>): Promise<void> {
  let caught: unknown;
  try {
    await action();
  } catch (error) {
    caught = error;
  }
  expect(caught, 'an invalid key must throw').toBeInstanceOf(Error);
  expect((caught as { code?: unknown }).code).toBe('ERR_CACHE_STORE_INVALID_KEY');
}

/**
 * Registers the shared `Store` contract tests (vitest `describe`/`it`) for a
 * backend. Each case gets a fresh store from `factory` and closes it after,
 * so cases are independent and may run in any order.
 *
 * @example
 * import { runStoreConformance } from '@cache/store/conformance';
 * runStoreConformance('RedisStore', () => RedisStore.connect(url), { cleanup: flushAll });
 */
export function runStoreConformance(name: string, factory: StoreFactory, options: ConformanceOptions = {}): void {
  const largeValueBytes = options.largeValueBytes ?? 4 * 1024 * 1024;

  describe(`Store conformance: ${name}`, () => {
    const open: Store[] = [];
    const make = async (): Promise<Store> => {
      const store = await factory();
      open.push(store);
      return store;
    };

    afterEach(async () => {
      for (const store of open.splice(0)) await store.close();
      await options.cleanup?.();
    });

    it('declares a kind and its capabilities', async () => {
      const store = await make();
      expect(typeof store.kind).toBe('string');
      expect(store.kind.length).toBeGreaterThan(0);
      expect(typeof store.capabilities.persistent).toBe('boolean');
      expect(typeof store.capabilities.sharedAcrossProcesses).toBe('boolean');
      expect(['boolean', 'undefined']).toContain(typeof store.capabilities.verifiesContent);
    });

    it('misses a key that was never stored', async () => {
      const store = await make();
      expect(await store.get('never-stored')).toBeUndefined();
      expect(await store.has('never-stored')).toBe(false);
    });

    it('returns what was put', async () => {
      const store = await make();
      const value = bytes('hello, cache');
      expect(await store.put('k1', value)).toEqual({ stored: true });
      const read = await store.get('k1');
      expect(read).toBeInstanceOf(Uint8Array);
      expect(same(read, value)).toBe(true);
      expect(await store.has('k1')).toBe(true);
    });

    it('replaces a value on a second put', async () => {
      const store = await make();
      await store.put('k', bytes('first'));
      await store.put('k', bytes('second, longer value'));
      expect(same(await store.get('k'), bytes('second, longer value'))).toBe(true);
      expect(await collect(store.keys())).toEqual(['k']);
    });

    it('round-trips an empty value', async () => {
      const store = await make();
      expect((await store.put('empty', new Uint8Array(0))).stored).toBe(true);
      const read = await store.get('empty');
      expect(read).toBeInstanceOf(Uint8Array);
      expect(read?.byteLength).toBe(0);
    });

    it('round-trips every byte value', async () => {
      const store = await make();
      const value = new Uint8Array(256 * 4).map((_, i) => i % 256);
      await store.put('all-bytes', value);
      expect(same(await store.get('all-bytes'), value)).toBe(true);
    });

    it('round-trips a large incompressible value and a large compressible one', async () => {
      const store = await make();
      const noise = pseudoRandom(largeValueBytes, 'noise');
      const zeros = new Uint8Array(largeValueBytes);
      await store.put('noise', noise);
      await store.put('zeros', zeros);
      expect(same(await store.get('noise'), noise)).toBe(true);
      expect(same(await store.get('zeros'), zeros)).toBe(true);
    });

    it('accepts a Uint8Array view into a larger buffer', async () => {
      const store = await make();
      const backing = new Uint8Array(100).map((_, i) => i);
      const view = backing.subarray(10, 20);
      await store.put('view', view);
      expect(same(await store.get('view'), backing.slice(10, 20))).toBe(true);
    });

    it('is not affected by the caller changing its buffers', async () => {
      const store = await make();
      const value = bytes('original');
      await store.put('mut', value);
      value.fill(0);
      const first = await store.get('mut');
      expect(same(first, bytes('original'))).toBe(true);
      first?.fill(0);
      expect(same(await store.get('mut'), bytes('original'))).toBe(true);
    });

    it('copies Buffer values too (Buffer#slice is a view, not a copy)', async () => {
      const store = await make();
      const value = Buffer.from('buffer original');
      await store.put('buf', value);
      value.fill(0x41);
      const first = await store.get('buf');
      expect(same(first, bytes('buffer original'))).toBe(true);
      if (first) Buffer.from(first.buffer, first.byteOffset, first.byteLength).fill(0x42);
      expect(same(await store.get('buf'), bytes('buffer original'))).toBe(true);
    });

    it('deletes: true when something was removed, then false', async () => {
      const store = await make();
      await store.put('d', bytes('x'));
      expect(await store.delete('d')).toBe(true);
      expect(await store.delete('d')).toBe(false);
      expect(await store.get('d')).toBeUndefined();
      expect(await store.has('d')).toBe(false);
    });

    it('lists keys that are held and not deleted ones', async () => {
      const store = await make();
      for (const key of ['a', 'b', 'c']) await store.put(key, bytes(key));
      await store.delete('b');
      expect((await collect(store.keys())).sort()).toEqual(['a', 'c']);
    });

    it('treats keys as opaque: path-like, unicode and long keys are distinct entries', async () => {
      const store = await make();
      const keys = ['../../etc/passwd', '/absolute', 'a/b\\c', '..', '.', 'nul\u0000byte', 'ünï ćødé 🦀', 'x'.repeat(MAX_KEY_LENGTH), 'CASE', 'case'];
      for (const [i, key] of keys.entries()) expect((await store.put(key, bytes(`v${i}`))).stored).toBe(true);
      for (const [i, key] of keys.entries()) expect(same(await store.get(key), bytes(`v${i}`))).toBe(true);
      expect((await collect(store.keys())).sort()).toEqual([...keys].sort());
    });

    it('throws InvalidKeyError for empty, non-string, over-long and malformed keys', async () => {
      const store = await make();
      const bad: unknown[] = ['', 42, undefined, null, 'x'.repeat(MAX_KEY_LENGTH + 1), 'lone\ud800surrogate'];
      for (const key of bad) {
        await expectInvalidKey(() => store.get(key as string));
        await expectInvalidKey(() => store.put(key as string, bytes('v')));
        await expectInvalidKey(() => store.has(key as string));
        await expectInvalidKey(() => store.delete(key as string));
      }
    });

    it('throws InvalidValueError for a value that is not a Uint8Array', async () => {
      const store = await make();
      for (const value of ['text', 42, null, undefined, [1, 2, 3], new ArrayBuffer(4)]) {
        let caught: unknown;
        try {
          await store.put('k', value as unknown as Uint8Array);
        } catch (error) {
          caught = error;
        }
        expect((caught as { code?: unknown } | undefined)?.code).toBe('ERR_CACHE_STORE_INVALID_VALUE');
      }
      expect(await store.has('k')).toBe(false);
    });

    it('throws InvalidValueError for a Uint8Array whose memory was detached (transferred)', async () => {
      const store = await make();
      const value = new Uint8Array([1, 2, 3]);
      structuredClone(value.buffer, { transfer: [value.buffer] });
      let caught: unknown;
      try {
        await store.put('k', value);
      } catch (error) {
        caught = error;
      }
      expect(caught).toMatchObject({ code: 'ERR_CACHE_STORE_INVALID_VALUE', message: expect.stringMatching(/detached/) });
      expect(await store.has('k')).toBe(false);
    });

    it('stores a Uint8Array made in another realm (a vm context)', async () => {
      const store = await make();
      const foreign = runInNewContext('new Uint8Array([1, 2, 3])') as Uint8Array;
      expect(foreign instanceof Uint8Array).toBe(false);
      expect(await store.put('k', foreign)).toEqual({ stored: true });
      expect(Array.from((await store.get('k')) ?? [])).toEqual([1, 2, 3]);
    });

    it('counts hits, misses, writes and bytes', async () => {
      const store = await make();
      const before = store.stats();
      await store.put('s', bytes('12345'));
      await store.get('s');
      await store.get('s');
      await store.get('missing');
      const after = store.stats();
      expect(after.writes - before.writes).toBe(1);
      expect(after.bytesWritten - before.bytesWritten).toBe(5);
      expect(after.hits - before.hits).toBe(2);
      expect(after.bytesRead - before.bytesRead).toBe(10);
      expect(after.misses - before.misses).toBe(1);
      for (const field of ['evictions', 'corruptEntries', 'errors', 'timeSpentMs'] as const) expect(after[field]).toBeGreaterThanOrEqual(0);
    });

    it('peeks at the first bytes of a value, when it offers peek', async () => {
      const store = await make();
      expect(['function', 'undefined']).toContain(typeof store.peek);
      if (!store.peek) return;
      const peek = store.peek.bind(store);
      const value = pseudoRandom(100_000, 'peek');
      await store.put('p', value);
      expect(same(await peek('p', 72), value.subarray(0, 72))).toBe(true);
      expect(same(await peek('p', 0), new Uint8Array(0))).toBe(true);
      // A value a backend stores compressed.
      const repetitive = new Uint8Array(200_000).map((_, i) => i % 7);
      await store.put('z', repetitive);
      expect(same(await peek('z', 100), repetitive.subarray(0, 100))).toBe(true);
      // All of it when shorter than asked; nothing for a key never stored or deleted.
      await store.put('short', bytes('abc'));
      expect(same(await peek('short', 1000), bytes('abc'))).toBe(true);
      expect(await peek('never-stored', 10)).toBeUndefined();
      await store.delete('p');
      expect(await peek('p', 10)).toBeUndefined();
      // Not a read: no hit counted, and nothing changes.
      const before = store.stats();
      await peek('short', 2);
      await peek('never-stored', 2);
      expect(store.stats().hits).toBe(before.hits);
      expect(store.stats().misses).toBe(before.misses);
      expect(same(await store.get('short'), bytes('abc'))).toBe(true);
      await expectInvalidKey(() => peek('', 1));
    });

    it('completes concurrent puts of one key with one of the values', async () => {
      const store = await make();
      const values = Array.from({ length: 8 }, (_, i) => pseudoRandom(10_000 + i, `c${i}`));
      const results = await Promise.all(values.map((value) => store.put('contended', value)));
      expect(results.every((result) => result.stored)).toBe(true);
      const read = await store.get('contended');
      expect(values.some((value) => same(read, value))).toBe(true);
    });

    it('handles many concurrent operations on distinct keys', async () => {
      const store = await make();
      const keys = Array.from({ length: 64 }, (_, i) => `key-${i}`);
      await Promise.all(keys.map((key) => store.put(key, bytes(key))));
      const reads = await Promise.all(keys.map((key) => store.get(key)));
      reads.forEach((read, i) => expect(same(read, bytes(keys[i] ?? ''))).toBe(true));
    });

    it('closes idempotently and refuses use afterwards', async () => {
      const store = await make();
      await store.put('c', bytes('v'));
      await store.close();
      await store.close();
      let caught: unknown;
      try {
        await store.get('c');
      } catch (error) {
        caught = error;
      }
      expect((caught as { code?: unknown } | undefined)?.code).toBe('ERR_CACHE_STORE_CLOSED');
    });
  });
}
