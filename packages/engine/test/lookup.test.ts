import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { MemoryStore } from '@cache/store';
import { appendCustomSection, buildWasmModule, patternedBytes } from '@cache/wasm-fixtures';
import { describe, expect, it } from 'vitest';
import { SAMPLED_LOOKUP_BLOCK_BYTES, SAMPLED_LOOKUP_BLOCKS, SAMPLED_LOOKUP_MIN_BYTES, isExactLookup, lookupId } from '../src/artifact/module-lookup.js';
import {
  Cache,
  CacheConfig,
  Config,
  decodeArtifact,
  encodeArtifact,
  Engine,
  engineFingerprint,
  MODULE_HASH_PIECE_BYTES,
  moduleHash,
  moduleHashInSteps,
  peekLayoutVersion,
  peekModuleHash,
  warningChannel,
  type WasmNamespace,
} from '../src/index.js';
import { tempDir } from './helpers.js';

const wasm = (globalThis as unknown as { WebAssembly: WasmNamespace }).WebAssembly;
const code = buildWasmModule({ functions: 60 });

/** A module over the sampled-lookup size: `code` plus a custom section of `fill` bytes. */
function largeModule(fill: number, padding = SAMPLED_LOOKUP_MIN_BYTES + 300_000): Uint8Array {
  return appendCustomSection(code, 'padding', new Uint8Array(padding).fill(fill));
}

/** An offset of `bytes` that no sampled block covers (between the middle two blocks). */
function unsampledOffset(bytes: Uint8Array): number {
  const span = bytes.byteLength - SAMPLED_LOOKUP_BLOCK_BYTES;
  const middle = SAMPLED_LOOKUP_BLOCKS / 2;
  const endOfBlock = Math.floor((span * (middle - 1)) / (SAMPLED_LOOKUP_BLOCKS - 1)) + SAMPLED_LOOKUP_BLOCK_BYTES;
  const nextBlock = Math.floor((span * middle) / (SAMPLED_LOOKUP_BLOCKS - 1));
  expect(nextBlock - endOfBlock).toBeGreaterThan(1000);
  return Math.floor((endOfBlock + nextBlock) / 2);
}

function run(module: WebAssembly.Module): number {
  const instance = new wasm.Instance(module, {}) as unknown as { exports: { run(n: number): number } };
  return instance.exports.run(7);
}

describe('lookup ids', () => {
  it('are the module hash up to the sampled size, and a sampled id above it', () => {
    expect(lookupId(code)).toBe(moduleHash(code));
    expect(isExactLookup(lookupId(code))).toBe(true);
    const large = largeModule(1);
    const id = lookupId(large);
    expect(isExactLookup(id)).toBe(false);
    expect(id).toMatch(/^s[0-9a-f]{64}$/);
    expect(id).not.toBe(`s${moduleHash(large)}`);
  });

  it('are what earlier versions stored artifacts under: node:crypto\'s SHA-256 of the module, or of its length and 64 blocks', () => {
    expect(lookupId(code)).toBe(createHash('sha256').update(code).digest('hex'));
    const large = largeModule(3);
    const reference = createHash('sha256');
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(large.byteLength));
    reference.update(length);
    const span = large.byteLength - SAMPLED_LOOKUP_BLOCK_BYTES;
    for (let block = 0; block < SAMPLED_LOOKUP_BLOCKS; block++) {
      const start = Math.floor((span * block) / (SAMPLED_LOOKUP_BLOCKS - 1));
      reference.update(large.subarray(start, start + SAMPLED_LOOKUP_BLOCK_BYTES));
    }
    expect(lookupId(large)).toBe(`s${reference.digest('hex')}`);
  });

  it('change with the length and with any sampled byte, not with an unsampled one', () => {
    const large = largeModule(1);
    const id = lookupId(large);
    expect(lookupId(largeModule(1, SAMPLED_LOOKUP_MIN_BYTES + 300_001))).not.toBe(id);
    const lastByte = large.slice();
    lastByte[lastByte.length - 1] = 2;
    expect(lookupId(lastByte)).not.toBe(id);
    const firstBlock = large.slice();
    firstBlock[100] = (large[100] ?? 0) ^ 1;
    expect(lookupId(firstBlock)).not.toBe(id);
    const unsampled = large.slice();
    unsampled[unsampledOffset(large)] = 2;
    expect(lookupId(unsampled)).toBe(id);
    expect(moduleHash(unsampled)).not.toBe(moduleHash(large));
  });

  it('the stepped module hash equals the one-shot hash', async () => {
    const large = largeModule(3);
    expect(await moduleHashInSteps(large)).toBe(moduleHash(large));
    expect(await moduleHashInSteps(code)).toBe(moduleHash(code));
  });
});

