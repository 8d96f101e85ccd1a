import type { Engine } from '../engine/engine.js';
import { warnOnce } from '../diagnostics/warn-once.js';
import { captureNodeFetch, heldSource, readStreamingSource, streamingSourceKind, type StreamingRead } from './streaming-source.js';
import { copyOfBytes, originalWasm, type WasmBytes, type WasmCompileOptions, type WasmNamespace } from '../wasm/wasm-api.js';

/** What {@link patchWebAssembly} routes through: an engine, or anything with an engine's `compile`. */
export interface RoutingEngine extends Pick<Engine, 'compile'> {
  /** Whether streaming sources go through `compile` (see `Engine.routesStreaming`); without it, they do. */
  routesStreaming?(): boolean | Promise<boolean>;
}

/** Whether the engine takes streaming sources (without `routesStreaming`, it does); an engine that cannot say does not. */
async function takesStreaming(engine: RoutingEngine): Promise<boolean> {
  try {
    return engine.routesStreaming === undefined ? true : await engine.routesStreaming();
  } catch {
    return false;
  }
}

/** A streaming source read for the engine (see `readStreamingSource`), or for V8 when the engine does not take streaming sources. */
async function readForEngine(engine: RoutingEngine, held: unknown, kind: 'response' | 'thenable'): Promise<StreamingRead> {
  return (await takesStreaming(engine)) ? readStreamingSource(held, kind) : { forV8: held };
}

/** Whether V8 takes this as an imports argument (undefined or an object); it rejects anything else before compiling. */
function isImportsArgument(imports: unknown): boolean {
  return imports === undefined || (imports !== null && (typeof imports === 'object' || typeof imports === 'function'));
}

/**
 * Whether assigning `target[key]` replaces it: false for a frozen namespace
 * (`--frozen-intrinsics`, `Object.freeze(WebAssembly)`), a read-only or
 * setter-less property, or a missing one on a non-extensible object. Checked
 * for every function before any is replaced: a namespace half routed would
 * be worse than one left alone, and a failed assignment throws in strict mode.
 */
function replaceable(target: object, key: string): boolean {
  const descriptor = Object.getOwnPropertyDescriptor(target, key);
  if (descriptor === undefined) return Object.isExtensible(target);
  return 'value' in descriptor ? descriptor.writable === true : descriptor.set !== undefined;
}

/** `wrapper`, named and sized as the function it stands in for (`WebAssembly.compile.name` is `'compile'`, its length 1). */
function standingFor<Wrapper extends object>(name: string, replaced: { readonly length: number } | undefined, wrapper: Wrapper): Wrapper {
  Object.defineProperty(wrapper, 'name', { value: name });
  Object.defineProperty(wrapper, 'length', { value: replaced?.length ?? 1 });
  return wrapper;
}

/**
 * Routes `WebAssembly.compile`, `WebAssembly.instantiate(bytes)`,
 * `WebAssembly.compileStreaming` and `WebAssembly.instantiateStreaming`
 * through an engine (or anything with an engine's `compile`). Everything else
 * (and every argument the cache does not handle, such as compile options, a
 * DataView or a detached buffer) goes to V8's own functions unchanged, in the
 * same call. Bytes are copied when the call is made, as V8 copies them, so
 * the engine is given a private copy it may read later. A compile that fails
 * through the engine is made again by the matching V8 function, so that the
 * caller gets that function's own error. A Response's URL is passed on
 * (`compile(bytes, { url })`), so stack frames name the module by it as V8's
 * own streaming functions do; when the engine's `routesStreaming` says no
 * (the native addon cannot be used), streaming calls go to V8 untouched. The functions keep their names and lengths.
 * Where there is no WebAssembly (`node --jitless`) nothing is done; where
 * its functions cannot be replaced (a frozen namespace) nothing is done
 * either, and that is said once (warning `CACHE_ENGINE_WASM_FROZEN`).
 * Returns a function that puts the originals back.
 */
