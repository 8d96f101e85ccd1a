import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DiskStore, hashKey } from '../src/index.js';
import { EXIT_USES_LIMIT, recordUsesSync } from '../src/disk/exit-flush.js';
import { TALLY_UNIT, tallyUnits } from '../src/disk/write-tally.js';
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
  it('rounds bytes to whole units, up or down in proportion to the remainder', () => {
    expect(tallyUnits(0)).toBe(0);
    expect(tallyUnits(-5)).toBe(0);
    expect(tallyUnits(3 * TALLY_UNIT)).toBe(3);
    expect(tallyUnits(TALLY_UNIT + 1024, () => 0.24)).toBe(2);
    expect(tallyUnits(TALLY_UNIT + 1024, () => 0.26)).toBe(1);
    // Many small entries add up to what they weigh, on average.
    let units = 0;
    for (let i = 0; i < 10_000; i++) units += tallyUnits(400);
    expect(units * TALLY_UNIT).toBeGreaterThan(10_000 * 400 * 0.9);
    expect(units * TALLY_UNIT).toBeLessThan(10_000 * 400 * 1.1);
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