/** Bytes no two pieces of which are alike, seeded by their length (as `fixtures/module-hash-child.mjs` makes them). */
const patterned = (length: number): Uint8Array => patternedBytes(length, length);

/** The module hash by its definition, with node:crypto only. */
function referenceModuleHash(bytes: Uint8Array): string {
  if (bytes.byteLength <= 4 * 1024 * 1024) return createHash('sha256').update(bytes).digest('hex');
  const hash = createHash('sha256').update('wasm-cache/module-pieces/4MiB\n');
  for (let offset = 0; offset < bytes.byteLength; offset += 4 * 1024 * 1024) hash.update(createHash('sha256').update(bytes.subarray(offset, offset + 4 * 1024 * 1024)).digest());
  return hash.digest('hex');
}

describe('module hash', () => {
  const piece = MODULE_HASH_PIECE_BYTES;

  it('is the SHA-256 of the bytes up to 4 MiB, and above it the SHA-256 of a prefix and of each 4 MiB piece', async () => {
    expect(piece).toBe(4 * 1024 * 1024);
    const whole = patterned(4 * piece + 12_345);
    for (const length of [0, 1, 1000, piece - 1, piece, piece + 1, 2 * piece, 2 * piece + 1, 3 * piece + 7, 4 * piece + 12_345]) {
      const bytes = whole.subarray(0, length);
      const expected = referenceModuleHash(bytes);
      expect(moduleHash(bytes), `${length} bytes`).toBe(expected);
      expect(await moduleHashInSteps(bytes), `${length} bytes in steps`).toBe(expected);
      expect(moduleHash(bytes.slice()), `${length} bytes, own buffer`).toBe(expected);
    }
    const large = whole.subarray(0, piece + 1);
    expect(moduleHash(large)).not.toBe(createHash('sha256').update(large).digest('hex'));
  });

  it('names a precompiled large module; an artifact of the layout before it (SHA-256 of all the bytes) is refused, saying to precompile it again', async () => {
    const engine = new Engine(Config.default().cacheConfig(CacheConfig.disabled()));
    const large = largeModule(5, 2 * piece + 10);
    const artifact = await engine.precompile(large);
    const fields = decodeArtifact(artifact);
    expect(fields.moduleHash).toBe(referenceModuleHash(large));
    expect(artifact[4]).toBe(2);
    expect(run(await engine.deserialize(artifact, large))).toBe(run(new wasm.Module(code)));
    // Layout 1, as an earlier version wrote it: the same artifact but for its version and module hash.
    const earlier = encodeArtifact({ ...fields, moduleHash: createHash('sha256').update(large).digest('hex') });
    earlier[4] = 1;
    expect([peekLayoutVersion(artifact), peekLayoutVersion(earlier), peekLayoutVersion(earlier.subarray(0, 71)), peekLayoutVersion(large)]).toEqual([2, 1, undefined, undefined]);
    await expect(engine.deserialize(earlier, large)).rejects.toMatchObject({ code: 'ERR_CACHE_ARTIFACT_INVALID', defect: 'unsupported-version' });
    await expect(engine.deserialize(earlier, large)).rejects.toThrow(/layout version 1, expected 2: made by an earlier version of @cache\/engine; precompile it again with this one/);
    const later = artifact.slice();
    later[4] = 3;
    await expect(engine.deserialize(later, large)).rejects.toThrow(/layout version 3, expected 2: made by a later version of @cache\/engine/);
    // Another module's artifact is still just that.
    await expect(engine.deserialize(artifact, largeModule(6, 2 * piece + 10))).rejects.toMatchObject({ defect: 'module-mismatch' });
  });

  it('is the same with the addon (pieces on threads), on one CPU and without the addon (a piece at a time, a turn of the event loop after each MiB)', async () => {
    const child = join(import.meta.dirname, 'fixtures', 'module-hash-child.mjs');
    const lengths = [1000, piece, piece + 1, 3 * piece + 7];
    const run = async (env: NodeJS.ProcessEnv, oneCpu = false) => {
      const args = [child, ...lengths.map(String)];
      const [file, argv] = oneCpu ? ['taskset', ['-c', '0', process.execPath, ...args]] : [process.execPath, args];
      const { stdout } = await promisify(execFile)(file, argv, { env: { ...process.env, ...env } });
      return JSON.parse(stdout) as { native: boolean; threads: number; hashes: { length: number; oneShot: string; inSteps: string; turns: number }[] };
    };
    const expected = lengths.map((length) => {
      const hash = referenceModuleHash(patterned(length));
      return { length, oneShot: hash, inSteps: hash };
    });
    const hashesOf = (report: Awaited<ReturnType<typeof run>>) => report.hashes.map(({ length, oneShot, inSteps }) => ({ length, oneShot, inSteps }));
    /** Turns of the event loop while the largest module (12 MiB and 7 bytes) was hashed in steps. */
    const turnsOf = (report: Awaited<ReturnType<typeof run>>) => report.hashes.at(-1)?.turns ?? 0;
    const withAddon = await run({});
    expect(withAddon.native).toBe(true);
    expect(hashesOf(withAddon)).toEqual(expected);
    // One CPU: one piece at a time, a turn after each MiB of it (12 MiB and 7 bytes: 13 steps, so at least 12 turns).
    const oneCpu = await run({}, true);
    expect(oneCpu).toMatchObject({ native: true, threads: 1 });
    expect(hashesOf(oneCpu)).toEqual(expected);
    expect(turnsOf(oneCpu)).toBeGreaterThanOrEqual(12);
    const without = await run({ CACHE_V8_ADDON_PATH: join(tempDir('module-hash-'), 'no-such-addon.node') });
    expect(without).toMatchObject({ native: false, threads: 1 });
    expect(hashesOf(without)).toEqual(expected);
    expect(turnsOf(without)).toBeGreaterThanOrEqual(12);
  });

  it('changes with any byte of any piece, and with the length', async () => {
    const bytes = patterned(3 * piece + 100);
    const hash = moduleHash(bytes);
    for (const offset of [0, piece - 1, piece, 2 * piece + 5, bytes.byteLength - 1]) {
      const changed = bytes.slice();
      changed[offset] = (changed[offset] ?? 0) ^ 0x80;
      expect(moduleHash(changed), `byte ${offset}`).not.toBe(hash);
      expect(await moduleHashInSteps(changed), `byte ${offset} in steps`).not.toBe(hash);
    }
    expect(moduleHash(bytes.subarray(0, bytes.byteLength - 1))).not.toBe(hash);
    // Two pieces swapped: the same bytes in another order.
    const swapped = bytes.slice();
    swapped.set(bytes.subarray(piece, 2 * piece), 0);
    swapped.set(bytes.subarray(0, piece), piece);
    expect(moduleHash(swapped)).not.toBe(hash);
  });
});

