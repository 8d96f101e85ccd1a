/**
 * Benchmarks of @cache/store, side by side with the libraries it is measured
 * against, in one run on one disk:
 *
 * - DiskStore (zstd and uncompressed) vs cacache: put and get throughput for
 *   4 KB and 10 MB entries;
 * - MemoryStore vs a bare lru-cache with the same bounds;
 * - the time for one cleanup to evict a namespace down from 10 000 and
 *   100 000 entries.
 *
 * Medians of several repeats, returned as rows (src/main.ts writes them with
 * the engine benchmark under apps/bench/results/). Quick mode runs fewer,
 * smaller repeats.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CacheConfig } from '@cache/config';
import { DiskStore, encodeEntry, hashKey, loadZstd, MemoryStore, type Store } from '@cache/store';
import cacache from 'cacache';
import { LRUCache } from 'lru-cache';

let quick = false;
const here = path.dirname(fileURLToPath(import.meta.url));
const resultsDirectory = path.resolve(here, '..', 'results');
const scratch = path.join(resultsDirectory, 'tmp');

export interface StoreRow {
  group: string;
  subject: string;
  case: string;
  unit: string;
  median: number;
  samples: number[];
  note?: string;
}

const rows: StoreRow[] = [];
type Row = StoreRow;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

function record(row: Omit<Row, 'median'>): void {
  const full = { ...row, median: median(row.samples) };
  rows.push(full);
  process.stderr.write(`  ${row.group} | ${row.subject} | ${row.case}: ${full.median.toFixed(1)} ${row.unit}\n`);
}

/** Artifact-like bytes: 64-byte runs alternating random and repeated, so zstd finds some but not all redundancy. */
function artifact(size: number): Buffer {
  const out = Buffer.alloc(size);
  const noise = randomBytes(size);
  for (let offset = 0; offset < size; offset += 128) {
    noise.copy(out, offset, offset, Math.min(offset + 64, size));
    out.fill(offset & 0xff, Math.min(offset + 64, size), Math.min(offset + 128, size));
  }
  return out;
}

function freshDirectory(name: string): string {
  const directory = path.join(scratch, `${name}-${process.pid}-${randomBytes(3).toString('hex')}`);
  mkdirSync(directory, { recursive: true });
  return directory;
}

function bigConfig(directory: string): CacheConfig {
  return CacheConfig.default().withDirectory(directory).withCapacity('1Ti').withFileCountSoftLimit(10_000_000).withCleanupInterval('1d');
}

interface KeyValueBackend {
  put(key: string, value: Buffer): Promise<void>;
  get(key: string): Promise<Uint8Array | undefined>;
  close(): Promise<void>;
}

function fromStore(store: Store): KeyValueBackend {
  return {
    put: async (key, value) => {
      const result = await store.put(key, value);
      if (!result.stored) throw new Error(`not stored: ${result.reason}`);
    },
    get: (key) => store.get(key),
    close: () => store.close(),
  };
}

function fromCacache(directory: string): KeyValueBackend {
  return {
    put: async (key, value) => {
      await cacache.put(directory, key, value);
    },
    get: async (key) => (await cacache.get(directory, key)).data,
    close: async () => undefined,
  };
}

const diskSubjects: { name: string; open: (directory: string) => Promise<KeyValueBackend> }[] = [
  { name: 'DiskStore zstd', open: async (directory) => fromStore(await DiskStore.open(bigConfig(directory), { namespace: 'bench' })) },
  { name: 'DiskStore raw', open: async (directory) => fromStore(await DiskStore.open(bigConfig(directory), { namespace: 'bench', compression: false })) },
  { name: 'cacache 20', open: async (directory) => fromCacache(directory) },
];

