import { createHash } from 'node:crypto';
import vm from 'node:vm';
import { crc32 } from 'node:zlib';
import { DiskStore, MemoryStore } from '@cache/store';
import { nativeDigests } from '@cache/v8';
import { buildWasmModule } from '@cache/wasm-fixtures';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ARTIFACT_VERSION,
  ArtifactIncompatibleError,
  ArtifactInvalidError,
  Cache,
  CacheConfig,
  Config,
  decodeArtifact,
  encodeArtifact,
  EngineArgumentError,
  Engine,
  engineFingerprint,
  moduleHash,
  type WasmNamespace,
  warningChannel,
} from '../src/index.js';
import { ARTIFACT_HEADER_SIZE } from '../src/artifact/artifact-format.js';
import { crc32Combine } from '../src/artifact/checksum.js';
import { tempDir } from './helpers.js';

const wasm = (globalThis as unknown as { WebAssembly: WasmNamespace }).WebAssembly;
const bytes = buildWasmModule({ functions: 120 });
const other = buildWasmModule({ functions: 121 });

function run(module: WebAssembly.Module): number {
  const instance = new wasm.Instance(module, {}) as unknown as { exports: { run(n: number): number } };
  return instance.exports.run(7);
}

const expected = run(new wasm.Module(bytes));

describe('Engine with a shared memory cache', () => {
  const store = new MemoryStore({ maxBytes: 64 * 1024 * 1024 });
  const cache = new Cache(CacheConfig.default().withDirectory(tempDir('engine-mem-')), { store });
  afterAll(() => store.close());

  it('misses, produces the optimized artifact in the background, then hits', async () => {
    const first = new Engine(Config.default().withArtifactTier('full'), { cache });
    expect(run(await first.compile(bytes))).toBe(expected);
    expect(first.stats()).toMatchObject({ compiles: 1, misses: 1, hits: 0 });
    await first.idle();
    expect(first.stats().artifactsProduced).toBe(1);

    const second = new Engine(Config.default().withArtifactTier('full'), { cache });
    expect(run(await second.compile(bytes))).toBe(expected);
    expect(second.stats()).toMatchObject({ compiles: 1, hits: 1, misses: 0 });
    expect(second.stats().bytesLoaded).toBeGreaterThan(bytes.byteLength / 4);
    expect(cache.stats()).toMatchObject({ compiles: 2, hits: 1, misses: 1, artifactsProduced: 1 });
    expect(cache.stats().timeSavedMs).toBeGreaterThanOrEqual(0);
  });

  it('shares one compilation between concurrent compiles of the same bytes', async () => {
    const engine = new Engine(Config.default().withArtifactTier('full'), { cache: new Cache(CacheConfig.default().withDirectory(tempDir('engine-sf-')), { store: new MemoryStore() }) });
    const modules = await Promise.all(Array.from({ length: 6 }, () => engine.compile(other)));
    // One compile, but a module object per caller, as WebAssembly.compile gives: what one caller
    // attaches to its module is not seen by another.
    expect(new Set(modules).size).toBe(6);
    (modules[0] as unknown as { tag?: string }).tag = 'first';
    expect((modules[1] as unknown as { tag?: string }).tag).toBeUndefined();
    for (const module of modules) expect(run(module)).toBe(run(new wasm.Module(other)));
    expect(engine.stats()).toMatchObject({ compiles: 6, misses: 1, hits: 0, joined: 5 });
    await engine.idle();
    expect(engine.stats().artifactsProduced).toBe(1);
  });

  it('rejects invalid bytes exactly as WebAssembly.compile does, counting them as invalid, not as misses', async () => {
    const engine = new Engine(Config.default().withArtifactTier('full'), { cache });
    await expect(engine.compile(new Uint8Array([0, 97, 115, 109, 9, 9, 9, 9]))).rejects.toBeInstanceOf(wasm.CompileError);
    await expect(engine.compile('nope' as unknown as Uint8Array)).rejects.toBeInstanceOf(TypeError);
    expect(engine.stats()).toMatchObject({ compiles: 1, invalid: 1, misses: 0, hits: 0, uncached: 0 });
  });
});

/** `(func (export "k") (result i32) i32.const k)`, the same length for every k in 64..8191. */
function constantModule(k: number): Uint8Array {
  const leb = [(k & 0x7f) | 0x80, k >> 7];
  return new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 0x60, 0, 1, 0x7f, 3, 2, 1, 0, 7, 5, 1, 1, 0x6b, 0, 0, 10, 7, 1, 5, 0, 0x41, ...leb, 0x0b]);
}

