import { afterAll, describe, expect, it } from 'vitest';
import { CacheConfig, Config, Engine, patchWebAssembly, type WasmNamespace } from '../src/index.js';
import { add32, add64Invalid, constant } from './fixtures/wasm-api-cases.mjs';
import { tempDir } from './helpers.js';

const real = (globalThis as unknown as { WebAssembly: WasmNamespace }).WebAssembly;

/** A copy of the global namespace with its functions routed through `engine`, so that the test patches its own. */
function patched(engine: Pick<Engine, 'compile'>): WasmNamespace {
  const wasm = { ...real };
  patchWebAssembly(engine, wasm);
  return wasm;
}

const k = (module: WebAssembly.Module): unknown => (new real.Instance(module).exports as { k(): number }).k();
const add = (module: WebAssembly.Module): unknown => (new real.Instance(module).exports as { add(a: number, b: number): number }).add(2, 3);

describe('WebAssembly routed through an engine by patchWebAssembly', () => {
  const engines: Engine[] = [];
  const engine = (config: Config): Engine => {
    const created = new Engine(config);
    engines.push(created);
    return created;
  };
  afterAll(() => Promise.all(engines.map((created) => created.close())));

  it('compiles the bytes as they were when compile or instantiate was called, not as the caller reuses its buffer after', async () => {
    const directory = tempDir('engine-patch-copy-');
    const full = Config.default().withArtifactTier('full');
    const filling = engine(full.cacheConfig(CacheConfig.default().withDirectory(directory)));
    await filling.compile(constant(1234));
    await filling.compile(add32);
    await filling.idle();
    const cached = engine(full.cacheConfig(CacheConfig.default().withDirectory(directory)));
    for (const wasm of [patched(engine(Config.default().cacheConfig(CacheConfig.disabled()))), patched(cached)]) {
      const buffer = constant(1234);
      const compiled = wasm.compile(buffer);
      buffer.set(constant(4321));
      expect(k(await compiled)).toBe(1234);
      const asArrayBuffer = constant(1234);
      const fromArrayBuffer = wasm.compile(asArrayBuffer.buffer);
      asArrayBuffer.set(constant(4321));
      expect(k(await fromArrayBuffer)).toBe(1234);
      const again = constant(1234);
      const instantiated = wasm.instantiate(again) as Promise<{ module: WebAssembly.Module }>;
      again.set(constant(4321));
      expect(k((await instantiated).module)).toBe(1234);
      // Reused with invalid bytes of the same length: with the artifact of the bytes it was given, V8
      // must not be handed other bytes (it would make a module of them running the artifact's code).
      const reused = add32.slice();
      const addModule = wasm.compile(reused);
      reused.set(add64Invalid);
      expect(add(await addModule)).toBe(5);
    }
    expect(cached.stats().hits).toBeGreaterThanOrEqual(2);
  });
});
