import { existsSync, mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DiskStore, hashKey, type DiskStoreOptions } from '../src/index.js';
import { limitedConfigFor, manualClock, pseudoRandom, tempDirectory, type EvictionLimits } from './helpers.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('DiskStore eviction', () => {
  let dir: ReturnType<typeof tempDirectory>;
  const stores: DiskStore[] = [];
  beforeEach(() => {
    dir = tempDirectory('evict-');
  });
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    dir.remove();
  });

  /** A store whose limits are a count of `entries` (bytes unlimited) or `bytes`, with a settable clock. */
  async function open(clock: ReturnType<typeof manualClock>, limits: EvictionLimits, options: DiskStoreOptions = {}): Promise<DiskStore> {
    const config = limitedConfigFor(dir.path, limits).withAllowedClockDriftForFilesFromFuture('1d');
    const store = await DiskStore.open(config, { namespace: 'ns', compression: false, clock: clock.now, ...options });
    stores.push(store);
    return store;
  }

  const entryFile = (store: DiskStore, key: string): string => store.layout.entry(hashKey(key));
  const entryCount = (store: DiskStore): number => {
    if (!existsSync(store.layout.entries)) return 0;
    return readdirSync(store.layout.entries, { recursive: true }).filter((name) => String(name).endsWith('.entry')).length;
  };
  const entryBytes = (store: DiskStore): number =>
    readdirSync(store.layout.entries, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.name.endsWith('.entry'))
      .reduce((sum, entry) => sum + statSync(path.join(entry.parentPath, entry.name)).size, 0);

  /** Fills the namespace through a store with no limits, one entry per second from `clock`'s time. */
  async function fill(clock: ReturnType<typeof manualClock>, keys: string[], size = 100): Promise<void> {
    const writer = await open(clock, {});
    for (const key of keys) {
      await writer.put(key, pseudoRandom(size, key));
      clock.advance(1000);
    }
    await writer.close();
    stores.splice(stores.indexOf(writer), 1);
  }

  it('evicts least recently used first, where a read counts as a use', async () => {
    const clock = manualClock();
    const store = await open(clock, { entries: 10, percent: 70 });
    for (let i = 0; i < 10; i++) {
      await store.put(`k${i}`, pseudoRandom(100, `k${i}`));
      clock.advance(1000);
    }
    await store.get('k0');
    await store.get('k1');
    clock.advance(1000);
    await store.flush(); // usage reaches the sidecars: k0 and k1 are now the most recent
    await store.put('k10', pseudoRandom(100, 'k10')); // 11 > 10: cleanup at once, down to 7
    await store.flush();
    const present = await Promise.all(Array.from({ length: 11 }, (_, i) => store.has(`k${i}`)));
    expect(present).toEqual([true, true, false, false, false, false, true, true, true, true, true]);
    expect(store.stats().evictions).toBe(4);
  });

  it('keeps an entry above the percent target but within the capacity: its own put\'s cleanup evicts the older one only', async () => {
    const clock = manualClock();
    const store = await open(clock, { bytes: 100 * 1024, percent: 70 });
    expect(await store.put('a', pseudoRandom(80 * 1024, 'a'))).toEqual({ stored: true });
    await store.flush();
    clock.advance(1000);
    expect(await store.put('b', pseudoRandom(80 * 1024, 'b'))).toEqual({ stored: true });
    await store.flush();
    expect(await store.has('a')).toBe(false);
    expect(await store.has('b')).toBe(true);
    expect(Buffer.from((await store.get('b')) ?? []).equals(pseudoRandom(80 * 1024, 'b'))).toBe(true);
    expect(store.stats().evictions).toBe(1);
  });

  it('keeps an entry just within the capacity after its first use: its usage sidecar does not get it evicted', async () => {
    const clock = manualClock();
    const capacity = 100_000;
    const store = await open(clock, { bytes: capacity, percent: 70 }, { background: 'inline' });
    // Entry file = 64-byte header + key + value: exactly 10 bytes under the capacity.
    const value = pseudoRandom(capacity - 64 - 'big'.length - 10, 'big');
    expect(await store.put('big', value)).toEqual({ stored: true });
    expect(statSync(entryFile(store, 'big')).size).toBe(capacity - 10);
    await store.flush();
    clock.advance(1000);
    expect(Buffer.from((await store.get('big')) ?? []).equals(value)).toBe(true);
    await store.flush(); // the use reaches its sidecar: entry and sidecar together are now above the capacity
    expect(existsSync(store.layout.sidecar(hashKey('big')))).toBe(true);
    clock.advance(1000);
    const report = await store.runCleanup({ force: true });
    expect(report.evicted).toBe(0);
    expect(existsSync(entryFile(store, 'big'))).toBe(true);
    expect(Buffer.from((await store.get('big')) ?? []).equals(value)).toBe(true);
  });

  it('counts a replaced entry once and a deleted one with its bytes in stats()', async () => {
    const clock = manualClock();
    const store = await open(clock, {});
    await store.put('a', pseudoRandom(1000, 'a'));
    await store.runCleanup({ force: true });
    const after = store.stats();
    expect(after.entries).toBe(1);
    const bytes = after.bytes ?? 0;
    expect(bytes).toBe(entryBytes(store));
    for (let i = 0; i < 10; i++) await store.put('a', pseudoRandom(1000, 'a'));
    expect(store.stats()).toMatchObject({ entries: 1, bytes });
    await store.put('a', pseudoRandom(2000, 'a2')); // a bigger value replaces it
    expect(store.stats()).toMatchObject({ entries: 1, bytes: entryBytes(store) });
    await store.get('a');
    await store.flush(); // the use reaches a sidecar, which the next scan counts
    await store.runCleanup({ force: true });
    expect(await store.delete('a')).toBe(true);
    expect(store.stats()).toMatchObject({ entries: 0, bytes: 0 });
  });

  it('deletes down to the size percent target', async () => {
    const clock = manualClock();
    const store = await open(clock, { bytes: 100_000, percent: 60 });
    for (let i = 0; i < 12; i++) {
      await store.put(`k${i}`, pseudoRandom(10_000, `k${i}`));
      clock.advance(1000);
      await store.flush();
      expect(entryBytes(store)).toBeLessThanOrEqual(100_000 + 10_100);
    }
    const report = await store.runCleanup({ force: true });
    expect(report.ran).toBe(true);
    expect(entryBytes(store)).toBeLessThanOrEqual(100_000);
    // The last cleanup brought it to at most 60 %; the newest key survives.
    expect(await store.has('k11')).toBe(true);
    expect(await store.has('k0')).toBe(false);
  });

  it('deletes down to the count percent target', async () => {
    const clock = manualClock();
    await fill(clock, Array.from({ length: 20 }, (_, i) => `k${i}`));
    const store = await open(clock, { entries: 10, percent: 50 });
    clock.advance(2 * HOUR);
    const report = await store.runCleanup();
    expect(report).toMatchObject({ ran: true, reason: 'evicted', evicted: 15, entries: 5 });
    expect(entryCount(store)).toBe(5);
    expect(await store.has('k19')).toBe(true);
    expect(await store.has('k14')).toBe(false);
  });

  it('runs at most once per cleanup interval across stores sharing the directory', async () => {
    const clock = manualClock();
    await fill(clock, Array.from({ length: 20 }, (_, i) => `a${i}`));
    const first = await open(clock, { entries: 10 });
    const second = await open(clock, { entries: 10 });
    clock.advance(HOUR);
    expect((await first.runCleanup()).ran).toBe(true);
    expect(entryCount(first)).toBe(7);
    await fill(clock, Array.from({ length: 10 }, (_, i) => `b${i}`));
    expect(await second.runCleanup()).toMatchObject({ ran: false, reason: 'interval' });
    expect(entryCount(second)).toBe(17);
    clock.advance(HOUR);
    expect(await second.runCleanup()).toMatchObject({ ran: true, reason: 'evicted', entries: 7 });
    expect(await first.runCleanup()).toMatchObject({ ran: false, reason: 'interval' });
  });

  it('treats files from the near future as recent and from beyond the allowed drift as old', async () => {
    const clock = manualClock();
    const keys = Array.from({ length: 10 }, (_, i) => `k${i}`);
    await fill(clock, keys);
    const store = await open(clock, { entries: 8, percent: 50 });
    const t = clock.now() / 1000;
    utimesSync(entryFile(store, 'k0'), t + DAY / 2000, t + DAY / 2000); // 12 h ahead: within the 1 d drift
    utimesSync(entryFile(store, 'k9'), t + (2 * DAY) / 1000, t + (2 * DAY) / 1000); // 2 d ahead: beyond it
    clock.advance(2 * HOUR);
    await store.runCleanup();
    const present = await Promise.all(keys.map((key) => store.has(key)));
    expect(present).toEqual([true, false, false, false, false, false, true, true, true, false]);
  });

  it('ignores a last-cleanup stamp from a clock beyond the allowed drift', async () => {
    const clock = manualClock();
    await fill(clock, Array.from({ length: 12 }, (_, i) => `k${i}`));
    const store = await open(clock, { entries: 10 });
    writeFileSync(store.layout.lastCleanup, JSON.stringify({ at: clock.now() + DAY / 2 }));
    expect((await store.runCleanup()).reason).toBe('interval');
    writeFileSync(store.layout.lastCleanup, JSON.stringify({ at: clock.now() + 2 * DAY }));
    expect((await store.runCleanup()).ran).toBe(true);
  });

  it('never deletes files it did not create', async () => {
    const clock = manualClock();
    await fill(clock, Array.from({ length: 12 }, (_, i) => `k${i}`));
    const store = await open(clock, { entries: 2, percent: 10 });
    const hash = hashKey('k0');
    const foreign = [
      path.join(store.layout.root, 'notes.txt'),
      path.join(store.layout.entries, 'README'),
      path.join(store.layout.entries, hash.slice(0, 2), `${hash}.entry.bak`),
      path.join(store.layout.entries, hash.slice(0, 2), 'mine.entry'),
      path.join(store.layout.entries, 'zz', `${hash}.entry`),
      path.join(store.layout.entries, '00', `${hash}.entry`), // right name, wrong shard
      path.join(store.layout.tmp, 'editor.swp'),
      path.join(store.layout.statsDirectory, 'stats-1.x.json.orig'),
    ];
    for (const file of foreign) {
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, 'not the cache');
      utimesSync(file, 1, 1); // ancient
    }
    clock.advance(2 * HOUR);
    expect((await store.runCleanup()).ran).toBe(true);
    expect(entryCount(store) - 3).toBeLessThanOrEqual(1); // our 12 entries went down to 1 (3 foreign names end in .entry)
    for (const file of foreign) expect(existsSync(file), file).toBe(true);
  });

  it('honours the capacity at write time, between interval cleanups', async () => {
    const clock = manualClock();
    const store = await open(clock, { bytes: 50_000 });
    for (let i = 0; i < 30; i++) {
      expect((await store.put(`k${i}`, pseudoRandom(8_000, `k${i}`))).stored).toBe(true);
      await store.flush();
      expect(entryBytes(store)).toBeLessThanOrEqual(50_000 + 8_100);
    }
    expect(store.stats().evictions).toBeGreaterThan(10);
    // The clock never moved: the interval alone would have allowed one cleanup.
  });

  it('refuses an entry larger than the capacity', async () => {
    const clock = manualClock();
    const store = await open(clock, { bytes: 10_000 });
    const result = await store.put('huge', pseudoRandom(20_000, 'huge'));
    expect(result.stored).toBe(false);
    expect(result.stored === false && result.reason).toMatch(/capacity/);
    expect(result).not.toHaveProperty('faultCode'); // a refusal of this value, not a fault of the store
    expect(await store.has('huge')).toBe(false);
  });

  it('cleans a cache that is only read from', async () => {
    const clock = manualClock();
    await fill(clock, Array.from({ length: 30 }, (_, i) => `k${i}`));
    clock.advance(2 * HOUR);
    const reader = await open(clock, { entries: 10 });
    expect(entryCount(reader)).toBe(30);
    expect(await reader.get('k29')).toBeDefined();
    await reader.flush();
    expect(entryCount(reader)).toBe(7);
    expect(reader.stats().evictions).toBe(23);
    // The next read within the interval does not scan again.
    await fill(clock, ['late1', 'late2']);
    await reader.get('k29');
    await reader.flush();
    expect(entryCount(reader)).toBe(9);
    clock.advance(HOUR);
    await reader.get('k29');
    await reader.flush();
    expect(entryCount(reader)).toBe(9); // 9 is under the limit of 10: cleanup ran and kept them all
  });

  it("runs a read's cleanup check after the read returns: with the next timed flush, or at close", async () => {
    const clock = manualClock();
    await fill(clock, Array.from({ length: 30 }, (_, i) => `k${i}`));
    clock.advance(2 * HOUR);
    const timed = await open(clock, { entries: 10 }, { flushInterval: 50 });
    expect(await timed.get('k29')).toBeDefined();
    expect(entryCount(timed)).toBe(30); // the read did not wait for (or start) the cleanup
    for (let waited = 0; entryCount(timed) > 7 && waited < 10_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(entryCount(timed)).toBe(7);
    await timed.close();

    await fill(clock, Array.from({ length: 20 }, (_, i) => `more${i}`));
    clock.advance(2 * HOUR);
    const closing = await open(clock, { entries: 10 }, { flushInterval: 60_000 });
    expect(await closing.get('more19')).toBeDefined();
    await closing.close();
    expect(entryCount(closing)).toBe(7);
  });
});
