import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CacheConfig } from '@cache/config';
import { DiskStore, hashKey } from '@cache/store';
import { beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACT_HEADER_SIZE, decodeArtifact, encodeArtifact, moduleHash } from '../src/index.js';
import { runChild, tempDir, wasmFile, type ChildReport } from './helpers.js';

/** Ways to damage an artifact; each is put through the store, so only the engine's own checks stand between it and V8. */
const damages: Record<string, (good: Uint8Array, foreign: Uint8Array) => Uint8Array> = {
  'truncated to half': (a) => a.slice(0, a.length >> 1),
  'truncated to 10 bytes': (a) => a.slice(0, 10),
  'truncated by one byte': (a) => a.slice(0, -1),
  'bit flipped in the magic': (a) => flip(a, 1),
  'bit flipped in the module hash': (a) => flip(a, 30),
  "bit flipped in V8's header": (a) => flip(a, ARTIFACT_HEADER_SIZE + 5),
  'bit flipped mid-payload': (a) => flip(a, a.length >> 1),
  'bit flipped in the last byte': (a) => flip(a, a.length - 1),
  'bytes appended': (a) => concat(a, new Uint8Array(1024).fill(0x90)),
  'a 4 KiB page zeroed': (a) => {
    const b = a.slice();
    b.fill(0, 8192, 8192 + 4096);
    return b;
  },
  "another module's artifact swapped in": (_a, foreign) => foreign,
  'a stale fingerprint': (a) => encodeArtifact({ ...decodeArtifact(a), fingerprintId: '00'.repeat(12) }),
  "V8's header altered and the checksum recomputed": (a) => {
    const fields = decodeArtifact(a);
    const payload = fields.payload.slice();
    payload[6] = (payload[6] ?? 0) ^ 0x10;
    return encodeArtifact({ ...fields, payload });
  },
  'random bytes': (a) => {
    const b = new Uint8Array(a.length);
    for (let i = 0; i < b.length; i += 1) b[i] = (i * 2654435761) >>> 24;
    return b;
  },
};

function flip(bytes: Uint8Array, offset: number): Uint8Array {
  const copy = bytes.slice();
  copy[offset] = (copy[offset] ?? 0) ^ 0x04;
  return copy;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

describe('damaged artifacts never reach V8', () => {
  const work = tempDir('engine-damage-');
  const cacheDir = join(work, 'cache');
  const wasm = wasmFile(work, 200);
  const otherWasm = wasmFile(work, 210, 'other.wasm');
  const key = `${moduleHash(wasm.bytes)}.full`;
  let namespace = '';
  let good: Uint8Array;
  let foreign: Uint8Array;
  let expected: number;

  async function withStore<T>(use: (store: DiskStore) => Promise<T>): Promise<T> {
    const store = await DiskStore.open(CacheConfig.default().withDirectory(cacheDir), { namespace });
    try {
      return await use(store);
    } finally {
      await store.close();
    }
  }

  beforeAll(async () => {
    expected = (await runChild(process.execPath, [cacheDir, wasm.path, '--idle'])).result;
    await runChild(process.execPath, [cacheDir, otherWasm.path, '--idle']);
    namespace = readdirSync(cacheDir).find((name) => /^[0-9a-f]{24}$/.test(name)) ?? '';
    await withStore(async (store) => {
      // Plain Uint8Array copies: the store returns Buffers, whose slice() is a view, not a copy.
      good = new Uint8Array((await store.get(key)) ?? []);
      foreign = new Uint8Array((await store.get(`${moduleHash(otherWasm.bytes)}.full`)) ?? []);
    });
    expect(good.byteLength).toBeGreaterThan(ARTIFACT_HEADER_SIZE);
    expect(foreign.byteLength).toBeGreaterThan(ARTIFACT_HEADER_SIZE);
  });

  it.each(Object.keys(damages))('%s: removed, counted, recompiled; the process survives', async (name) => {
    const damage = damages[name] as (good: Uint8Array, foreign: Uint8Array) => Uint8Array;
    await withStore(async (store) => {
      expect((await store.put(key, damage(good, foreign))).stored).toBe(true);
    });
    const report: ChildReport = await runChild(process.execPath, [cacheDir, wasm.path, '--idle']);
    expect(report.outcomes).toEqual(['miss']);
    expect(report.stats.hits).toBe(0);
    expect(report.stats.corruptArtifacts + report.stats.incompatibleArtifacts).toBe(1);
    expect(report.result).toBe(expected);
    // Recovery: the damaged entry was replaced by a fresh artifact, which the next process loads.
    expect(report.stats.artifactsProduced).toBe(1);
    const next = await runChild(process.execPath, [cacheDir, wasm.path]);
    expect(next.outcomes).toEqual(['hit']);
    expect(next.result).toBe(expected);
  });

  it("damage to the file on disk is caught by the store's checksum: a miss, then recovery", async () => {
    const entry = join(cacheDir, namespace, 'v1', 'entries', hashKey(key).slice(0, 2), `${hashKey(key)}.entry`);
    const bytes = readFileSync(entry);
    bytes[bytes.length - 7] = (bytes[bytes.length - 7] ?? 0) ^ 0x01;
    writeFileSync(entry, bytes);
    const report = await runChild(process.execPath, [cacheDir, wasm.path, '--idle']);
    expect(report.outcomes).toEqual(['miss']);
    expect(report.result).toBe(expected);
    expect((await runChild(process.execPath, [cacheDir, wasm.path])).outcomes).toEqual(['hit']);
  });
});
