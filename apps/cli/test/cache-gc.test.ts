import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CacheConfig } from '@cache/config';
import { DiskStore, hashKey, Layout } from '@cache/store';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, tempDir, type CliRun } from './helpers.js';

/** A preload that records each time the process takes the directory's cleanup lock (one line per cleanup). */
const counter = join(import.meta.dirname, 'fixtures', 'count-cleanups.cjs');
const NAMESPACES = ['node-20-abc', 'node-22-def', 'node-24-ghi'];
const ROUNDS = 4;

/** `cache gc --json`'s report. */
interface GcReport {
  directory: string;
  namespaces: string[];
  ran: boolean;
  reason: string;
  evicted: number;
  evictedBytes: number;
  entries: number;
  bytes: number;
  limits: { bytes: number; entries: number };
}

describe('wasm-cache cache gc (built binary)', () => {
  const root = tempDir('cli-gc-');
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  /**
   * A cache directory holding {@link ROUNDS} entries in each of the {@link NAMESPACES}, written in turns one
   * second apart (so the newest entries are one of each namespace, the last turn's).
   */
  async function filledCache(name: string): Promise<string> {
    const directory = join(root, name);
    let time = 1_700_000_000_000;
    const stores = await Promise.all(
      NAMESPACES.map((namespace) => DiskStore.open(CacheConfig.default().withDirectory(directory), { namespace, compression: false, background: 'inline', clock: () => time })),
    );
    for (let round = 0; round < ROUNDS; round++) {
      for (const store of stores) {
        expect((await store.put(`k${round}`, Buffer.alloc(1000, round))).stored).toBe(true);
        time += 1000;
      }
    }
    for (const store of stores) await store.close();
    return directory;
  }

  /** Runs `cache gc` with a 6-entry limit (50% when deleting) and counts the cleanups it ran. */
  async function gc(directory: string, args: string[] = []): Promise<{ run: CliRun; cleanups: number }> {
    const counted = join(root, `cleanups-${Math.random().toString(36).slice(2)}.txt`);
    writeFileSync(counted, '');
    const run = await cli(['cache', 'gc', '--dir', directory, ...args], {
      WASM_CACHE_FILE_COUNT_SOFT_LIMIT: '6',
      WASM_CACHE_FILE_COUNT_LIMIT_PERCENT_IF_DELETING: '50%',
      NODE_OPTIONS: `${process.env['NODE_OPTIONS'] ?? ''} --require ${counter}`.trim(),
      COUNT_CLEANUPS_FILE: counted,
    });
    const cleanups = readFileSync(counted, 'utf8').split('\n').filter((line) => line !== '').length;
    return { run, cleanups };
  }

  const present = (directory: string): string[] =>
    NAMESPACES.flatMap((namespace) => {
      const layout = new Layout(directory, namespace);
      return Array.from({ length: ROUNDS }, (_, round) => `k${round}`)
        .filter((key) => existsSync(layout.entry(hashKey(key))))
        .map((key) => `${namespace}/${key}`);
    });

  it('runs one cleanup of the whole directory, not one per namespace, and reports the directory\'s totals', async () => {
    const directory = await filledCache('three-namespaces');
    const { run, cleanups } = await gc(directory, ['--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(cleanups).toBe(1);
    const report = JSON.parse(run.stdout) as GcReport;
    // 12 entries over a 6-entry limit: down to 50% of it, least recently used first, from any namespace.
    expect(report).toMatchObject({ directory, namespaces: NAMESPACES, ran: true, reason: 'evicted', evicted: 9, entries: 3, limits: { entries: 6 } });
    expect(report.evictedBytes).toBeGreaterThan(9 * 1000);
    expect(report.bytes).toBeGreaterThan(3 * 1000);
    expect(present(directory)).toEqual(NAMESPACES.map((namespace) => `${namespace}/k${ROUNDS - 1}`));
    expect(existsSync(join(directory, '.store', 'cleanup.lock'))).toBe(false);

    const again = await gc(directory);
    expect(again.run.code, again.run.stderr).toBe(0);
    expect(again.cleanups).toBe(1);
    expect(again.run.stdout).toMatch(/^Evicted 0 entries \(0 B\); limits: [\d.]+ \w+, 6 entries\.\n$/);
  });

  it('says how much it evicted, as one line', async () => {
    const directory = await filledCache('human');
    const { run } = await gc(directory);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^Evicted 9 entries \([\d.]+ KiB\); limits: [\d.]+ \w+, 6 entries\.\n$/);
  });

  it('an empty or missing cache directory: nothing to evict, exit 0, and nothing created', async () => {
    const missing = join(root, 'missing');
    const empty = join(root, 'empty');
    mkdirSync(empty);
    for (const directory of [missing, empty]) {
      const { run, cleanups } = await gc(directory, ['--json']);
      expect(run.code, run.stderr).toBe(0);
      expect(cleanups).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ directory, namespaces: [], ran: false, evicted: 0, evictedBytes: 0, entries: 0, bytes: 0 });
      const human = await gc(directory);
      expect(human.run.stdout).toMatch(/^Evicted 0 entries \(0 B\)/);
    }
    expect(existsSync(missing)).toBe(false);
  });

  it('cleans a namespace without entries yet: a writer killed during its first put, a process that only read', async () => {
    const directory = join(root, 'no-entries');
    const layout = new Layout(directory, 'node-24-ghi');
    mkdirSync(layout.tmp, { recursive: true, mode: 0o700 });
    mkdirSync(layout.statsDirectory, { mode: 0o700 });
    const dead = Number(execFileSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' }));
    const temp = join(layout.tmp, `${hashKey('big')}.entry.${dead}.0badf00d.tmp`);
    writeFileSync(temp, Buffer.alloc(64 * 1024));
    const finished = join(layout.statsDirectory, `stats-${dead}.1-abc.json`);
    writeFileSync(finished, JSON.stringify({ misses: 3 }));
    const { run, cleanups } = await gc(directory, ['--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(cleanups).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ namespaces: ['node-24-ghi'], ran: true, evicted: 0, entries: 0, staleTempsRemoved: 1 });
    expect(existsSync(temp)).toBe(false);
    expect(existsSync(finished)).toBe(false);
    expect(JSON.parse(readFileSync(layout.totalFile, 'utf8'))).toMatchObject({ misses: 3 });
  });

  it('another process cleaning the directory: says that it did not clean, exit 0', async () => {
    const directory = await filledCache('locked');
    // A lock of a live process (pid 1), taken now.
    mkdirSync(join(directory, '.store'), { recursive: true });
    writeFileSync(join(directory, '.store', 'cleanup.lock'), JSON.stringify({ pid: 1, at: Date.now(), token: 'other' }));
    const json = await gc(directory, ['--json']);
    expect(json.run.code, json.run.stderr).toBe(0);
    expect(JSON.parse(json.run.stdout)).toMatchObject({ ran: false, reason: 'locked', evicted: 0 });
    const human = await gc(directory);
    expect(human.run.code).toBe(0);
    expect(human.run.stdout).toMatch(/^Evicted 0 entries \(0 B\); limits: .*\nAnother process is cleaning the cache directory now; run `cache gc` again later\.\n$/);
    expect(present(directory)).toHaveLength(NAMESPACES.length * ROUNDS);
  });
});
