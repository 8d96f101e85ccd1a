import type { Engine } from '../engine/engine.js';
import { copyOfBytes, isWasmModule, originalWasm, type WasmCompileOptions, type WasmNamespace } from '../wasm/wasm-api.js';

interface ResponseLike {
  arrayBuffer(): Promise<ArrayBuffer>;
  headers: { get(name: string): string | null };
  ok: boolean;
}

/**
 * True for a fetch `Response`. Checked by shape before `instanceof`: the first
 * read of `globalThis.Response` makes Node load its whole fetch implementation
 * (undici, 15-25 ms on Node 20), and every cache hit passes `@cache/v8`'s own
 * request object through `compileStreaming`. Only something shaped like a
 * Response pays for that read (and a real one has already paid for it).
 */
function isResponse(value: unknown): value is ResponseLike {
  if (value === null || typeof value !== 'object') return false;
  if (typeof (value as { arrayBuffer?: unknown }).arrayBuffer !== 'function' || !('headers' in value)) return false;
  const ResponseClass = (globalThis as { Response?: new () => unknown }).Response;
  return ResponseClass !== undefined && value instanceof ResponseClass;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === 'object' && typeof (value as { then?: unknown }).then === 'function';
}

/**
 * The bytes of a streaming source when it is a successful `application/wasm`
 * Response (or a promise of one); undefined for anything else, which is then
 * left to V8 (so errors and other callers, such as `@cache/v8`'s own loader,
 * behave exactly as without the cache).
 */
async function wasmResponseBytes(source: unknown): Promise<{ bytes?: Uint8Array; resolved: unknown }> {
  const resolved = isThenable(source) ? await source : source;
  if (!isResponse(resolved) || !resolved.ok) return { resolved };
  const type = resolved.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/wasm') return { resolved };
  return { bytes: new Uint8Array(await resolved.arrayBuffer()), resolved };
}

/**
 * Routes `WebAssembly.compile`, `WebAssembly.instantiate(bytes)`,
 * `WebAssembly.compileStreaming` and `WebAssembly.instantiateStreaming`
 * through an engine (or anything with an engine's `compile`). Everything else
 * (and every argument the cache does not handle, such as compile options)
 * goes to V8's own functions unchanged. Bytes are copied when the call is made, as V8 copies them, so
 * the engine is given a private copy it may read later. Returns a function
 * that puts the originals back.
 */
export function patchWebAssembly(engine: Pick<Engine, 'compile'>, target: WasmNamespace = (globalThis as unknown as { WebAssembly: WasmNamespace }).WebAssembly): () => void {
  const saved = { ...target };
  // The bytes are copied in the call, before anything asynchronous, as V8 does: the engine reads them
  // later (after loading the cache, reading the store), when the caller may have reused its buffer.
  // Compile options (JS string builtins) change what is compiled and the cache does not key on them:
  // a call given any goes to V8 unchanged, uncached.
  target.compile = (bytes, options) => {
    if (options !== undefined) return originalWasm.compile(bytes, options);
    const copy = copyOfBytes(bytes);
    return copy ? engine.compile(copy) : originalWasm.compile(bytes);
  };
  target.instantiate = (async (source: unknown, imports?: object, options?: WasmCompileOptions) => {
    if (options !== undefined) return originalWasm.instantiate(source as Uint8Array, imports, options);
    if (isWasmModule(source)) return originalWasm.instantiate(source, imports);
    const bytes = copyOfBytes(source);
    if (!bytes) return originalWasm.instantiate(source as unknown as Uint8Array, imports);
    const module = await engine.compile(bytes);
    return { module, instance: await originalWasm.instantiate(module, imports) };
  }) as WasmNamespace['instantiate'];
  // Sources that are not a Response (or a promise) go to V8 synchronously, in the same call: V8 binds
  // the streaming callback at call time, and @cache/v8's loader relies on that.
  if (originalWasm.compileStreaming) {
    const compileStreaming = originalWasm.compileStreaming;
    target.compileStreaming = (source: unknown, options?: WasmCompileOptions) => {
      if (options !== undefined) return compileStreaming(source, options);
      if (!isResponse(source) && !isThenable(source)) return compileStreaming(source);
      return wasmResponseBytes(source).then(({ bytes, resolved }) => (bytes ? engine.compile(bytes) : compileStreaming(resolved)));
    };
  }
  if (originalWasm.instantiateStreaming) {
    const instantiateStreaming = originalWasm.instantiateStreaming;
    target.instantiateStreaming = (source: unknown, imports?: object, options?: WasmCompileOptions) => {
      if (options !== undefined) return instantiateStreaming(source, imports, options);
      if (!isResponse(source) && !isThenable(source)) return instantiateStreaming(source, imports);
      return wasmResponseBytes(source).then(async ({ bytes, resolved }) => {
        if (!bytes) return instantiateStreaming(resolved, imports);
        const module = await engine.compile(bytes);
        return { module, instance: await originalWasm.instantiate(module, imports) };
      });
    };
  }
  return () => {
    Object.assign(target, saved);
  };
}
