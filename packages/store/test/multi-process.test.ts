import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DiskStore, hashKey, Layout } from '../src/index.js';
import { configFor, tempDirectory } from './helpers.js';
// @ts-expect-error plain .mjs fixture without types
import { checkValue } from './fixtures/self-checking-value.mjs';

const check = checkValue as (key: string, value: Uint8Array) => string | undefined;
const distIndex = path.resolve('dist/index.js');

interface ChildResult {
  counts: Record<string, number>;
  stats: Record<string, number>;
  problems: string[];
}

function run(script: string, args: string[]): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.resolve('test/fixtures', script), ...args], { cwd: path.resolve('.'), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`child exited with ${code}: ${err}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as ChildResult);
      } catch (error) {
        reject(new Error(`bad output ${out} ${err} ${String(error)}`));
      }
    });
  });
}

describe('many processes on one directory', () => {
  const dir = tempDirectory('multi-');
  afterEach(() => dir.remove());

  it('4 processes × 1500 mixed operations with constant eviction: no errors, no damaged reads', async () => {
    const results = await Promise.all([1, 2, 3, 4].map((seed) => run('mixed-operations.mjs', [distIndex, dir.path, '1500', String(seed)])));
    let hits = 0;
    let stored = 0;
    let evictions = 0;
    for (const result of results) {
      expect(result.problems).toEqual([]);
      expect(result.counts['exceptions']).toBe(0);
      expect(result.counts['damagedReads']).toBe(0);
      expect(result.counts['notStored']).toBe(0);
      expect(result.stats['errors']).toBe(0);
      expect(result.stats['corruptEntries']).toBe(0);
      hits += result.counts['hit'] ?? 0;
      stored += result.counts['stored'] ?? 0;
      evictions += result.stats['evictions'] ?? 0;
    }
    // The run exercised what it claims to: reads that hit, writes, and eviction under contention.
    expect(hits).toBeGreaterThan(100);
    expect(stored).toBeGreaterThan(1000);
    expect(evictions).toBeGreaterThan(0);

    const store = await DiskStore.open(configFor(dir.path), { namespace: 'shared' });
    let served = 0;
    for await (const key of store.keys()) {
      const value = await store.get(key);
      if (value) {
        served++;
        expect(check(key, value)).toBeUndefined();
      }
    }
    expect(served).toBeGreaterThan(0);
    expect(store.stats().corruptEntries).toBe(0);
    await store.close();
  });
});

interface CleanerResult {
  namespace: string;
  keys: string[];
  /** What the process stored in its namespace (entries, bytes on disk). */
  written: { entries: number; bytes: number };
  counts: Record<string, number>;
  /** How many of its forced cleanups ended for each reason (`evicted`, `under-limits`, `locked`, ...). */
  reasons: Record<string, number>;
  stats: Record<string, number>;
  problems: string[];
}

/** Starts one namespace-cleaner process: `ready` once its store is open, `go` starts its work, `done` its report. */
function startCleaner(args: string[]): { ready: Promise<void>; go: () => void; done: Promise<CleanerResult> } {
  const child = spawn(process.execPath, [path.resolve('test/fixtures/namespace-cleaner.mjs'), ...args], { cwd: path.resolve('.'), stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let signalReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (signalReady = resolve));
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    if (out.startsWith('ready\n')) signalReady();
  });
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const done = new Promise<CleanerResult>((resolve, reject) => {
    child.on('exit', (code, signal) => {
      signalReady();
      if (code !== 0) return reject(new Error(`child exited with ${code} ${signal}: ${err}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as CleanerResult);
      } catch (error) {
        reject(new Error(`bad output ${out} ${err} ${String(error)}`));
      }
    });
  });
  return { ready, go: () => child.stdin.end('go\n'), done };
}

/** The entries of one namespace as cleanup counts them: the entry files, and the bytes of each with its sidecar. */
function entriesOnDisk(layout: Layout): { hashes: string[]; bytes: number } {
  if (!existsSync(layout.entries)) return { hashes: [], bytes: 0 };
  const files = readdirSync(layout.entries, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile());
  const hashes = files.filter((entry) => entry.name.endsWith('.entry')).map((entry) => entry.name.slice(0, -'.entry'.length));
  const bytes = files
    .filter((entry) => entry.name.endsWith('.entry') || (entry.name.endsWith('.stats') && hashes.includes(entry.name.slice(0, -'.stats'.length))))
    .reduce((sum, entry) => sum + statSync(path.join(entry.parentPath, entry.name)).size, 0);
  return { hashes, bytes };
}