export function patchWebAssembly(engine: RoutingEngine, target: WasmNamespace | undefined = (globalThis as { WebAssembly?: WasmNamespace }).WebAssembly): () => void {
  // No WebAssembly at all (node --jitless, --no-expose-wasm): nothing can compile, so nothing to cache
  // or to say; an application that never uses wasm runs there and must not be told about it each time.
  if (target === undefined) return () => undefined;
  const { compile, instantiate, compileStreaming, instantiateStreaming } = originalWasm;
  const replaced = ['compile', 'instantiate', ...(compileStreaming ? ['compileStreaming'] : []), ...(instantiateStreaming ? ['instantiateStreaming'] : [])];
  if (!replaced.every((key) => replaceable(target, key))) {
    // Caching was asked for (the hook is loaded) and cannot happen: said, and WebAssembly left exactly as it is.
    warnOnce(
      'CACHE_ENGINE_WASM_FROZEN',
      '@cache/engine/register: WebAssembly is frozen (--frozen-intrinsics, Object.freeze) or its functions cannot be replaced, so they cannot be routed through the cache: WebAssembly works as without the hook, uncached',
    );
    return () => undefined;
  }
  const saved = { ...target };
  captureNodeFetch();
  const instantiated = (module: WebAssembly.Module, imports: object | undefined) => instantiate(module, imports).then((instance) => ({ module, instance }));
  // Compile options (JS string builtins) change what is compiled and the cache does not key on them:
  // a call given any goes to V8 unchanged, uncached.
  target.compile = standingFor('compile', saved.compile, (bytes: WasmBytes, options?: WasmCompileOptions) => {
    // The bytes are copied in the call, before anything asynchronous, as V8 does: the engine reads them
    // later (after loading the cache, reading the store), when the caller may have reused its buffer.
    const copy = options === undefined ? copyOfBytes(bytes) : undefined;
    if (!copy) return compile(bytes, options);
    return engine.compile(copy).catch(() => compile(copy));
  });
  target.instantiate = standingFor('instantiate', saved.instantiate, (source: WasmBytes | WebAssembly.Module, imports?: object, options?: WasmCompileOptions) => {
    const bytes = options === undefined && isImportsArgument(imports) ? copyOfBytes(source) : undefined;
    if (!bytes) return instantiate(source, imports, options);
    return engine.compile(bytes).then(
      (module) => instantiated(module, imports),
      () => instantiate(bytes, imports),
    );
  });
  // Sources that are not a Response (or a promise) go to V8 synchronously, in the same call: V8 binds
  // the streaming callback at call time, and @cache/v8's loader relies on that. So does a source that
  // cannot be told apart without running the application's code (a `then` getter, a Proxy). Nothing
  // here throws: V8's functions reject, and so do these.
  if (compileStreaming) {
    target.compileStreaming = standingFor('compileStreaming', saved.compileStreaming, (source: unknown, options?: WasmCompileOptions) => {
      const kind = options === undefined ? streamingSourceKind(source) : 'other';
      if (kind === 'other') return compileStreaming(source, options);
      return readForEngine(engine, heldSource(source, kind), kind).then((read) =>
        'forV8' in read ? compileStreaming(read.forV8) : engine.compile(read.bytes, read.url === undefined ? {} : { url: read.url }).catch(() => compileStreaming(read.replay())),
      );
    });
  }
  if (instantiateStreaming) {
    target.instantiateStreaming = standingFor('instantiateStreaming', saved.instantiateStreaming, (source: unknown, imports?: object, options?: WasmCompileOptions) => {
      const kind = options === undefined && isImportsArgument(imports) ? streamingSourceKind(source) : 'other';
      if (kind === 'other') return instantiateStreaming(source, imports, options);
      return readForEngine(engine, heldSource(source, kind), kind).then((read) =>
        'forV8' in read
          ? instantiateStreaming(read.forV8, imports)
          : engine.compile(read.bytes, read.url === undefined ? {} : { url: read.url }).then(
              (module) => instantiated(module, imports),
              () => instantiateStreaming(read.replay(), imports),
            ),
      );
    });
  }
  return () => {
    Object.assign(target, saved);
  };
}