describe('Engine with bytes in a SharedArrayBuffer', () => {
  it('copies them in the call: another thread changing them afterwards cannot change what is compiled', async () => {
    const engine = new Engine(Config.default().withArtifactTier('full'), { cache: new Cache(CacheConfig.default().withDirectory(tempDir('engine-sab-')), { store: new MemoryStore() }) });
    const shared = new Uint8Array(new SharedArrayBuffer(constantModule(1234).byteLength));
    shared.set(constantModule(1234));
    const compiling = engine.compile(shared);
    shared.set(constantModule(4321)); // as a worker writing the same memory would
    const instance = new wasm.Instance(await compiling, {}) as unknown as { exports: { k(): number } };
    expect(instance.exports.k()).toBe(1234);
    // From another realm (a vm context) as well.
    const foreign = vm.runInNewContext(`new Uint8Array(new SharedArrayBuffer(${constantModule(2345).byteLength}))`) as Uint8Array;
    foreign.set(constantModule(2345));
    const compilingForeign = engine.compile(foreign);
    foreign.set(constantModule(5432));
    expect((new wasm.Instance(await compilingForeign, {}) as unknown as { exports: { k(): number } }).exports.k()).toBe(2345);
    await engine.idle();
  });
});

describe('Engine with a store that refuses the produced artifact', () => {
  it('counts and says it, as for a disk store', async () => {
    const warned: string[] = [];
    const onWarning = (message: unknown): void => void warned.push((message as { code: string }).code);
    warningChannel.subscribe(onWarning);
    try {
      const cache = new Cache(CacheConfig.default().withDirectory(tempDir('engine-refuse-')), { store: new MemoryStore({ maxBytes: 4096 }) });
      const engine = new Engine(Config.default().withArtifactTier('full'), { cache });
      await engine.compile(buildWasmModule({ functions: 122 }));
      await engine.idle();
      expect(engine.stats()).toMatchObject({ misses: 1, producerFailures: 1, artifactsProduced: 0 });
      expect(warned).toContain('CACHE_ENGINE_PRODUCER_FAILED');
    } finally {
      warningChannel.unsubscribe(onWarning);
    }
  });
});

describe('Engine with caching disabled', () => {
  it('compiles every time and stores nothing', async () => {
    const engine = new Engine(Config.default().cacheConfig(CacheConfig.disabled()));
    expect(run(await engine.compile(bytes))).toBe(expected);
    expect(engine.stats()).toMatchObject({ compiles: 1, uncached: 1, hits: 0, misses: 0 });
  });

  it('refuses an invalid configuration at construction, listing the problems', () => {
    expect(() => new Engine(Config.default().cacheConfig(CacheConfig.default().withCapacity('lots')))).toThrow(/filesTotalSizeSoftLimit/);
  });

  it('counts invalid bytes without the cache as invalid, not as uncached', async () => {
    const engine = new Engine(Config.default().cacheConfig(CacheConfig.disabled()));
    await expect(engine.compile(new Uint8Array([0, 97, 115, 109, 9, 9, 9, 9]))).rejects.toBeInstanceOf(wasm.CompileError);
    expect(engine.stats()).toMatchObject({ compiles: 1, invalid: 1, uncached: 0 });
  });
});

