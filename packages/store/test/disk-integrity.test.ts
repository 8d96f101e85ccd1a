import { execFileSync } from 'node:child_process';
import diagnostics from 'node:diagnostics_channel';
import { closeSync, constants, copyFileSync, existsSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { crc32 } from 'node:zlib';
import { CHANNELS, CODEC_ZSTD, DiskStore, hashKey, HEADER_LENGTH, loadZstd, MemoryStore, parseHeader, readDirectoryStats, nodeFs, TieredStore, type CorruptMessage, type FaultMessage, type MissMessage } from '../src/index.js';
import { configFor, endedProcessPid, faultyFs, listFiles, pseudoRandom, tempDirectory } from './helpers.js';

/** Damages a file in place: the byte at `offset` (from the end when negative) XORed with `mask`. */
function flipFileByte(file: string, offset: number, mask = 1): void {
  const bytes = readFileSync(file);
  const at = offset < 0 ? bytes.byteLength + offset : offset;
  bytes[at] = (bytes[at] ?? 0) ^ mask;
  writeFileSync(file, bytes);
}

/** The messages published on the corrupt channel while `run` runs. */
async function corruptMessagesDuring(run: () => Promise<void>): Promise<CorruptMessage[]> {
  const seen: CorruptMessage[] = [];
  const listener = (message: unknown): void => void seen.push(message as CorruptMessage);
  diagnostics.subscribe(CHANNELS.corrupt, listener);
  try {
    await run();
  } finally {
    diagnostics.unsubscribe(CHANNELS.corrupt, listener);
  }
  return seen;
}

describe('DiskStore integrity, statistics and background work', () => {
  let dir: ReturnType<typeof tempDirectory>;
  const stores: DiskStore[] = [];
  beforeEach(() => {
    dir = tempDirectory('integrity-');
  });
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    dir.remove();
  });
  const open = async (...args: Parameters<typeof DiskStore.open>): Promise<DiskStore> => {
    const store = await DiskStore.open(...args);
    stores.push(store);
    return store;
  };

  it('lays entries out as <namespace>/v1/entries/<hh>/<sha256>.entry', async () => {
    const store = await open(configFor(dir.path), { namespace: 'fp-1' });
    await store.put('../../../escape', Buffer.from('v'));
    const hash = hashKey('../../../escape');
    expect(listFiles(dir.path)).toContain(`fp-1/v1/entries/${hash.slice(0, 2)}/${hash}.entry`);
    expect(listFiles(dir.path).every((file) => file.startsWith('fp-1/v1/'))).toBe(true);
  });

  it('serves nothing from a damaged entry: a miss, the file removed, counted and published', async () => {
    const store = await open(configFor(dir.path), { compression: false });
    const value = pseudoRandom(10_000, 'v');
    await store.put('k', value);
    const file = store.layout.entry(hashKey('k'));
    flipFileByte(file, -100);
    const seen = await corruptMessagesDuring(async () => {
      expect(await store.get('k')).toBeUndefined();
    });
    expect(existsSync(file)).toBe(false);
    expect(store.stats()).toMatchObject({ corruptEntries: 1, misses: 1, hits: 0 });
    expect(seen).toEqual([expect.objectContaining({ key: 'k', reason: 'checksum mismatch', store: 'disk' })]);
    await store.put('k', value);
    expect(Buffer.from((await store.get('k')) ?? []).equals(value)).toBe(true);
  });

  it('detects a swapped entry (another key\'s file under this name)', async () => {
    const store = await open(configFor(dir.path));
    await store.put('a', Buffer.from('value of a'));
    await store.put('b', Buffer.from('value of b'));
    copyFileSync(store.layout.entry(hashKey('a')), store.layout.entry(hashKey('b')));
    expect(await store.get('b')).toBeUndefined();
    expect(store.stats().corruptEntries).toBe(1);
    expect(Buffer.from((await store.get('a')) ?? []).toString()).toBe('value of a');
  });

  it('peeks only at the start of an entry file: nothing from a damaged header or another key\'s file, no removal', async () => {
    const store = await open(configFor(dir.path), { compression: false });
    const value = pseudoRandom(1_000_000, 'big');
    await store.put('big', value);
    const file = store.layout.entry(hashKey('big'));
    // Damage past the bytes asked for is not seen (peek is a hint; get verifies), and the file stays.
    flipFileByte(file, -1);
    expect(Buffer.from((await store.peek('big', 100)) ?? []).equals(value.subarray(0, 100))).toBe(true);
    expect(existsSync(file)).toBe(true);
    expect(await store.get('big')).toBeUndefined();
    // Another key's file under this name, a damaged header, a file shorter than a header: nothing.
    await store.put('a', Buffer.from('value of a'));
    await store.put('b', Buffer.from('value of b'));
    copyFileSync(store.layout.entry(hashKey('a')), store.layout.entry(hashKey('b')));
    expect(await store.peek('b', 5)).toBeUndefined();
    await store.put('c', Buffer.from('value of c'));
    const header = readFileSync(store.layout.entry(hashKey('c')));
    header[0] = 0;
    writeFileSync(store.layout.entry(hashKey('c')), header);
    expect(await store.peek('c', 5)).toBeUndefined();
    writeFileSync(store.layout.entry(hashKey('c')), header.subarray(0, 10));
    expect(await store.peek('c', 5)).toBeUndefined();
    // A file cut short, or grown, after the bytes asked for: its length is not the header's, so nothing.
    await store.put('d', pseudoRandom(1000, 'd'));
    const whole = readFileSync(store.layout.entry(hashKey('d')));
    writeFileSync(store.layout.entry(hashKey('d')), whole.subarray(0, whole.byteLength - 500));
    expect(await store.peek('d', 100)).toBeUndefined();
    writeFileSync(store.layout.entry(hashKey('d')), Buffer.concat([whole, Buffer.from('more')]));
    expect(await store.peek('d', 100)).toBeUndefined();
    writeFileSync(store.layout.entry(hashKey('d')), whole);
    expect(Buffer.from((await store.peek('d', 100)) ?? []).equals(pseudoRandom(1000, 'd').subarray(0, 100))).toBe(true);
    expect(Buffer.from((await store.peek('a', 5)) ?? []).toString()).toBe('value');
    // A peek is not a fault, a hit or a miss.
    expect(store.stats()).toMatchObject({ errors: 0 });
    expect(existsSync(store.layout.entry(hashKey('c')))).toBe(true);
    await expect(store.peek('a', -1)).rejects.toMatchObject({ code: 'ERR_CACHE_STORE_INVALID_OPTION', message: 'Invalid store option peek length: must be a whole number of bytes, 0 or more; got -1' });
  });

  it('refuses, without reading or waiting, an entry that is a FIFO or a device: a damaged entry, removed', async () => {
    const store = await open(configFor(dir.path).withCapacity('1Mi'), { compression: false });
    const entry = (key: string): string => store.layout.entry(hashKey(key));
    for (const key of ['fifo', 'device']) await store.put(key, pseudoRandom(1000, key));
    rmSync(entry('fifo'));
    execFileSync('mkfifo', [entry('fifo')]);
    rmSync(entry('device'));
    symlinkSync('/dev/zero', entry('device'));
    const seen = await corruptMessagesDuring(async () => {
      for (const key of ['fifo', 'device']) {
        expect(await store.peek(key, 16)).toBeUndefined();
        expect(await store.get(key)).toBeUndefined();
        expect(existsSync(entry(key))).toBe(false);
      }
    });
    expect(seen.map((message) => [message.key, message.reason])).toEqual([
      ['fifo', 'not a regular file'],
      ['device', 'not a regular file'],
    ]);
    expect(store.stats()).toMatchObject({ corruptEntries: 2, errors: 0 });
    // Listing a FIFO's key does not wait for a writer either.
    execFileSync('mkfifo', [entry('fifo')]);
    const keys: string[] = [];
    for await (const key of store.keys()) keys.push(key);
    expect(keys).toEqual([]);
    expect(await store.removeUnreadableEntries()).toEqual([{ file: entry('fifo'), outcome: 'removed' }]);
  });

  it('an intact entry larger than this store\'s capacity (a store of a larger one wrote it) is a miss: not read, not removed, not counted damaged; a cleanup past the limit evicts it', async () => {
    const large = await open(configFor(dir.path).withCapacity('8Mi'), { compression: false });
    const value = pseudoRandom(2 * 1024 * 1024, 'huge');
    expect((await large.put('huge', value)).stored).toBe(true);
    expect((await large.put('small', pseudoRandom(1000, 'small'))).stored).toBe(true);
    const faulty = faultyFs(); // counts the reads
    const store = await open(configFor(dir.path).withCapacity('1Mi'), { compression: false, fs: faulty.fs });
    const file = store.layout.entry(hashKey('huge'));
    const misses: MissMessage[] = [];
    const onMiss = (message: unknown): void => void misses.push(message as MissMessage);
    diagnostics.subscribe(CHANNELS.miss, onMiss);
    const corrupt = await corruptMessagesDuring(async () => {
      expect(await store.get('huge')).toBeUndefined();
      expect(await store.inspect('huge')).toBeUndefined();
      expect(await store.peek('huge', 16)).toBeUndefined();
    }).finally(() => diagnostics.unsubscribe(CHANNELS.miss, onMiss));
    // Refused before a byte was read (nothing of 2 MiB in memory), and neither damage nor removed.
    expect(faulty.calls.read ?? 0).toBe(0);
    expect(corrupt).toEqual([]);
    expect(misses.map((message) => [message.key, message.reason])).toEqual([['huge', 'too-large']]);
    expect(existsSync(file)).toBe(true);
    expect(store.stats()).toMatchObject({ misses: 1, hits: 0, corruptEntries: 0, errors: 0 });
    // An entry all the same: listed, not unreadable; the store that wrote it still reads it.
    const keys: string[] = [];
    for await (const key of store.keys()) keys.push(key);
    expect(keys.sort()).toEqual(['huge', 'small']);
    expect(await store.unreadableEntries()).toEqual([]);
    expect(Buffer.from((await large.get('huge')) ?? []).equals(value)).toBe(true);
    expect(Buffer.from((await store.get('small')) ?? []).equals(pseudoRandom(1000, 'small'))).toBe(true);
    // The directory is past this store's limit: its cleanup evicts it (the oldest use), as any entry.
    const anHourAgo = Date.now() / 1000 - 3600;
    utimesSync(file, anHourAgo, anHourAgo);
    const report = await store.runCleanup({ force: true });
    expect(report).toMatchObject({ ran: true, reason: 'evicted' });
    expect(existsSync(file)).toBe(false);
    expect(await store.has('small')).toBe(true);
  });

  it('a compressed entry holding more than this store\'s capacity is a too-large miss, not decompressed, kept, not counted damaged; put refuses such a value', async () => {
    // Compressed, the 2 MiB value takes a few kB of disk: a store of a larger capacity wrote it.
    const large = await open(configFor(dir.path).withCapacity('8Mi'), { compression: true, background: 'inline' });
    const value = Buffer.alloc(2 * 1024 * 1024, 3);
    expect((await large.put('big', value)).stored).toBe(true);
    const file = large.layout.entry(hashKey('big'));
    expect(statSync(file).size).toBeLessThan(64 * 1024);
    const store = await open(configFor(dir.path).withCapacity('1Mi'), { compression: true, background: 'inline' });
    const misses: MissMessage[] = [];
    const onMiss = (message: unknown): void => void misses.push(message as MissMessage);
    diagnostics.subscribe(CHANNELS.miss, onMiss);
    const corrupt = await corruptMessagesDuring(async () => {
      expect(await store.get('big')).toBeUndefined();
      expect(await store.inspect('big')).toBeUndefined();
      expect(await store.peek('big', 16)).toBeUndefined();
    }).finally(() => diagnostics.unsubscribe(CHANNELS.miss, onMiss));
    expect(corrupt).toEqual([]);
    expect(misses.map((message) => [message.key, message.reason])).toEqual([['big', 'too-large']]);
    expect(store.stats()).toMatchObject({ hits: 0, misses: 1, bytesRead: 0, corruptEntries: 0, errors: 0 });
    expect(existsSync(file)).toBe(true);
    // The store that wrote it still reads it; this one does not store such a value, however well it compresses.
    expect(Buffer.from((await large.get('big')) ?? []).equals(value)).toBe(true);
    expect(await store.put('other', value)).toEqual({ stored: false, reason: `value of ${value.byteLength} bytes exceeds the ${1024 * 1024}-byte capacity` });
  });

  it('a compressed entry whose payload would inflate far past the content length its header records is never decompressed whole: damage where zstd stops at the length, kept unread where it cannot', async () => {
    const store = await open(configFor(dir.path).withCapacity('1Mi'), { compression: false, background: 'inline' });
    expect((await store.put('k', new Uint8Array(300))).stored).toBe(true);
    const file = store.layout.entry(hashKey('k'));
    // The real entry's header (content length 300 and its checksum) and key, with a payload of zstd frames holding
    // 64 MiB of zeros in a few kB: a decompression bomb on the disk, within the capacity.
    const codec = loadZstd().codec as NonNullable<ReturnType<typeof loadZstd>['codec']>;
    const frame = Buffer.from(await codec.compress(Buffer.alloc(16 * 1024 * 1024), 3));
    const bomb = Buffer.concat([frame, frame, frame, frame]);
    const head = Buffer.from(readFileSync(file).subarray(0, HEADER_LENGTH + 1));
    head[5] = CODEC_ZSTD;
    head.writeBigUInt64LE(BigInt(bomb.byteLength), 24);
    writeFileSync(file, Buffer.concat([head, bomb]));
    expect(await store.peek('k', 16)).toBeUndefined();
    const corrupt = await corruptMessagesDuring(async () => {
      expect(await store.get('k')).toBeUndefined();
    });
    if (codec.implementation === 'node:zlib') {
      // node:zlib stops at the content length: it decompressed past it, so the entry is damage, removed.
      expect(corrupt.map((message) => [message.key, message.reason])).toEqual([['k', expect.stringMatching(/^decompression failed: Refusing compressed data: /)]]);
      expect(store.stats()).toMatchObject({ hits: 0, misses: 1, corruptEntries: 1 });
      expect(existsSync(file)).toBe(false);
    } else {
      // @mongodb-js/zstd cannot stop: judged by its frames' headers, it is not decompressed, and, as zstd's own
      // output at high levels may also look so, it is not taken for damage: a miss, kept.
      expect(corrupt).toEqual([]);
      expect(store.stats()).toMatchObject({ hits: 0, misses: 1, corruptEntries: 0 });
      expect(existsSync(file)).toBe(true);
    }
  });

  it('detects truncated and empty entries', async () => {
    const store = await open(configFor(dir.path));
    for (const [key, keep] of [['t1', 10], ['t2', 0], ['t3', 70]] as const) {
      await store.put(key, pseudoRandom(1000, key));
      const file = store.layout.entry(hashKey(key));
      writeFileSync(file, readFileSync(file).subarray(0, keep));
      expect(await store.get(key)).toBeUndefined();
    }
    expect(store.stats().corruptEntries).toBe(3);
  });

  it('inspect reads and checks an entry without using it: no hit or miss, no recency renewed; damage still removed', async () => {
    const store = await open(configFor(dir.path), { compression: false });
    const value = pseudoRandom(5000, 'i');
    await store.put('i', value);
    await store.put('j', value);
    expect(Buffer.from((await store.inspect('i')) ?? []).equals(value)).toBe(true);
    expect(await store.inspect('absent')).toBeUndefined();
    await store.flush();
    expect(existsSync(store.layout.sidecar(hashKey('i')))).toBe(false);
    expect(store.stats()).toMatchObject({ hits: 0, misses: 0, bytesRead: 0 });
    const file = store.layout.entry(hashKey('j'));
    flipFileByte(file, -1);
    expect(await store.inspect('j')).toBeUndefined();
    expect(existsSync(file)).toBe(false);
    expect(store.stats()).toMatchObject({ hits: 0, misses: 0, corruptEntries: 1 });
    // A get is a use: counted, and its recency reaches the sidecar.
    await store.get('i');
    await store.flush();
    expect(store.stats()).toMatchObject({ hits: 1 });
    expect(existsSync(store.layout.sidecar(hashKey('i')))).toBe(true);
  });

  it('verifiedContentCrc32 gives the CRC-32 a get or inspect verified for the very value it returned, also through a TieredStore', async () => {
    const store = await open(configFor(dir.path), { compression: false });
    const other = await open(configFor(dir.path), { compression: false });
    const value = pseudoRandom(5000, 'c');
    await store.put('c', value);
    const got = (await store.get('c')) ?? value;
    expect(Buffer.from(got).equals(value)).toBe(true);
    expect(store.verifiedContentCrc32(got)).toBe(crc32(value));
    expect(store.verifiedContentCrc32((await store.inspect('c')) ?? value)).toBe(crc32(value));
    // Not for a copy, another view of the bytes, bytes it did not return, or another store's read.
    expect(store.verifiedContentCrc32(new Uint8Array(got))).toBeUndefined();
    expect(store.verifiedContentCrc32(got.subarray(1))).toBeUndefined();
    expect(store.verifiedContentCrc32(value)).toBeUndefined();
    expect(other.verifiedContentCrc32(got)).toBeUndefined();
    const front = new MemoryStore({ maxBytes: 1 << 20 });
    const tiered = new TieredStore({ tiers: [front, store], label: 'memory → disk' });
    expect(store.verifiedContentCrc32((await tiered.get('c')) ?? value)).toBe(crc32(value));
    await tiered.flush();
    // The memory tier's copy was not read from the file.
    const fromMemory = await tiered.get('c');
    expect(fromMemory && Buffer.from(fromMemory).equals(value)).toBe(true);
    expect(store.verifiedContentCrc32(fromMemory ?? value)).toBeUndefined();
  });

  it('unreadableEntries finds the entry files no key reaches; removeUnreadableEntries removes them with their sidecars', async () => {
    const store = await open(configFor(dir.path), { compression: false });
    for (const key of ['ok', 'bad-magic', 'empty', 'moved']) await store.put(key, pseudoRandom(3000, key));
    await store.get('bad-magic');
    await store.flush();
    const entry = (key: string): string => store.layout.entry(hashKey(key));
    flipFileByte(entry('bad-magic'), 1, 0xff);
    writeFileSync(entry('empty'), new Uint8Array(0));
    // Another key's (intact) file under a name no key hashes to.
    const stray = path.join(path.dirname(entry('ok')), `${'d'.repeat(64)}.entry`);
    mkdirSync(path.dirname(stray), { recursive: true });
    copyFileSync(entry('moved'), stray);
    const unkeyed = [entry('bad-magic'), entry('empty'), stray].sort();
    const keys: string[] = [];
    for await (const key of store.keys()) keys.push(key);
    expect(keys.sort()).toEqual(['moved', 'ok']);
    expect((await store.unreadableEntries()).sort()).toEqual(unkeyed);
    expect(unkeyed.every((file) => existsSync(file))).toBe(true);
    const removals = await store.removeUnreadableEntries();
    expect(removals.map((r) => r.file).sort()).toEqual(unkeyed);
    expect(removals.every((r) => r.outcome === 'removed' && r.code === undefined)).toBe(true);
    expect(unkeyed.some((file) => existsSync(file))).toBe(false);
    expect(existsSync(store.layout.sidecar(hashKey('bad-magic')))).toBe(false);
    expect(await store.unreadableEntries()).toEqual([]);
    expect(await store.removeUnreadableEntries()).toEqual([]);
    expect(existsSync(entry('ok')) && existsSync(entry('moved'))).toBe(true);
    expect(store.stats().errors).toBe(0);
  });

  it('removeUnreadableEntries says which it could not remove, with the code, in one scan, and reports the fault', async () => {
    const faulty = faultyFs();
    const store = await open(configFor(dir.path), { compression: false, fs: faulty.fs });
    for (const key of ['ok', 'bad']) await store.put(key, pseudoRandom(3000, key));
    const bad = store.layout.entry(hashKey('bad'));
    writeFileSync(bad, new Uint8Array(10));
    const faults: string[] = [];
    const listener = (message: unknown): void => void faults.push(`${(message as FaultMessage).operation} ${(message as FaultMessage).code}`);
    diagnostics.subscribe(CHANNELS.fault, listener);
    const readdirs = faulty.calls.readdir ?? 0;
    faulty.set('EACCES', ['unlink']);
    try {
      expect(await store.removeUnreadableEntries()).toEqual([{ file: bad, outcome: 'failed', code: 'EACCES' }]);
    } finally {
      diagnostics.unsubscribe(CHANNELS.fault, listener);
      faulty.clear();
    }
    // One scan: the entries folder and the one shard with files, each listed once.
    expect((faulty.calls.readdir ?? 0) - readdirs).toBe(1 + new Set([bad, store.layout.entry(hashKey('ok'))].map((file) => path.dirname(file))).size);
    expect(existsSync(bad)).toBe(true);
    expect(faults).toEqual(['delete EACCES']);
    expect(store.stats().errors).toBe(1);
    // Removed by another process between the scan and the removal: gone, neither removed here nor a failure.
    const racing = await open(configFor(dir.path), { compression: false, fs: { ...nodeFs, unlink: async (file) => (file === bad && (await nodeFs.unlink(file)), nodeFs.unlink(file)) } });
    expect(await racing.removeUnreadableEntries()).toEqual([{ file: bad, outcome: 'gone' }]);
    expect(racing.stats().errors).toBe(0);
    expect(await store.removeUnreadableEntries()).toEqual([]);
    expect(existsSync(store.layout.entry(hashKey('ok')))).toBe(true);

    // A good entry renamed into place between the scan and the removal is another file: kept, with its sidecar.
    writeFileSync(bad, new Uint8Array(10));
    const fresh = pseudoRandom(3000, 'fresh');
    let replaced = false;
    const replacing = await open(configFor(dir.path), {
      compression: false,
      fs: {
        ...nodeFs,
        stat: async (file) => {
          if (file === bad && !replaced) {
            replaced = true;
            expect((await store.put('bad', fresh)).stored).toBe(true);
            await store.get('bad');
            await store.flush();
          }
          return nodeFs.stat(file);
        },
      },
    });
    expect(await replacing.removeUnreadableEntries()).toEqual([{ file: bad, outcome: 'gone' }]);
    expect(replaced).toBe(true);
    expect(Buffer.from((await store.get('bad')) ?? []).equals(fresh)).toBe(true);
    expect(existsSync(store.layout.sidecar(hashKey('bad')))).toBe(true);
  });

  it('persists counters that another process can read with readDirectoryStats', async () => {
    const store = await open(configFor(dir.path), { namespace: 'ns' });
    await store.put('k', Buffer.from('12345'));
    await store.get('k');
    await store.get('absent');
    await store.close();
    const script = `import('${path.resolve('dist/index.js')}').then(async (m) => console.log(JSON.stringify(await m.readDirectoryStats(${JSON.stringify(dir.path)}))))`;
    const fromChild = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })) as Awaited<ReturnType<typeof readDirectoryStats>>;
    expect(fromChild.namespaces).toHaveLength(1);
    expect(fromChild.namespaces[0]).toMatchObject({ namespace: 'ns', counters: { hits: 1, misses: 1, writes: 1, bytesWritten: 5, bytesRead: 5 } });
    // Its own file, or folded into total.json already by the cleanup its close() ran (a closed store's file may be).
    expect(fromChild.namespaces[0]?.processes).toBeLessThanOrEqual(1);
    expect(fromChild.total.hits).toBe(1);
  });

  it('folds the counters of finished processes into total.json during cleanup', async () => {
    const store = await open(configFor(dir.path), { namespace: 'ns' });
    mkdirSync(store.layout.statsDirectory, { recursive: true });
    const dead = endedProcessPid();
    writeFileSync(path.join(store.layout.statsDirectory, `stats-${dead}.abc.json`), JSON.stringify({ hits: 5, writes: 2 }));
    writeFileSync(path.join(store.layout.statsDirectory, 'total.json'), JSON.stringify({ hits: 10 }));
    await store.runCleanup({ force: true });
    expect(existsSync(path.join(store.layout.statsDirectory, `stats-${dead}.abc.json`))).toBe(false);
    const stats = await readDirectoryStats(dir.path);
    expect(stats.total).toMatchObject({ hits: 15, writes: 2 });
  });

  it('recompresses entries used at least the threshold at the optimized level, in the background', async () => {
    const config = configFor(dir.path).withBaselineCompressionLevel(1).withOptimizedCompressionLevel(19).withOptimizedCompressionUsageCounterThreshold(3);
    const store = await open(config, { flushInterval: 10 });
    const value = Buffer.from('a fairly compressible value, repeated. '.repeat(5000));
    await store.put('hot', value);
    const file = store.layout.entry(hashKey('hot'));
    const level = (): number => {
      const header = parseHeader(readFileSync(file));
      return typeof header === 'string' ? -1 : header.codec === CODEC_ZSTD ? header.level : 0;
    };
    expect(level()).toBe(1);
    await store.get('hot');
    await store.get('hot');
    await store.flush();
    expect(level()).toBe(1);
    await store.get('hot');
    await store.flush();
    expect(level()).toBe(19);
    expect(Buffer.from((await store.get('hot')) ?? []).equals(value)).toBe(true);
    expect(JSON.parse(readFileSync(store.layout.sidecar(hashKey('hot')), 'utf8'))).toMatchObject({ uses: 3, optimized: true });
  });

  it('coalesces usage beyond the worker queue size instead of dropping it', async () => {
    const store = await open(configFor(dir.path).withWorkerEventQueueSize(2), { flushInterval: 60_000 });
    for (let i = 0; i < 10; i++) await store.put(`k${i}`, Buffer.from(`v${i}`));
    for (let round = 0; round < 3; round++) for (let i = 0; i < 10; i++) await store.get(`k${i}`);
    await store.flush();
    for (let i = 0; i < 10; i++) {
      expect(JSON.parse(readFileSync(store.layout.sidecar(hashKey(`k${i}`)), 'utf8')).uses).toBe(3);
    }
  });

  it('removes temp files of dead processes and old ones, and leaves other files in tmp/', async () => {
    const store = await open(configFor(dir.path));
    mkdirSync(store.layout.tmp, { recursive: true });
    const dead = endedProcessPid();
    const hash = hashKey('x');
    const deadTemp = `${hash}.entry.${dead}.0badf00d.tmp`;
    const liveOldTemp = `${hash}.entry.${process.pid}.00000001.tmp`;
    const liveFreshTemp = `${hash}.entry.${process.pid}.00000002.tmp`;
    const staleRecompress = `${hash}.recompress`;
    const foreign = 'someone-elses.tmp';
    for (const name of [deadTemp, liveOldTemp, liveFreshTemp, staleRecompress, foreign]) writeFileSync(path.join(store.layout.tmp, name), 'partial');
    const old = Date.now() / 1000 - 3 * 3600;
    for (const name of [liveOldTemp, staleRecompress, foreign]) utimesSync(path.join(store.layout.tmp, name), old, old);
    const report = await store.runCleanup({ force: true });
    expect(report.staleTempsRemoved).toBe(3);
    expect(readdirSync(store.layout.tmp).sort()).toEqual([liveFreshTemp, foreign].sort());
  });

  it('respects a live cleanup lock and takes over one of a dead process or past its age', async () => {
    const store = await open(configFor(dir.path), { lockStaleAge: 60_000 });
    mkdirSync(store.layout.storeDirectory, { recursive: true });
    const dead = endedProcessPid();
    const lock = (pid: number, at: number): void => writeFileSync(store.layout.cleanupLock, JSON.stringify({ pid, at, token: 'other' }));
    lock(1, Date.now()); // pid 1 is alive: a live holder
    expect(await store.runCleanup({ force: true })).toMatchObject({ ran: false, reason: 'locked' });
    expect(existsSync(store.layout.cleanupLock)).toBe(true);
    lock(dead, Date.now());
    expect((await store.runCleanup({ force: true })).ran).toBe(true);
    lock(1, Date.now() - 120_000); // alive but older than lockStaleAge: abandoned
    expect((await store.runCleanup({ force: true })).ran).toBe(true);
    expect(existsSync(store.layout.cleanupLock)).toBe(false);
  });

  it.each(['inline', 'worker'] as const)(
    'its own small files (cleanup record and lock, counters, sidecars) that are a FIFO, a device or oversized never block or exhaust it (%s): read as absent, and replaced',
    async (background) => {
      const config = configFor(dir.path).withOptimizedCompressionUsageCounterThreshold(2);
      const first = await open(config, { background });
      await first.put('k', pseudoRandom(1000, 'k'));
      await first.get('k');
      await first.runCleanup({ force: true });
      await first.close();
      const layout = first.layout;
      const hash = hashKey('k');
      const fifos = [layout.lastCleanup, layout.sidecar(hash), layout.cleanupLock];
      for (const file of fifos) {
        rmSync(file, { force: true });
        execFileSync('mkfifo', [file]);
      }
      rmSync(layout.totalFile, { force: true });
      symlinkSync('/dev/zero', layout.totalFile);
      writeFileSync(layout.usageFile, '');
      truncateSync(layout.usageFile, 64 * 1024 * 1024); // sparse: nothing on the disk
      // A counters file of a process that has ended, for the cleanup to fold into total.json.
      const dead = endedProcessPid();
      writeFileSync(path.join(layout.statsDirectory, `stats-${dead}.1-aaaa-bbbb.json`), JSON.stringify({ hits: 5 }));
      try {
        const work = (async () => {
          const store = await open(config, { background, lockStaleAge: 0 });
          for (let use = 0; use < 3; use += 1) expect(Buffer.from((await store.get('k')) ?? []).equals(pseudoRandom(1000, 'k'))).toBe(true);
          await store.flush();
          expect((await store.runCleanup({ force: true })).ran).toBe(true);
          await store.close();
          return readDirectoryStats(dir.path);
        })();
        const stats = await Promise.race([work, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('blocked on a file in the store')), 10_000))]);
        expect(stats.total.hits).toBeGreaterThanOrEqual(8); // 5 folded from the ended process, 3 of this one
      } finally {
        // Frees a read the old code blocked in: opening the write end wakes it.
        for (const file of fifos) {
          try {
            closeSync(openSync(file, constants.O_WRONLY | constants.O_NONBLOCK));
          } catch {
            // No reader waiting, or no FIFO any more.
          }
        }
      }
      // The cleanup wrote its record and the counters over what was in their place.
      for (const file of [layout.lastCleanup, layout.totalFile, layout.usageFile]) expect(lstatSync(file).isFile()).toBe(true);
      expect(lstatSync(layout.totalFile).size).toBeLessThan(10_000);
    },
    30_000,
  );

  it('a cleanup interval of 0 (clean whenever due) cleans with the work, not in a loop: flush() returns', async () => {
    const store = await open(configFor(dir.path).withCleanupInterval('0s'), { background: 'inline' });
    await store.put('k', pseudoRandom(100, 'k'));
    await store.get('k');
    const flushed = await Promise.race([store.flush().then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), 5_000))]);
    expect(flushed).toBe(true);
    // Each operation still makes a cleanup due: the last one records when it ran.
    const before = JSON.parse(readFileSync(store.layout.lastCleanup, 'utf8')) as { at: number };
    await new Promise((resolve) => setTimeout(resolve, 20));
    await store.get('k');
    await store.flush();
    expect((JSON.parse(readFileSync(store.layout.lastCleanup, 'utf8')) as { at: number }).at).toBeGreaterThan(before.at);
  });

  it('exits cleanly: a process using a store ends on its own after close()', () => {
    const script = `
      const { DiskStore } = await import('${path.resolve('dist/index.js')}');
      const { CacheConfig } = await import('@cache/config');
      const store = await DiskStore.open(CacheConfig.default().withDirectory(${JSON.stringify(dir.path)}));
      await store.put('k', new Uint8Array(10));
      await store.get('k');
      await store.close();
      console.log('closed', store.backgroundMode);`;
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000, cwd: path.resolve('.') });
    expect(output.trim()).toBe('closed worker');
  });

  it('does not keep a process alive when close() is never called', () => {
    const script = `
      const { DiskStore } = await import('${path.resolve('dist/index.js')}');
      const { CacheConfig } = await import('@cache/config');
      const store = await DiskStore.open(CacheConfig.default().withDirectory(${JSON.stringify(dir.path)}));
      await store.put('k', new Uint8Array(10));
      console.log('done');`;
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000, cwd: path.resolve('.') });
    expect(output.trim()).toBe('done');
  });
});
