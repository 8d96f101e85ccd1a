import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DiskStore, hashKey } from '../src/index.js';
import { EXIT_USES_LIMIT, recordUsesSync } from '../src/disk/exit-flush.js';
import { TALLY_REST_UNIT, TALLY_UNIT, tallyBytes, tallyUnits } from '../src/disk/write-tally.js';
import { configFor, tempDirectory } from './helpers.js';

describe('uses written as a process exits', () => {
  let dir: ReturnType<typeof tempDirectory>;
  beforeEach(() => {
    dir = tempDirectory('exit-uses-');
  });
  afterEach(() => dir.remove());

  it('at exit, writes the sidecars of at most the most recent uses', async () => {
    const store = await DiskStore.open(configFor(dir.path), { namespace: 'ns', background: 'inline', compression: false });
    const hashes: string[] = [];
    for (let i = 0; i < EXIT_USES_LIMIT + 10; i++) {
      await store.put(`k${i}`, new Uint8Array([i]));
      hashes.push(hashKey(`k${i}`));
    }
    const at = 1_700_000_000_000;
    expect(recordUsesSync(store.layout, hashes.map((hash, i) => ({ hash, uses: 2, lastUsed: at + i * 1000 })))).toBe(EXIT_USES_LIMIT);
    const written = hashes.map((hash) => existsSync(store.layout.sidecar(hash)));
    expect(written).toEqual(hashes.map((_, i) => i >= 10));
    expect(statSync(store.layout.sidecar(hashes[10] ?? '')).mtimeMs).toBe(at + 10_000);
    // No sidecar for an entry gone meanwhile, and none left half-written.
    expect(recordUsesSync(store.layout, [{ hash: hashKey('gone'), uses: 1, lastUsed: at }])).toBe(0);
    expect(existsSync(store.layout.sidecar(hashKey('gone')))).toBe(false);
    expect(readdirSync(store.layout.tmp).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    await store.close();
  });
});

describe('the write tally', () => {
  it('counts bytes as whole units and the rest rounded up: never less than written, less than a rest unit more', () => {
    expect(tallyUnits(0)).toEqual({ units: 0, rest: 0 });
    expect(tallyUnits(-5)).toEqual({ units: 0, rest: 0 });
    expect(tallyUnits(3 * TALLY_UNIT)).toEqual({ units: 3, rest: 0 });
    expect(tallyUnits(TALLY_UNIT + 1)).toEqual({ units: 1, rest: 1 });
    expect(tallyUnits(8066)).toEqual({ units: 1, rest: Math.ceil((8066 - TALLY_UNIT) / TALLY_REST_UNIT) });
    for (let bytes = 1; bytes < 3 * TALLY_UNIT; bytes += 7) {
      const counted = tallyBytes(tallyUnits(bytes));
      expect(counted).toBeGreaterThanOrEqual(bytes);
      expect(counted).toBeLessThan(bytes + TALLY_REST_UNIT);
    }
    // What a put appends stays small: at most a rest unit's worth beyond one byte per whole unit.
    const { units, rest } = tallyUnits(10 * 1024 * 1024 + 4095);
    expect(units).toBe(2560);
    expect(rest).toBeLessThanOrEqual(TALLY_UNIT / TALLY_REST_UNIT);
  });

  it('a FIFO in a tally file\'s place does not hold a put, which then goes by its own writes', async () => {
    const dir = tempDirectory('tally-fifo-');
    try {
      const store = await DiskStore.open(configFor(dir.path), { namespace: 'ns', background: 'inline' });
      await store.put('a', new Uint8Array(100));
      await store.runCleanup({ force: true }); // a record naming a tally
      const { tally } = JSON.parse(readFileSync(store.layout.lastCleanup, 'utf8')) as { tally: string };
      const file = path.join(store.layout.storeDirectory, `written-${tally}.entries`);
      rmSync(file);
      execFileSync('mkfifo', [file]);
      expect((await store.put('b', new Uint8Array(100))).stored).toBe(true);
      expect(store.stats().errors).toBe(0);
      await store.close();
    } finally {
      dir.remove();
    }
  });
});