describe('Engine constructor argument', () => {
  it('takes a CacheConfig alone as Config.default() with that cache configuration', () => {
    const directory = tempDir('engine-cc-');
    const engine = new Engine(CacheConfig.default().withDirectory(directory).withCapacity('1Gi'));
    expect(engine.cache.config.directory).toBe(directory);
    expect(engine.config.artifactTier).toBe('hot');
  });

  it('refuses anything else with an EngineArgumentError naming what it got', () => {
    for (const [value, got] of [
      [{}, /got an object \(Object\)/],
      [null, /got null/],
      ['hot', /got string/],
    ] as const) {
      let thrown: unknown;
      try {
        new Engine(value as unknown as Config);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toMatchObject({ code: 'ERR_CACHE_INVALID_ARGUMENT' });
      expect((thrown as Error).message).toMatch(got);
    }
  });
});

describe('Engine.compile options.url', () => {
  /** `(import "e" "f" (func)) (func (export "go") call 0)` with a custom section of `tag`, so each test has bytes of its own (V8 names bytes it compiled before by their first URL). */
  const callingModule = (tag: string): Uint8Array =>
    new Uint8Array([
      ...[0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 0x60, 0, 0, 2, 7, 1, 1, 0x65, 1, 0x66, 0, 0, 3, 2, 1, 0, 7, 6, 1, 2, 0x67, 0x6f, 0, 1, 10, 6, 1, 4, 0, 0x10, 0, 0x0b],
      ...[0, tag.length + 1, tag.length, ...new TextEncoder().encode(tag)],
    ]);
  /** The module's own frame in a stack taken while it runs. */
  const frame = (module: WebAssembly.Module): string | undefined => {
    let stack = '';
    const instance = new wasm.Instance(module, { e: { f: () => (stack = new Error().stack ?? '') } }) as unknown as { exports: { go(): void } };
    instance.exports.go();
    return stack.split('\n').find((line) => line.includes('wasm-function'))?.trim();
  };

  it('names the module by the URL in stack frames, with the cache on or off; without one (or an empty one) as wasm://wasm/<hash>', async () => {
    const engine = new Engine(CacheConfig.default().withDirectory(tempDir('engine-url-')));
    const off = new Engine(Config.default().cacheConfig(CacheConfig.disabled()));
    expect(frame(await engine.compile(callingModule('a'), { url: 'https://example.com/a.wasm' }))).toMatch(/^at https:\/\/example\.com\/a\.wasm:wasm-function\[1\]:0x[0-9a-f]+$/);
    expect(frame(await off.compile(callingModule('b'), { url: 'file:///srv/b.wasm' }))).toMatch(/^at file:\/\/\/srv\/b\.wasm:wasm-function\[1\]:/);
    expect(frame(await engine.compile(callingModule('c')))).toMatch(/^at wasm:\/\/wasm\/[0-9a-f]{8}:wasm-function\[1\]:/);
    expect(frame(await engine.compile(callingModule('d'), { url: '' }))).toMatch(/^at wasm:\/\/wasm\/[0-9a-f]{8}:wasm-function\[1\]:/);
    expect(engine.stats()).toMatchObject({ compiles: 3, misses: 3 });
    await engine.close();
  });

  it('counts invalid bytes given with a URL as invalid, rejecting with a CompileError (no bytes too, with the cache on or off)', async () => {
    const engine = new Engine(CacheConfig.default().withDirectory(tempDir('engine-url-')));
    const off = new Engine(Config.default().cacheConfig(CacheConfig.disabled()));
    const url = { url: 'https://example.com/bad.wasm' };
    await expect(engine.compile(new Uint8Array([0, 97, 115, 109, 9, 9, 9, 9]), url)).rejects.toBeInstanceOf(wasm.CompileError);
    await expect(engine.compile(new Uint8Array(0), url)).rejects.toBeInstanceOf(wasm.CompileError);
    await expect(off.compile(new Uint8Array(0), url)).rejects.toBeInstanceOf(wasm.CompileError);
    expect(engine.stats()).toMatchObject({ compiles: 2, invalid: 2, misses: 0 });
    expect(off.stats()).toMatchObject({ compiles: 1, invalid: 1 });
    await engine.close();
  });

  it('takes null for no options, and shares one compile of the same bytes in flight whatever their URLs (V8 names them all by the first)', async () => {
    const engine = new Engine(CacheConfig.default().withDirectory(tempDir('engine-url-')));
    const module = callingModule('joined');
    const [first, second] = await Promise.all([engine.compile(module, null), engine.compile(module, { url: 'https://example.com/joined.wasm' })]);
    expect(engine.stats()).toMatchObject({ compiles: 2, misses: 1, joined: 1 });
    expect(frame(second)).toBe(frame(first));
    await engine.close();
  });

  it('refuses a URL that is not a string with an EngineArgumentError', async () => {
    const engine = new Engine(CacheConfig.default().withDirectory(tempDir('engine-url-')));
    await expect(engine.compile(bytes, { url: 42 as unknown as string })).rejects.toMatchObject({ code: 'ERR_CACHE_INVALID_ARGUMENT', message: /options\.url must be a string, got number/ });
    await engine.close();
  });
});

describe('precompile and deserialize', () => {
  const engine = new Engine(Config.default().cacheConfig(CacheConfig.disabled()));

  it('round-trips a portable artifact', async () => {
    const artifact = await engine.precompile(bytes);
    const fields = decodeArtifact(artifact);
    expect(fields.tier).toBe('full');
    expect(fields.fingerprintId).toBe(await engine.precompileCompatibilityHash());
    expect(run(await engine.deserialize(artifact, bytes))).toBe(expected);
  });

  it('refuses an artifact for other module bytes, and a damaged one, before V8 sees it', async () => {
    const artifact = await engine.precompile(bytes);
    await expect(engine.deserialize(artifact, other)).rejects.toMatchObject({ code: 'ERR_CACHE_ARTIFACT_INVALID', defect: 'module-mismatch' });
    // The whole hashes: an artifact whose recorded hash differs late (here its 17th byte) is not shown as "for X, not X".
    const rehashed = artifact.slice();
    rehashed[24 + 16] = (rehashed[24 + 16] ?? 0) ^ 0x01;
    const mismatch = await engine.deserialize(rehashed, bytes).then(() => undefined, (error: unknown) => error as Error);
    expect(mismatch).toMatchObject({ defect: 'module-mismatch' });
    const [recorded, actual] = [...(mismatch?.message ?? '').matchAll(/[0-9a-f]{64}/g)].map((match) => match[0]);
    expect(actual).toBe(moduleHash(bytes));
    expect(recorded).not.toBe(actual);
    const damaged = artifact.slice();
    damaged[damaged.length - 100] = (damaged[damaged.length - 100] ?? 0) ^ 0xff;
    await expect(engine.deserialize(damaged, bytes)).rejects.toMatchObject({ defect: 'checksum-mismatch' });
    await expect(engine.deserialize(artifact.subarray(0, 50), bytes)).rejects.toBeInstanceOf(ArtifactInvalidError);
  });

  it('refuses an artifact from another engine fingerprint with a clear error', async () => {
    const artifact = await engine.precompile(bytes);
    const fields = decodeArtifact(artifact);
    const foreign = encodeArtifact({ ...fields, fingerprintId: 'ab'.repeat(12) });
    await expect(engine.deserialize(foreign, bytes)).rejects.toBeInstanceOf(ArtifactIncompatibleError);
    await expect(engine.deserialize(foreign, bytes)).rejects.toThrow(/another Node\.js\/V8 version, CPU features or V8 flags/);
  });

  it('the fingerprint covers the artifact layout: an engine that names modules otherwise never shares a namespace or a compatibility hash with this one', async () => {
    const result = await engineFingerprint();
    if (!result.ok) throw new Error(result.reason);
    const { id, node, v8, platform, header } = result.fingerprint;
    const idOf = (identity: object) => createHash('sha256').update(JSON.stringify(identity)).digest('hex').slice(0, 24);
    expect(ARTIFACT_VERSION).toBe(2);
    expect(id).toBe(idOf({ node, v8, platform, header: header.hex, artifacts: ARTIFACT_VERSION }));
    // What layout 1 (every module named by the SHA-256 of all its bytes) had.
    expect(id).not.toBe(idOf({ node, v8, platform, header: header.hex }));
  });

  it('the compatibility hash is the engine fingerprint', async () => {
    const result = await engineFingerprint();
    expect(result.ok).toBe(true);
    expect(await engine.precompileCompatibilityHash()).toBe(result.ok ? result.fingerprint.id : '');
    expect(await engine.precompileCompatibilityHash()).toMatch(/^[0-9a-f]{24}$/);
  });
});

describe("an artifact's CRC-32 checked against the store's", () => {
  const engine = new Engine(Config.default().cacheConfig(CacheConfig.disabled()));

  it('crc32Combine gives the CRC-32 of two byte runs joined, as zlib computes it', () => {
    const data = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 2654435761) >>> 23);
    for (const at of [0, 1, 7, 72, 4096, 65_537, data.length - 1, data.length]) {
      const [a, b] = [data.subarray(0, at), data.subarray(at)];
      expect(crc32Combine(crc32(a), crc32(b), b.length)).toBe(crc32(data));
    }
    const zeros = new Uint8Array(3 << 20);
    expect(crc32Combine(crc32(data), crc32(zeros), zeros.length)).toBe(crc32(Buffer.concat([data, zeros])));
  });

  it('decodeArtifact checks the payload against a given CRC-32 of the whole artifact instead of reading it again, with the same verdict', async () => {
    const artifact = await engine.precompile(bytes);
    expect(decodeArtifact(artifact, { contentCrc32: crc32(artifact) }).payload.byteLength).toBe(artifact.byteLength - ARTIFACT_HEADER_SIZE);
    // A CRC-32 that is not this artifact's is a mismatch, though the payload is intact: the given one is what is checked.
    expect(() => decodeArtifact(artifact, { contentCrc32: crc32(artifact) ^ 1 })).toThrow(expect.objectContaining({ defect: 'checksum-mismatch' }));
    // Code damaged before a store saw it (the store's CRC-32 covers the damaged bytes) is still refused.
    for (const offset of [ARTIFACT_HEADER_SIZE + 20, artifact.length >> 1, artifact.length - 1]) {
      const damaged = artifact.slice();
      damaged[offset] = (damaged[offset] ?? 0) ^ 0x04;
      expect(() => decodeArtifact(damaged, { contentCrc32: crc32(damaged) })).toThrow(expect.objectContaining({ defect: 'checksum-mismatch' }));
    }
  });

  /** The lengths of every CRC-32 computed while `run` runs (the store's and the engine's share the addon's). */
  async function crc32LengthsDuring(run: () => Promise<void>): Promise<number[]> {
    const digests = nativeDigests();
    if (!digests) throw new Error('the addon is not loaded');
    const original = digests.crc32;
    const lengths: number[] = [];
    digests.crc32 = (data) => (lengths.push(data.byteLength), original(data));
    try {
      await run();
    } finally {
      digests.crc32 = original;
    }
    return lengths;
  }

  it("a hit from the cache's own disk store reads the artifact's bytes for a CRC-32 once, not twice; from a store given to it, twice", async () => {
    const directory = tempDir('engine-crc-');
    const config = Config.default().cacheConfig(CacheConfig.default().withDirectory(directory)).withArtifactTier('full');
    const filler = new Engine(config);
    await filler.compile(bytes);
    await filler.idle();
    await filler.close();
    const reader = new Engine(config);
    let module: WebAssembly.Module | undefined;
    const own = await crc32LengthsDuring(async () => {
      module = await reader.compile(bytes);
    });
    expect(reader.stats()).toMatchObject({ hits: 1, corruptArtifacts: 0 });
    expect(run(module as WebAssembly.Module)).toBe(expected);
    const artifactBytes = reader.stats().bytesLoaded;
    expect(artifactBytes).toBeGreaterThan(ARTIFACT_HEADER_SIZE);
    await reader.close();
    expect(own.filter((length) => length >= artifactBytes - ARTIFACT_HEADER_SIZE)).toHaveLength(1);

    const fingerprint = await engineFingerprint();
    if (!fingerprint.ok) throw new Error(fingerprint.reason);
    const store = await DiskStore.open(CacheConfig.default().withDirectory(directory), { namespace: fingerprint.fingerprint.id });
    const given = new Engine(Config.default().withArtifactTier('full'), { cache: new Cache(CacheConfig.default().withDirectory(directory), { store }) });
    const artifact = (await reader.precompile(bytes)) as Uint8Array;
    const key = `${fingerprint.fingerprint.id}.${moduleHash(bytes)}.full`;
    expect((await store.put(key, artifact)).stored).toBe(true);
    const twice = await crc32LengthsDuring(async () => {
      module = await given.compile(bytes);
    });
    expect(given.stats()).toMatchObject({ hits: 1 });
    await store.close();
    expect(twice.filter((length) => length >= artifact.byteLength - ARTIFACT_HEADER_SIZE)).toHaveLength(2);
  });
});

