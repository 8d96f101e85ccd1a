import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DiskStore } from '../src/index.js';
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
