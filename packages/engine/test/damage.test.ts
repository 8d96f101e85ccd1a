import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CacheConfig } from '@cache/config';
import { DiskStore, hashKey, HEADER_LENGTH, Layout } from '@cache/store';
import { beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACT_HEADER_SIZE, decodeArtifact, encodeArtifact, moduleHash } from '../src/index.js';
import { runChild, tempDir, wasmFile, type ChildReport } from './helpers.js';

type Damage = (good: Uint8Array, foreign: Uint8Array) => Uint8Array;

function flip(bytes: Uint8Array, offset: number): Uint8Array {
  const copy = new Uint8Array(bytes);
  copy[offset] = (copy[offset] ?? 0) ^ 0x04;
  return copy;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** Damage the engine catches with no help from the store: layout, lengths, identity, fingerprint, V8 header. */
const structural: Record<string, Damage> = {
  'truncated to half': (a) => a.slice(0, a.length >> 1),
  'truncated to 10 bytes': (a) => a.slice(0, 10),
  'truncated by one byte': (a) => a.slice(0, -1),
  'bit flipped in the magic': (a) => flip(a, 1),
  'bit flipped in the module hash': (a) => flip(a, 30),
  "bit flipped in V8's header": (a) => flip(a, ARTIFACT_HEADER_SIZE + 5),
  'bytes appended': (a) => concat(a, new Uint8Array(1024).fill(0x90)),
  "another module's artifact swapped in": (_a, foreign) => foreign,
  'a stale fingerprint': (a) => encodeArtifact({ ...decodeArtifact(a), fingerprintId: '00'.repeat(12) }),
  "V8's header altered and the checksum recomputed": (a) => {
    const fields = decodeArtifact(a);
    const payload = new Uint8Array(fields.payload);
    payload[6] = (payload[6] ?? 0) ^ 0x10;
    return encodeArtifact({ ...fields, payload });
  },
  'random bytes': (a) => Uint8Array.from({ length: a.length }, (_, i) => (i * 2654435761) >>> 24),
};

/** Damage inside V8's code, which only a checksum can see. */
const inCode: Record<string, Damage> = {
  'bit flipped mid-payload': (a) => flip(a, a.length >> 1),
  'bit flipped in the last byte': (a) => flip(a, a.length - 1),
  'a 4 KiB page of code zeroed': (a) => {
    const b = new Uint8Array(a);
    b.fill(0, 8192, 8192 + 4096);
    return b;
  },
};

/** Runs the module in a fresh process; the damaged artifact must be refused, removed and replaced. */
async function expectRefusedAndRecovered(args: string[], expected: number, counted: boolean): Promise<void> {
  const report: ChildReport = await runChild(process.execPath, [...args.slice(0, 2), '--idle', ...args.slice(2)]);
  expect(report.outcomes).toEqual(['miss']);
  expect(report.stats.hits).toBe(0);
  if (counted) {
    expect(report.stats.corruptArtifacts + report.stats.incompatibleArtifacts).toBe(1);
    // Said once, whether the engine or the store (its own checksum) found the damage.
    expect(report.stderr.match(/CACHE_ENGINE_ARTIFACT_DAMAGED/g) ?? []).toHaveLength(1);
  }
  expect(report.result).toBe(expected);
  expect(report.stats.artifactsProduced).toBe(1);
  const next = await runChild(process.execPath, args);
  expect(next.outcomes).toEqual(['hit']);
  expect(next.result).toBe(expected);
}

describe('damaged artifacts never reach V8', () => {
  const work = tempDir('engine-damage-');
  const wasm = wasmFile(work, 200);
  const otherWasm = wasmFile(work, 210, 'other.wasm');
  const hash = moduleHash(wasm.bytes);
  let expected = 0;

  describe('written through a store that does not verify content (a third-party backend)', () => {
    const rawDir = join(work, 'raw');
    const args = [join(work, 'unused'), wasm.path, '--raw-store', rawDir];
    let good: Uint8Array;
    let foreign: Uint8Array;
    let file = '';

    beforeAll(async () => {
      expected = (await runChild(process.execPath, [args[0] as string, wasm.path, '--idle', '--raw-store', rawDir])).result;
      await runChild(process.execPath, [args[0] as string, otherWasm.path, '--idle', '--raw-store', rawDir]);
      const names = readdirSync(rawDir);
      file = join(rawDir, names.find((name) => name.endsWith(`${hash}.full`)) ?? '');
      good = new Uint8Array(readFileSync(file));
      foreign = new Uint8Array(readFileSync(join(rawDir, names.find((name) => name.endsWith(`${moduleHash(otherWasm.bytes)}.full`)) ?? '')));
    });

    it.each(Object.keys({ ...structural, ...inCode }))('%s: refused, removed, recompiled; the process survives', async (name) => {
      const damage = ({ ...structural, ...inCode })[name] as Damage;
      writeFileSync(file, damage(good, foreign));
      await expectRefusedAndRecovered(args, expected, true);
    });
  });

  describe('in a disk store', () => {
    const cacheDir = join(work, 'disk');
    const args = [cacheDir, wasm.path];
    const key = `${hash}.full`;
    let namespace = '';
    let good: Uint8Array;
    let foreign: Uint8Array;
    let entryFile = '';
    let goodEntry: Uint8Array;
    let foreignEntry: Uint8Array;

    async function withStore<T>(use: (store: DiskStore) => Promise<T>): Promise<T> {
      const store = await DiskStore.open(CacheConfig.default().withDirectory(cacheDir), { namespace, compression: false });
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
      const layout = new Layout(cacheDir, namespace);
      entryFile = layout.entry(hashKey(key));
      goodEntry = new Uint8Array(readFileSync(entryFile));
      foreignEntry = new Uint8Array(readFileSync(layout.entry(hashKey(`${moduleHash(otherWasm.bytes)}.full`))));
      await withStore(async (store) => {
        // Plain Uint8Array copies: the store returns Buffers, whose slice() is a view, not a copy.
        good = new Uint8Array((await store.get(key)) ?? []);
        foreign = new Uint8Array((await store.get(`${moduleHash(otherWasm.bytes)}.full`)) ?? []);
      });
      expect(good.byteLength).toBeGreaterThan(ARTIFACT_HEADER_SIZE);
    });

    const onDisk: Record<string, (entry: Uint8Array, foreignEntry: Uint8Array) => Uint8Array> = {
      'entry truncated to half': (e) => e.slice(0, e.length >> 1),
      'entry truncated by one byte': (e) => e.slice(0, -1),
      // The content length's low byte. A bit flipped high in it would claim more than the capacity: the store
      // then takes the entry for a larger store's, a too-large miss, kept until the next write replaces it.
      "bit flipped in the store's header": (e) => flip(e, 16),
      "bit flipped in the artifact's header": (e) => flip(e, e.length - good.length + 40),
      'bit flipped mid-code': (e) => flip(e, e.length >> 1),
      'bit flipped in the last byte': (e) => flip(e, e.length - 1),
      'bytes appended': (e) => concat(e, new Uint8Array(100).fill(1)),
      'a 4 KiB page zeroed': (e) => {
        const b = new Uint8Array(e);
        b.fill(0, HEADER_LENGTH + 8192, HEADER_LENGTH + 8192 + 4096);
        return b;
      },
      "another module's entry file swapped in": (_e, f) => f,
    };

    it.each(Object.keys(onDisk))('damage to the file on disk (%s) is a miss, counted and said once, then recovery', async (name) => {
      writeFileSync(entryFile, (onDisk[name] as (e: Uint8Array, f: Uint8Array) => Uint8Array)(goodEntry, foreignEntry));
      await expectRefusedAndRecovered(args, expected, true);
      goodEntry = new Uint8Array(readFileSync(entryFile));
    });

    // The store's own checksum covers these bytes as they were put: the engine's checks, the artifact's
    // checksum of V8's code among them, are what refuse them.
    it.each(Object.keys({ ...structural, ...inCode }))('written through the store (%s): refused by the engine, recompiled', async (name) => {
      const damage = ({ ...structural, ...inCode })[name] as Damage;
      await withStore(async (store) => {
        expect((await store.put(key, damage(good, foreign))).stored).toBe(true);
      });
      await expectRefusedAndRecovered(args, expected, true);
    });
  });
});