describe('the cache failing or closing under a compile', () => {
  /** The warning codes published while `run` runs. */
  async function warningsDuring(run: () => Promise<void>): Promise<string[]> {
    const warned: string[] = [];
    const onWarning = (message: unknown): void => void warned.push((message as { code: string }).code);
    warningChannel.subscribe(onWarning);
    try {
      await run();
    } finally {
      warningChannel.unsubscribe(onWarning);
    }
    return warned;
  }

  const addsUp = (engine: Engine): void => {
    const s = engine.stats();
    expect(s.compiles).toBe(s.hits + s.misses + s.uncached + s.joined + s.invalid);
  };

  it.each(['full', 'hot'] as const)('close() at any point of a compile that removes an unusable artifact (%s tier): the compile still gets its module, and nothing is called a failure', async (tier) => {
    const directory = tempDir('engine-close-race-');
    const config = Config.default().cacheConfig(CacheConfig.default().withDirectory(directory)).withArtifactTier(tier);
    const maker = new Engine(config);
    const fingerprint = await maker.precompileCompatibilityHash();
    // Another module's intact artifact under this module's key: found, refused (module-mismatch), removed.
    const foreign = await maker.precompile(other);
    await maker.close();
    const side = await DiskStore.open(CacheConfig.default().withDirectory(directory), { namespace: fingerprint });
    const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
    try {
      for (let delay = 0; delay < 10; delay++) {
        expect((await side.put(`${moduleHash(bytes)}.${tier}`, foreign)).stored).toBe(true);
        const engine = new Engine(config);
        let module: WebAssembly.Module | undefined;
        const warned = await warningsDuring(async () => {
          const compiling = engine.compile(bytes);
          for (let i = 0; i < delay; i++) await tick();
          const closing = engine.close();
          module = await compiling;
          await closing;
        });
        // A detached producer this compile started finishes on its own after close(): waited for, so that its artifact
        // cannot land over the next round's foreign one.
        await engine.idle();
        expect(run(module as WebAssembly.Module)).toBe(expected);
        addsUp(engine);
        expect(engine.stats()).toMatchObject({ compiles: 1, misses: 1, producerFailures: 0 });
        expect(warned.filter((code) => code !== 'CACHE_ENGINE_ARTIFACT_DAMAGED')).toEqual([]);
      }
    } finally {
      await side.close();
    }
  });

  it('a store whose delete or has throws: compile still gets its module, isCached answers false and says so once', async () => {
    const fingerprint = await new Engine(Config.default().cacheConfig(CacheConfig.disabled())).precompileCompatibilityHash();
    const store = new MemoryStore({ maxBytes: 64 * 1024 * 1024 });
    const cache = new Cache(CacheConfig.default().withDirectory(tempDir('engine-throwing-store-')), { store });
    const engine = new Engine(Config.default().withArtifactTier('full'), { cache });
    await store.put(`${fingerprint}.${moduleHash(bytes)}.full`, new Uint8Array(500).fill(7));
    store.delete = async () => {
      throw new Error('delete failed');
    };
    store.has = async () => {
      throw new Error('has failed');
    };
    let cached: boolean | undefined;
    const warned = await warningsDuring(async () => {
      expect(run(await engine.compile(bytes))).toBe(expected);
      cached = await engine.isCached(other);
    });
    expect(cached).toBe(false);
    expect(engine.stats()).toMatchObject({ compiles: 1, misses: 1, corruptArtifacts: 1 });
    addsUp(engine);
    expect(warned).toContain('CACHE_ENGINE_STORE_FAILED');
    await engine.idle();
    await cache.close();
    store.close();
  });
});