describe('processes of different namespaces cleaning one directory at once', () => {
  const dir = tempDirectory('multi-namespace-');
  afterEach(() => dir.remove());

  it('3 processes, one namespace each, forcing a cleanup after every write: the directory ends within the limits, every eviction counted once, nothing damaged', async () => {
    const namespaces = ['node-20-abc', 'node-22-def', 'node-24-ghi'];
    const maxEntries = 30;
    const maxBytes = 90_000;
    // 24 entries of ~1.5-3 kB each: one namespace alone is under both limits, the three together far over them.
    const cleaners = namespaces.map((namespace) => startCleaner([distIndex, dir.path, namespace, '24', String(maxEntries), String(maxBytes)]));
    await Promise.all(cleaners.map((cleaner) => cleaner.ready));
    for (const cleaner of cleaners) cleaner.go();
    const results = await Promise.all(cleaners.map((cleaner) => cleaner.done));

    for (const result of results) {
      expect(result.problems, result.namespace).toEqual([]);
      expect(result.counts, result.namespace).toMatchObject({ stored: 24, exceptions: 0, damagedReads: 0 });
      expect(result.stats, result.namespace).toMatchObject({ errors: 0, corruptEntries: 0 });
      expect(result.reasons['fault'] ?? 0, result.namespace).toBe(0);
      // A cleanup limited to its own namespace would never evict: each namespace alone is within both limits.
      expect(result.written.entries).toBeLessThan(maxEntries);
      expect(result.written.bytes).toBeLessThan(maxBytes);
    }
    expect(results.reduce((sum, result) => sum + result.written.entries, 0)).toBeGreaterThan(maxEntries);
    expect(results.reduce((sum, result) => sum + result.written.bytes, 0)).toBeGreaterThan(maxBytes);

    // The directory, all namespaces together, ends within both limits: the last cleanup to run started after every write.
    const layouts = namespaces.map((namespace) => new Layout(dir.path, namespace));
    const onDisk = layouts.map(entriesOnDisk);
    const entries = onDisk.reduce((sum, namespace) => sum + namespace.hashes.length, 0);
    const bytes = onDisk.reduce((sum, namespace) => sum + namespace.bytes, 0);
    expect(entries).toBeGreaterThan(0);
    expect(entries).toBeLessThanOrEqual(maxEntries);
    expect(bytes).toBeLessThanOrEqual(maxBytes);
    // ... and the directory's record, which every process's write-time estimate starts from, says so.
    expect(JSON.parse(readFileSync(path.join(dir.path, '.store', 'last-cleanup.json'), 'utf8'))).toMatchObject({ entries, bytes });

    // Every key was written once and never deleted: what is gone was evicted, and counted by exactly one process.
    const written = results.reduce((sum, result) => sum + result.keys.length, 0);
    const evicted = results.reduce((sum, result) => sum + (result.stats['evictions'] ?? 0), 0);
    expect(evicted).toBe(written - entries);

    // Nothing left behind: no cleanup lock, no temp file of the lock or of any write.
    expect(existsSync(path.join(dir.path, '.store', 'cleanup.lock'))).toBe(false);
    for (const folder of [layouts[0]?.storeTmp ?? '', ...layouts.map((layout) => layout.tmp)]) expect(existsSync(folder) ? readdirSync(folder) : [], folder).toEqual([]);

    // What remains is whole; what is gone reads as absent, in every namespace.
    for (const [index, result] of results.entries()) {
      const store = await DiskStore.open(configFor(dir.path), { namespace: result.namespace, background: 'inline' });
      const present = new Set(onDisk[index]?.hashes);
      const listed: string[] = [];
      for await (const key of store.keys()) listed.push(key);
      expect(listed.sort()).toEqual(result.keys.filter((key) => present.has(hashKey(key))).sort());
      for (const key of result.keys) {
        const value = await store.get(key);
        expect(value !== undefined, key).toBe(present.has(hashKey(key)));
        if (value) expect(check(key, value), key).toBeUndefined();
      }
      expect(store.stats().corruptEntries).toBe(0);
      await store.close();
    }
  });
});