/** Puts `count` values (sequentially, as a compiler would), then gets them all back; returns MB/s and ops/s for each. */
async function diskRound(subject: (typeof diskSubjects)[number], values: Buffer[]): Promise<{ putMBs: number; getMBs: number; putOps: number; getOps: number }> {
  const directory = freshDirectory('disk');
  try {
    const backend = await subject.open(directory);
    const keys = values.map((_, i) => createHash('sha256').update(`module-${i}`).digest('hex'));
    const bytes = values.reduce((sum, value) => sum + value.byteLength, 0);
    let started = performance.now();
    for (const [i, key] of keys.entries()) await backend.put(key, values[i] ?? Buffer.alloc(0));
    const putMs = performance.now() - started;
    started = performance.now();
    for (const [i, key] of keys.entries()) {
      const read = await backend.get(key);
      if (!read || read.byteLength !== values[i]?.byteLength) throw new Error(`${subject.name}: bad read of ${key}`);
    }
    const getMs = performance.now() - started;
    await backend.close();
    return { putMBs: bytes / 1e6 / (putMs / 1000), getMBs: bytes / 1e6 / (getMs / 1000), putOps: keys.length / (putMs / 1000), getOps: keys.length / (getMs / 1000) };
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

async function benchDisk(): Promise<void> {
  const cases = [
    { label: '4 KB', size: 4 * 1024, count: quick ? 300 : 2000 },
    { label: '10 MB', size: 10 * 1024 * 1024, count: quick ? 4 : 20 },
  ];
  const repeats = quick ? 2 : 5;
  for (const { label, size, count } of cases) {
    const values = Array.from({ length: count }, () => artifact(size));
    const samples = new Map<string, { putMBs: number[]; getMBs: number[]; putOps: number[]; getOps: number[] }>();
    for (let repeat = 0; repeat < repeats; repeat++) {
      // Interleave subjects within a repeat so machine noise hits them alike.
      for (const subject of diskSubjects) {
        const result = await diskRound(subject, values);
        const entry = samples.get(subject.name) ?? { putMBs: [], getMBs: [], putOps: [], getOps: [] };
        entry.putMBs.push(result.putMBs);
        entry.getMBs.push(result.getMBs);
        entry.putOps.push(result.putOps);
        entry.getOps.push(result.getOps);
        samples.set(subject.name, entry);
      }
    }
    for (const [subject, entry] of samples) {
      record({ group: 'disk', subject, case: `put ${label} × ${count}`, unit: 'MB/s', samples: entry.putMBs });
      record({ group: 'disk', subject, case: `put ${label} × ${count}`, unit: 'ops/s', samples: entry.putOps });
      record({ group: 'disk', subject, case: `get ${label} × ${count}`, unit: 'MB/s', samples: entry.getMBs });
      record({ group: 'disk', subject, case: `get ${label} × ${count}`, unit: 'ops/s', samples: entry.getOps });
    }
  }
}

async function benchMemory(): Promise<void> {
  const cases = [
    { label: '4 KB', size: 4 * 1024, count: quick ? 5_000 : 20_000 },
    { label: '10 MB', size: 10 * 1024 * 1024, count: quick ? 5 : 20 },
  ];
  const repeats = quick ? 3 : 7;
  for (const { label, size, count } of cases) {
    const values = Array.from({ length: Math.min(count, 200) }, () => artifact(size));
    const keys = Array.from({ length: count }, (_, i) => `k${i}`);
    const maxBytes = size * count * 2;
    const subjects: { name: string; make: () => { put: (k: string, v: Buffer) => Promise<unknown> | unknown; get: (k: string) => unknown } }[] = [
      { name: 'MemoryStore', make: () => new MemoryStore({ maxBytes, maxEntries: count * 2 }) },
      { name: 'MemoryStore copy:false', make: () => new MemoryStore({ maxBytes, maxEntries: count * 2, copy: false }) },
      {
        name: 'lru-cache 11 (bare)',
        make: () => {
          const cache = new LRUCache<string, Buffer>({ max: count * 2, maxSize: maxBytes, sizeCalculation: (v) => Math.max(1, v.byteLength) });
          return { put: (k, v) => cache.set(k, v), get: (k) => cache.get(k) };
        },
      },
    ];
    const results = new Map<string, { put: number[]; get: number[] }>();
    for (let repeat = 0; repeat < repeats; repeat++) {
      for (const subject of subjects) {
        const store = subject.make();
        let started = performance.now();
        for (const [i, key] of keys.entries()) await store.put(key, values[i % values.length] ?? Buffer.alloc(0));
        const putMs = performance.now() - started;
        started = performance.now();
        for (const key of keys) if (!(await store.get(key))) throw new Error('memory miss');
        const getMs = performance.now() - started;
        const entry = results.get(subject.name) ?? { put: [], get: [] };
        entry.put.push(count / (putMs / 1000));
        entry.get.push(count / (getMs / 1000));
        results.set(subject.name, entry);
      }
    }
    for (const [subject, entry] of results) {
      record({ group: 'memory', subject, case: `put ${label} × ${count}`, unit: 'ops/s', samples: entry.put, note: subject === 'MemoryStore' ? 'copies value' : 'stores reference' });
      record({ group: 'memory', subject, case: `get ${label} × ${count}`, unit: 'ops/s', samples: entry.get, note: subject === 'MemoryStore' ? 'copies value' : 'returns reference' });
    }
  }
}

/** Writes `count` small entries straight in the store's format (faster than puts; same files). */
async function populate(directory: string, count: number, t0: number): Promise<DiskStore> {
  const writer = await DiskStore.open(bigConfig(directory), { namespace: 'evict', compression: false });
  const shards = new Set<string>();
  const batch = 256;
  for (let start = 0; start < count; start += batch) {
    await Promise.all(
      Array.from({ length: Math.min(batch, count - start) }, async (_, offset) => {
        const i = start + offset;
        const key = `module-${i}`;
        const hash = hashKey(key);
        const shard = writer.layout.shard(hash);
        if (!shards.has(shard)) {
          await fs.mkdir(shard, { recursive: true });
          shards.add(shard);
        }
        const entry = await encodeEntry(key, randomBytes(256), undefined, 0);
        const file = writer.layout.entry(hash);
        await fs.writeFile(file, Buffer.concat(entry.parts));
        const when = (t0 + i * 1000) / 1000; // distinct recencies: LRU order is well defined
        await fs.utimes(file, when, when);
      }),
    );
  }
  await writer.close();
  return writer;
}

async function benchEviction(): Promise<void> {
  const cases = quick ? [{ count: 10_000, repeats: 1 }] : [{ count: 10_000, repeats: 3 }, { count: 100_000, repeats: 3 }];
  for (const { count, repeats } of cases) {
    const samples: number[] = [];
    let evicted = 0;
    for (let repeat = 0; repeat < repeats; repeat++) {
      const directory = freshDirectory('evict');
      try {
        const t0 = Date.now() - count * 1000;
        await populate(directory, count, t0);
        const limit = Math.floor(count * 0.9);
        const config = CacheConfig.default().withDirectory(directory).withCapacity('1Ti').withFileCountSoftLimit(limit).withCleanupInterval('1d');
        const store = await DiskStore.open(config, { namespace: 'evict' });
        const started = performance.now();
        const report = await store.runCleanup({ force: true });
        samples.push(performance.now() - started);
        evicted = report.evicted;
        if (report.entries !== Math.floor((limit * 70) / 100)) throw new Error(`eviction left ${report.entries}`);
        await store.close();
      } finally {
        rmSync(directory, { recursive: true, force: true });
      }
    }
    record({
      group: 'eviction',
      subject: 'DiskStore cleanup (worker)',
      case: `${count.toLocaleString('en')} entries → 70 % of ${Math.floor(count * 0.9).toLocaleString('en')}`,
      unit: 'ms',
      samples,
      note: `scan + ${evicted.toLocaleString('en')} deletions`,
    });
  }
}

function markdown(): string {
  const lines = ['| group | subject | case | median | unit | samples | note |', '|---|---|---|---:|---|---|---|'];
  for (const row of rows) {
    const digits = row.median >= 100 ? 0 : 1;
    lines.push(
      `| ${row.group} | ${row.subject} | ${row.case} | ${row.median.toFixed(digits)} | ${row.unit} | ${row.samples.length} | ${row.note ?? ''} |`,
    );
  }
  return lines.join('\n');
}

/** What the store benchmark measured, and where. */
export interface StoreResult {
  mode: 'quick' | 'full';
  startedAt: string;
  seconds: number;
  environment: { node: string; platform: string; cpus: string; zstd: string | null; disk: string };
  rows: StoreRow[];
  markdown: string;
}

/** Runs every store benchmark (memory, disk, eviction) in this process and returns the rows. */
export async function runStoreBench(options: { quick: boolean }): Promise<StoreResult> {
  quick = options.quick;
  rows.length = 0;
  mkdirSync(scratch, { recursive: true });
  const started = Date.now();
  const zstd = loadZstd();
  process.stderr.write(`@cache/store benchmark (${quick ? 'quick' : 'full'}), zstd: ${zstd.codec?.implementation ?? `none (${zstd.error})`}\n`);
  try {
    await benchMemory();
    await benchDisk();
    await benchEviction();
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const environment = {
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    cpus: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown'}`,
    zstd: zstd.codec?.implementation ?? null,
    disk: scratch,
  };
  return { mode: quick ? 'quick' : 'full', startedAt: new Date(started).toISOString(), seconds: (Date.now() - started) / 1000, environment, rows: [...rows], markdown: markdown() };
}