describe('Engine arguments beyond the bytes', () => {
  /** Imports wasm:js-string's length and exports it as `len`: instantiable without imports only with JS string builtins. */
  const stringLength = new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    0x01, 0x06, 0x01, 0x60, 0x01, 0x6f, 0x01, 0x7f,
    0x02, 0x19, 0x01, 0x0e, ...Buffer.from('wasm:js-string'), 0x06, ...Buffer.from('length'), 0x00, 0x00,
    0x07, 0x07, 0x01, 0x03, ...Buffer.from('len'), 0x00, 0x00,
  ]);
  const outcome = (module: WebAssembly.Module): unknown => {
    try {
      return (new wasm.Instance(module, {}).exports as unknown as { len(s: string): number }).len('abcd');
    } catch (error) {
      return (error as Error).constructor.name;
    }
  };

  it('passes V8 compile options (JS string builtins) to V8 and does not cache that compile, as the hook does', async () => {
    const engine = new Engine(Config.default().cacheConfig(CacheConfig.default().withDirectory(tempDir('engine-builtins-'))));
    const options = { builtins: ['js-string'] };
    const expectedOutcome = outcome(await wasm.compile(stringLength, options));
    expect(outcome(await engine.compile(stringLength, options))).toEqual(expectedOutcome);
    expect(engine.stats()).toMatchObject({ compiles: 1, uncached: 1, misses: 0, hits: 0 });
    await engine.close();
  });

  it('refuses a cache that is not a Cache, and a Cache of something that is not a CacheConfig, with EngineArgumentError', () => {
    for (const cache of [{}, 5, null]) {
      expect(() => new Engine(Config.default(), { cache: cache as unknown as Cache })).toThrow(EngineArgumentError);
    }
    expect(() => new Engine(Config.default(), { cache: {} as Cache })).toThrow(/options\.cache must be a Cache.*got an object \(Object\)/);
    expect(() => new Cache({} as CacheConfig)).toThrow(EngineArgumentError);
    expect(() => new Cache({} as CacheConfig)).toThrow(/new Cache: expected a CacheConfig/);
  });
});