describe('Engine on modules looked up by a sampled id', () => {
  const expected = run(new wasm.Module(code));

  /** A memory store; with `copy: false` it does not promise to return exactly what was put, so the engine checks each artifact's checksum itself. */
  async function setup(copy = true) {
    const store = new MemoryStore({ maxBytes: 256 * 1024 * 1024, copy });
    const cache = new Cache(CacheConfig.default().withDirectory(tempDir('engine-lookup-')), { store });
    const fingerprint = await engineFingerprint();
    if (!fingerprint.ok) throw new Error(fingerprint.reason);
    const keyOf = (id: string) => `${fingerprint.fingerprint.id}.${id}.full`;
    const engine = () => new Engine(Config.default().withArtifactTier('full'), { cache });
    return { store, cache, keyOf, engine };
  }

  it('stores a large module under its sampled id and loads it from there', async () => {
    const { store, keyOf, engine } = await setup();
    const large = largeModule(5);
    const first = engine();
    expect(run(await first.compile(large))).toBe(expected);
    await first.idle();
    expect(first.stats()).toMatchObject({ misses: 1, artifactsProduced: 1 });
    const stored = await store.get(keyOf(lookupId(large)));
    expect(stored && peekModuleHash(stored)).toBe(moduleHash(large));
    expect(await store.has(keyOf(moduleHash(large)))).toBe(false);

    // isCached reads the artifact's header only (a peek is not a read of the store).
    const second = engine();
    const read = store.stats().bytesRead;
    expect(await second.isCached(large)).toBe(true);
    expect(store.stats().bytesRead).toBe(read);
    expect(run(await second.compile(large))).toBe(expected);
    expect(second.stats()).toMatchObject({ hits: 1, misses: 0, corruptArtifacts: 0 });
    await store.close();
  });

  it('tells a sampled id\'s artifact apart by reading it whole from a store that cannot peek', async () => {
    const { store, engine } = await setup();
    Object.defineProperty(store, 'peek', { value: undefined });
    const a = largeModule(3);
    const b = a.slice();
    b[unsampledOffset(a)] = 4;
    const first = engine();
    await first.compile(a);
    await first.idle();
    const read = store.stats().bytesRead;
    const second = engine();
    expect(await second.isCached(a)).toBe(true);
    expect(await second.isCached(b)).toBe(false);
    expect(store.stats().bytesRead).toBeGreaterThan(read);
    await store.close();
  });

  it('two modules sharing a sampled id never get each other’s code, keep both artifacts, and both hit', async () => {
    const { store, keyOf, engine } = await setup();
    const a = largeModule(7);
    const b = a.slice();
    b[unsampledOffset(a)] = 8;
    expect(lookupId(b)).toBe(lookupId(a));
    const warnings: unknown[] = [];
    const listen = (message: unknown) => warnings.push(message);
    warningChannel.subscribe(listen);
    try {
      const makeA = engine();
      await makeA.compile(a);
      await makeA.idle();
      expect(makeA.stats()).toMatchObject({ misses: 1, artifactsProduced: 1 });

      // B finds A's artifact under the shared id: it must not load it, nor remove it.
      const makeB = engine();
      expect(await makeB.isCached(b)).toBe(false);
      expect(run(await makeB.compile(b))).toBe(expected);
      await makeB.idle();
      expect(makeB.stats()).toMatchObject({ hits: 0, misses: 1, corruptArtifacts: 0, incompatibleArtifacts: 0, artifactsProduced: 1 });
      const slot = await store.get(keyOf(lookupId(a)));
      expect(slot && peekModuleHash(slot)).toBe(moduleHash(a));
      const own = await store.get(keyOf(moduleHash(b)));
      expect(own && peekModuleHash(own)).toBe(moduleHash(b));

      const again = engine();
      expect(await again.isCached(b)).toBe(true);
      expect(run(await again.compile(a))).toBe(expected);
      expect(run(await again.compile(b))).toBe(expected);
      expect(again.stats()).toMatchObject({ hits: 2, misses: 0, corruptArtifacts: 0 });
      expect(warnings).toEqual([]);
    } finally {
      warningChannel.unsubscribe(listen);
      await store.close();
    }
  });

  it('a damaged artifact under a sampled id never reaches V8: removed, counted, made again', async () => {
    const { store, keyOf, engine } = await setup(false);
    expect(store.capabilities.verifiesContent).toBe(false);
    const large = largeModule(11);
    const first = engine();
    await first.compile(large);
    await first.idle();
    const slot = keyOf(lookupId(large));
    const good = await store.get(slot);
    expect(good).toBeDefined();
    const damages: Array<(bytes: Uint8Array) => Uint8Array> = [
      (bytes) => bytes.subarray(0, bytes.length - 100),
      (bytes) => {
        const out = bytes.slice();
        out[out.length >> 1] = (out[out.length >> 1] ?? 0) ^ 0x40;
        return out;
      },
      (bytes) => new Uint8Array(bytes.length),
    ];
    for (const damage of damages) {
      await store.put(slot, damage(good!));
      const next = engine();
      expect(run(await next.compile(large))).toBe(expected);
      expect(next.stats()).toMatchObject({ hits: 0, misses: 1, corruptArtifacts: 1 });
      await next.idle();
      expect(next.stats().artifactsProduced).toBe(1);
      const again = engine();
      expect(run(await again.compile(large))).toBe(expected);
      expect(again.stats()).toMatchObject({ hits: 1, corruptArtifacts: 0 });
    }
    await store.close();
  });

  it('a store whose reads fail (throw) costs a compile, not the caller', async () => {
    class FailingStore extends MemoryStore {
      override get(): Promise<Uint8Array | undefined> {
        return Promise.reject(new Error('the disk is on fire'));
      }
    }
    const store = new FailingStore();
    const cache = new Cache(CacheConfig.default().withDirectory(tempDir('engine-failing-')), { store });
    const warnings: Array<{ code: string; message: string }> = [];
    const listen = (message: unknown) => warnings.push(message as { code: string; message: string });
    warningChannel.subscribe(listen);
    try {
      const engine = new Engine(Config.default().withArtifactTier('full'), { cache });
      expect(run(await engine.compile(code))).toBe(expected);
      expect(run(await engine.compile(largeModule(9)))).toBe(expected);
      expect(engine.stats()).toMatchObject({ compiles: 2, misses: 2, hits: 0 });
      expect(warnings.map((w) => w.code)).toContain('CACHE_ENGINE_STORE_FAILED');
      expect(warnings.find((w) => w.code === 'CACHE_ENGINE_STORE_FAILED')?.message).toContain('the disk is on fire');
      await engine.idle();
    } finally {
      warningChannel.unsubscribe(listen);
      await store.close();
    }
  });
});
