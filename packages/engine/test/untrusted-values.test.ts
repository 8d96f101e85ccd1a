import vm from 'node:vm';
import { MemoryStore, zeroCounters, type Store } from '@cache/store';
import { afterAll, describe, expect, it } from 'vitest';
import { Cache, CacheConfig, Config, Engine, moduleHash, type WasmNamespace } from '../src/index.js';
import { tempDir } from './helpers.js';

/** `(module (func (export "f") (result i32) i32.const value))`: a distinct module per value (V8 reuses a live module's code for the same bytes). */
function constantModule(value: number): Uint8Array {
  const leb: number[] = [];
  for (let rest = value | 0; ; ) {
    const byte = rest & 0x7f;
    rest >>= 7;
    if ((rest === 0 && !(byte & 0x40)) || (rest === -1 && byte & 0x40)) {
      leb.push(byte);
      break;
    }
    leb.push(byte | 0x80);
  }
  const body = [0x00, 0x41, ...leb, 0x0b];
  const code = [0x01, body.length, ...body];
  return new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 5, 1, 0x60, 0, 1, 0x7f, 3, 2, 1, 0, 7, 5, 1, 1, 0x66, 0, 0, 10, code.length, ...code]);
}

const wasm = (globalThis as unknown as { WebAssembly: WasmNamespace }).WebAssembly;

function call(module: WebAssembly.Module): number {
  const instance = new wasm.Instance(module, {}) as unknown as { exports: { f(): number } };
  return instance.exports.f();
}

const engines: Engine[] = [];
afterAll(async () => {
  await Promise.all(engines.map((engine) => engine.close()));
});

/** An engine over a store given in code, full tier (so a hit is the artifact as stored). */
function engineOver(store: Store): Engine {
  const config = Config.default().withArtifactTier('full');
  const engine = new Engine(config, { cache: new Cache(config.cache.withDirectory(tempDir('engine-untrusted-')), { store }) });
  engines.push(engine);
  return engine;
}

/** A module's portable artifact, its store key for `engineOver`, and where its constant is in the artifact's code. */
async function artifactOf(bytes: Uint8Array, value: number): Promise<{ artifact: Uint8Array; key: string; constantAt: number }> {
  const producer = new Engine(Config.default().withArtifactTier('full'), { cache: new Cache(CacheConfig.default().withDirectory(tempDir('engine-untrusted-p-')), { backend: 'memory' }) });
  engines.push(producer);
  const artifact = await producer.precompile(bytes);
  const key = `${await producer.precompileCompatibilityHash()}.${moduleHash(bytes)}.full`;
  const constant = new Uint8Array(new Uint32Array([value]).buffer);
  const constantAt = Buffer.from(artifact).indexOf(Buffer.from(constant));
  return { artifact, key, constantAt };
}

/** A store given in code holding one artifact, whose `get` returns a fresh view and then lets `after` change it. */
function storeReturning(key: string, artifact: Uint8Array, after: (value: Uint8Array) => void, wrap: (value: Uint8Array) => Uint8Array = (value) => value): Store {
  const inner = new MemoryStore();
  return {
    kind: 'given',
    capabilities: inner.capabilities,
    async get(asked) {
      if (asked !== key) return undefined;
      const value = wrap(new Uint8Array(artifact));
      after(value);
      return value;
    },
    put: (k, v) => inner.put(k, v),
    delete: () => Promise.resolve(true),
    has: (asked) => Promise.resolve(asked === key),
    keys: () => inner.keys(),
    stats: () => zeroCounters(),
    close: () => inner.close(),
  };
}

/** Runs `change` `ticks` microtasks from now. */
function inMicrotasks(ticks: number, change: () => void): void {
  let chain = Promise.resolve();
  for (let i = 0; i < ticks; i++) chain = chain.then(() => undefined);
  void chain.then(change);
}

describe('bytes that pass through code other than the cache’s own are checked and loaded as a private copy', () => {
  it('a given store that changes the value it returned, at any moment after get() resolves, never gets changed code loaded', async () => {
    const outcomes: string[] = [];
    for (let ticks = 0; ticks < 14; ticks++) {
      const value = 0x12345678 + ticks * 0x100;
      const bytes = constantModule(value);
      const { artifact, key, constantAt } = await artifactOf(bytes, value);
      expect(constantAt, 'the constant is in the serialized code').toBeGreaterThan(0);
      // The store flips one bit of the constant in the very value it returned, `ticks` microtasks later:
      // before the copy, V8 was handed that memory after it was checked (ticks 6-9 loaded changed code).
      const engine = engineOver(storeReturning(key, artifact, (returned) => inMicrotasks(ticks, () => (returned[constantAt]! ^= 1))));
      const module = await engine.compile(bytes);
      expect(call(module), `ticks ${ticks}`).toBe(value);
      // Changed before the engine had it: refused as damaged (and compiled); changed after: a hit on the copy.
      const { hits, corruptArtifacts } = engine.stats();
      outcomes.push(hits === 1 && corruptArtifacts === 0 ? 'hit' : hits === 0 && corruptArtifacts === 1 ? 'refused' : `hits ${hits}, corrupt ${corruptArtifacts}`);
    }
    expect(outcomes[0]).toBe('refused');
    expect(outcomes.at(-1)).toBe('hit');
    expect(outcomes.every((outcome) => outcome === 'hit' || outcome === 'refused'), outcomes.join(', ')).toBe(true);
  }, 120_000);

  it('deserialize checks and loads a copy of the artifact: changing it after the call changes nothing', async () => {
    for (let ticks = 0; ticks < 14; ticks++) {
      const value = 0x23456789 + ticks * 0x100;
      const bytes = constantModule(value);
      const { artifact, constantAt } = await artifactOf(bytes, value);
      expect(constantAt).toBeGreaterThan(0);
      const engine = engineOver(new MemoryStore());
      const loading = engine.deserialize(artifact, bytes);
      inMicrotasks(ticks, () => (artifact[constantAt]! ^= 1));
      expect(call(await loading), `ticks ${ticks}`).toBe(value);
    }
  }, 120_000);

  it('Uint8Arrays of another realm (a vm context), as store values and as module bytes, load as this realm’s do', async () => {
    const OtherUint8Array = vm.runInNewContext('Uint8Array') as Uint8ArrayConstructor;
    const value = 0x0badf00d;
    const bytes = constantModule(value);
    const { artifact, key } = await artifactOf(bytes, value);
    // A store value of another realm: a hit, not a damaged artifact removed.
    const fromOtherRealm = engineOver(storeReturning(key, artifact, () => undefined, (returned) => new OtherUint8Array(returned)));
    expect(call(await fromOtherRealm.compile(bytes))).toBe(value);
    expect(fromOtherRealm.stats()).toMatchObject({ hits: 1, misses: 0, corruptArtifacts: 0 });
    // Module bytes of another realm: a hit, a miss with a URL, and deserialize, as WebAssembly.compile takes them.
    const store = new MemoryStore();
    await store.put(key, artifact);
    const engine = engineOver(store);
    expect(call(await engine.compile(new OtherUint8Array(bytes)))).toBe(value);
    expect(call(await engine.compile(new OtherUint8Array(constantModule(0x600d)), { url: 'https://example.com/app.wasm' }))).toBe(0x600d);
    expect(call(await engine.deserialize(new OtherUint8Array(artifact), new OtherUint8Array(bytes)))).toBe(value);
    expect(engine.stats()).toMatchObject({ hits: 1, misses: 1, invalid: 0 });
  }, 60_000);
});
