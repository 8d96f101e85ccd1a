import { afterAll, describe, expect, it } from 'vitest';
import { CacheConfig, Config, Engine, patchWebAssembly, type WasmNamespace } from '../src/index.js';
import { add32, add64Invalid, constant, jsStringBuiltins, jsStringLength } from './fixtures/wasm-api-cases.mjs';
import { tempDir } from './helpers.js';

const real = (globalThis as unknown as { WebAssembly: WasmNamespace }).WebAssembly;

/** A copy of the global namespace with its functions routed through `engine`, so that the test patches its own. */
function patched(engine: Pick<Engine, 'compile'>): WasmNamespace {
  const wasm = { ...real };
  patchWebAssembly(engine, wasm);
  return wasm;
}

/** How a call went: thrown in the call, or how the promise it returned settled (and with what, as `see` puts it). */
async function outcome(call: () => unknown, see: (value: unknown) => unknown = (value) => value): Promise<string> {
  let returned: unknown;
  try {
    returned = call();
  } catch (error) {
    return `threw ${String(error)}`;
  }
  if (!(returned instanceof Promise)) return `returned ${String(returned)}`;
  try {
    return `resolved ${String(see(await returned))}`;
  } catch (error) {
    return `rejected ${String(error)}`;
  }
}

/** An engine that only counts the calls routed to it, and compiles them as V8 would. */
function countingEngine(): Pick<Engine, 'compile'> & { calls: number } {
  const counting = {
    calls: 0,
    compile: (bytes: Uint8Array | ArrayBuffer): Promise<WebAssembly.Module> => {
      counting.calls += 1;
      return real.compile(bytes);
    },
  };
  return counting;
}

const nodeMajor = Number(process.versions.node.split('.')[0]);
const wasmResponse = (bytes: Uint8Array<ArrayBuffer>): Response => new Response(bytes, { headers: { 'content-type': 'application/wasm' } });

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

  it('hands calls given compile options to V8 unchanged, uncached (JS string builtins: Node 24)', async () => {
    const engine = countingEngine();
    const wasm = patched(engine);
    const len = (instance: unknown): unknown => (instance as { exports: { len(text: string): number } }).exports.len('hello');
    const viaModule = (module: unknown): unknown => len(new real.Instance(module as WebAssembly.Module, {}));
    const viaResult = (result: unknown): unknown => len((result as { instance: unknown }).instance);
    const calls: [string, (namespace: WasmNamespace) => unknown, (value: unknown) => unknown][] = [
      ['compile', (namespace) => namespace.compile(jsStringLength, jsStringBuiltins), viaModule],
      ['instantiate', (namespace) => namespace.instantiate(jsStringLength, {}, jsStringBuiltins), viaResult],
      ['compileStreaming', (namespace) => namespace.compileStreaming?.(wasmResponse(jsStringLength), jsStringBuiltins), viaModule],
      ['instantiateStreaming', (namespace) => namespace.instantiateStreaming?.(wasmResponse(jsStringLength), {}, jsStringBuiltins), viaResult],
    ];
    for (const [name, call, see] of calls) {
      const plain = await outcome(() => call(real), see);
      // Node 24 has the builtin: the module's len is the string's length. Before, the import is left unresolved.
      if (nodeMajor >= 24) expect(plain, name).toBe('resolved 5');
      expect(await outcome(() => call(wasm), see), name).toBe(plain);
    }
    expect(engine.calls).toBe(0);
  });
});
