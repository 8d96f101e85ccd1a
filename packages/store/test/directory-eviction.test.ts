import { existsSync, mkdirSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CODEC_ZSTD, DiskStore, hashKey, InvalidNamespaceError, Layout, nodeFs, parseHeader, readDirectoryStats, type CleanupReport, type FsLayer } from '../src/index.js';
import { captureWarnings, configFor, endedProcessPid, limitedConfigFor, manualClock, pseudoRandom, tempDirectory, type EvictionLimits } from './helpers.js';

const HOUR = 3_600_000;

/** The limits apply to the whole cache directory: every namespace (engine fingerprint) together. */
describe('DiskStore eviction across namespaces', () => {
  let dir: ReturnType<typeof tempDirectory>;
  const stores: DiskStore[] = [];
  beforeEach(() => {
    dir = tempDirectory('namespaces-');
  });
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    dir.remove();
  });

  async function open(namespace: string, clock: ReturnType<typeof manualClock>, limits: EvictionLimits = {}): Promise<DiskStore> {
    const store = await DiskStore.open(limitedConfigFor(dir.path, limits), { namespace, compression: false, clock: clock.now, background: 'inline' });
    stores.push(store);
    return store;
  }

  /** Writes `keys` into `namespace` through a store without limits, one a second, then closes it (the namespace is abandoned). */
  async function fill(namespace: string, clock: ReturnType<typeof manualClock>, keys: string[], size = 1000): Promise<void> {
    const writer = await open(namespace, clock);
    for (const key of keys) {
      await writer.put(key, pseudoRandom(size, `${namespace}/${key}`));
      clock.advance(1000);
    }
    await writer.close();
    stores.splice(stores.indexOf(writer), 1);
  }

  const present = (namespace: string, keys: string[]): boolean[] => {
    const layout = new Layout(dir.path, namespace);
    return keys.map((key) => existsSync(layout.entry(hashKey(key))));
  };
  const keys = (count: number): string[] => Array.from({ length: count }, (_, i) => `k${i}`);

  it('evicts the least recently used entries of every namespace, including ones no process opens any more', async () => {
    const clock = manualClock();
    await fill('node-20-abc', clock, keys(10)); // oldest: an engine fingerprint nobody uses now
    await fill('node-22-def', clock, keys(10));
    const store = await open('node-24-ghi', clock, { entries: 12, percent: 50 });
    clock.advance(2 * HOUR);
    const report = await store.runCleanup({ force: true });
    expect(report).toMatchObject({ ran: true, reason: 'evicted', evicted: 14, entries: 6 });
    expect(present('node-20-abc', keys(10))).toEqual(Array(10).fill(false));
    expect(present('node-22-def', keys(10))).toEqual([false, false, false, false, true, true, true, true, true, true]);
    // Each namespace's statistics say what it holds now, and together they make the directory's.
    const stats = await readDirectoryStats(dir.path);
    expect(stats.namespaces.map((namespace) => [namespace.namespace, namespace.entries])).toEqual([
      ['node-20-abc', 0],
      ['node-22-def', 6],
      ['node-24-ghi', 0],
    ]);
    expect(store.stats().entries).toBe(6);
  });

  it('bounds the whole directory at write time: the estimate counts the other namespaces', async () => {
    const clock = manualClock();
    const store = await open('node-24-ghi', clock, { bytes: 12_000, percent: 70 });
    await fill('node-20-abc', clock, keys(10)); // about 10.7 kB of a 12 kB capacity
    expect(await store.runCleanup({ force: true })).toMatchObject({ ran: true, reason: 'under-limits', entries: 10 });
    clock.advance(1000);
    expect((await store.put('new-1', pseudoRandom(1000, 'new-1'))).stored).toBe(true);
    expect((await store.put('new-2', pseudoRandom(1000, 'new-2'))).stored).toBe(true); // past the capacity: a cleanup at once
    await store.flush();
    expect(store.stats().evictions).toBeGreaterThan(0);
    expect(present('node-20-abc', ['k0', 'k1', 'k2', 'k3'])).toEqual([false, false, false, false]);
    expect(await store.has('new-1')).toBe(true);
    expect(await store.has('new-2')).toBe(true);
    expect(store.stats().bytes).toBeLessThanOrEqual(12_000);
  });

  it('shares one cleanup lock and one last-cleanup record among the namespaces', async () => {
    const clock = manualClock();
    const first = await open('node-20-abc', clock);
    const second = await open('node-22-def', clock);
    expect((await first.runCleanup({ force: true })).ran).toBe(true);
    expect(existsSync(path.join(dir.path, '.store', 'last-cleanup.json'))).toBe(true);
    expect(await second.runCleanup()).toMatchObject({ ran: false, reason: 'interval' });
    clock.advance(2 * HOUR);
    writeFileSync(path.join(dir.path, '.store', 'cleanup.lock'), JSON.stringify({ pid: 1, at: clock.now(), token: 'other' })); // pid 1 is alive
    expect(await second.runCleanup()).toMatchObject({ ran: false, reason: 'locked' });
    expect(await first.runCleanup({ force: true })).toMatchObject({ ran: false, reason: 'locked' });
  });

  it('never touches what is not a namespace of its own layout', async () => {
    const clock = manualClock();
    await fill('node-20-abc', clock, keys(3));
    const hash = hashKey('k0');
    const entryName = path.join('v1', 'entries', hash.slice(0, 2), `${hash}.entry`);
    const outside = tempDirectory('outside-');
    try {
      const foreign = [
        path.join(dir.path, '.fingerprints', entryName), // the engine's folders
        path.join(dir.path, '.producers', entryName),
        path.join(dir.path, '_private', entryName), // not a namespace name
        path.join(dir.path, 'other-format', 'v2', 'entries', hash.slice(0, 2), `${hash}.entry`), // no v1/entries
        path.join(dir.path, 'notes.txt'),
        path.join(outside.path, entryName), // reachable only through a link
      ];
      for (const file of foreign) {
        mkdirSync(path.dirname(file), { recursive: true });
        writeFileSync(file, 'not the cache');
        utimesSync(file, 1, 1); // ancient
      }
      symlinkSync(outside.path, path.join(dir.path, 'linked'));
      const store = await open('node-24-ghi', clock, { entries: 1, percent: 10 });
      clock.advance(2 * HOUR);
      expect(await store.runCleanup({ force: true })).toMatchObject({ ran: true, evicted: 2, entries: 1 });
      for (const file of foreign) expect(existsSync(file), file).toBe(true);
      expect(present('node-20-abc', keys(3))).toEqual([false, false, true]);
    } finally {
      outside.remove();
    }
  });

  it('another namespace\'s cleanup leaves a recompression in flight alone, however old the entry it rewrites', async () => {
    const config = configFor(dir.path).withBaselineCompressionLevel(1).withOptimizedCompressionLevel(19).withOptimizedCompressionUsageCounterThreshold(1);
    const other = await DiskStore.open(config, { namespace: 'node-22-def', background: 'inline' });
    stores.push(other);
    // The other namespace's process cleans (forced: its own work) just as this one's recompressed file is about to become the entry.
    const midway: CleanupReport[] = [];
    const fs: FsLayer = {
      ...nodeFs,
      rename: async (from, to) => {
        if (from.endsWith('.recompress')) midway.push(await other.runCleanup({ force: true }));
        return nodeFs.rename(from, to);
      },
    };
    const store = await DiskStore.open(config, { namespace: 'node-24-ghi', fs, background: 'inline', flushInterval: 60_000 });
    stores.push(store);
    const value = Buffer.from('a fairly compressible value, repeated. '.repeat(5000));
    await store.put('hot', value);
    await store.flush(); // the cleanup its first operation made due runs now, not midway
    const file = store.layout.entry(hashKey('hot'));
    const written = Date.now() / 1000 - 3 * 3600; // three hours ago: longer than the recompression timeout (30 minutes)
    utimesSync(file, written, written);
    const { warnings } = await captureWarnings(async () => {
      await store.get('hot');
      await store.flush();
    });
    expect(midway.map((report) => report.ran)).toEqual([true]);
    expect(warnings.map((warning) => warning.message)).toEqual([]);
    expect(store.stats().errors).toBe(0);
    const header = parseHeader(readFileSync(file));
    expect(typeof header === 'string' ? header : [header.codec, header.level]).toEqual([CODEC_ZSTD, 19]);
    expect(Math.round(statSync(file).mtimeMs / 1000)).toBe(Math.round(written)); // the entry keeps its date
    expect(Buffer.from((await store.get('hot')) ?? []).equals(value)).toBe(true);
  });

  it('cleans stale temp files and folds finished processes\' counters in other namespaces too', async () => {
    const clock = manualClock();
    await fill('node-20-abc', clock, keys(1));
    const abandoned = new Layout(dir.path, 'node-20-abc');
    mkdirSync(abandoned.tmp, { recursive: true });
    const stale = path.join(abandoned.tmp, `${hashKey('k9')}.entry.999999999.0badf00d.tmp`); // a pid that does not exist
    writeFileSync(stale, 'half written');
    const dead = endedProcessPid();
    const finished = path.join(abandoned.statsDirectory, `stats-${dead}.abc.json`);
    writeFileSync(finished, JSON.stringify({ hits: 5, writes: 2 }));
    const before = (await readDirectoryStats(dir.path)).namespaces.find((namespace) => namespace.namespace === 'node-20-abc')?.counters;
    const store = await open('node-24-ghi', clock);
    const report = await store.runCleanup({ force: true });
    expect(report.staleTempsRemoved).toBe(1);
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(finished)).toBe(false); // folded into the namespace's total.json
    const after = (await readDirectoryStats(dir.path)).namespaces.find((namespace) => namespace.namespace === 'node-20-abc')?.counters;
    expect(after).toEqual(before);
  });
});

describe('namespace names', () => {
  it('start with a letter or digit, so none can be a dot-folder such as .store', () => {
    for (const bad of ['.store', '.fingerprints', '_x', '-x', '.', '..', '', 'a/b', 'x'.repeat(129)]) {
      expect(() => new Layout('/cache', bad), bad).toThrow(InvalidNamespaceError);
    }
    for (const good of ['default', 'node-20.20.2-v8-11.3-abc123', '0abc', 'A_b.c-d', 'x'.repeat(128)]) expect(new Layout('/cache', good).namespace).toBe(good);
  });
});
