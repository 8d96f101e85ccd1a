import type { Engine } from '../engine/engine.js';
import { warnOnce, type EngineWarningCode } from '../diagnostics/warn-once.js';
import { copyOfBytes, originalWasm, type WasmBytes, type WasmCompileOptions, type WasmNamespace } from '../wasm/wasm-api.js';

interface ResponseLike {
  arrayBuffer(): Promise<ArrayBuffer>;
  readonly headers: { get(name: string): string | null };
  readonly ok: boolean;
  readonly bodyUsed: boolean;
  readonly url: string;
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
 * Whether Node would read this Response's body for V8 at all: the checks of
 * its own streaming callback (`lib/internal/wasm_web_api.js`), which takes a
 * Content-Type of exactly `application/wasm` (no parameters, no other case), a
 * status in 200-299 and a body not yet read. Any other Response is handed to
 * V8's function, which rejects it with Node's own error.
 */
function isCompilable(response: ResponseLike): boolean {
  return response.headers.get('Content-Type') === 'application/wasm' && response.ok && response.bodyUsed === false;
}

/**
 * The bytes of a streaming source when it is a Response Node would compile
 * (or a promise of one), read into a buffer of our own, and the URL Node would
 * name the module by (the Response's, when it has one); no bytes for
 * anything else, which is then left to V8 (so errors and other callers, such
 * as `@cache/v8`'s own loader, behave exactly as without the cache).
 */
async function wasmResponseBytes(source: unknown): Promise<{ bytes?: Uint8Array; options?: { url?: string }; resolved: unknown }> {
  const resolved = isThenable(source) ? await source : source;
  if (!isResponse(resolved) || !isCompilable(resolved)) return { resolved };
  const bytes = new Uint8Array(await resolved.arrayBuffer());
  return { bytes, options: resolved.url ? { url: resolved.url } : {}, resolved };
}

/** What {@link patchWebAssembly} routes through: an engine, or anything with an engine's `compile`. */
export interface RoutingEngine extends Pick<Engine, 'compile'> {
  /** Whether streaming sources go through `compile` (see `Engine.routesStreaming`); without it, they do. */
  routesStreaming?(): boolean | Promise<boolean>;
}

/**
 * A streaming source as it is passed on once the engine has said whether it
 * takes it: a promise (or thenable) is handled at once, as V8's own function
 * handles it in the call. That answer can take turns of the event loop (the
 * hook loads the cache first); a source rejected meanwhile must not count as
 * unhandled, which ends the process, when the caller handles the call's
 * rejection. It is passed on all the same, so the caller still gets it.
 */
function heldSource(source: unknown): unknown {
  if (!isThenable(source)) return source;
  const held = Promise.resolve(source);
  held.catch(() => undefined);
  return held;
}

/** Whether the engine takes streaming sources (without `routesStreaming`, it does). */
async function takesStreaming(engine: RoutingEngine): Promise<boolean> {
  return engine.routesStreaming === undefined ? true : engine.routesStreaming();
}

/** A Response of these bytes, for V8's streaming functions to compile again (after a failed compile, for their error). */
function wasmResponse(bytes: Uint8Array): unknown {
  const ResponseClass = (globalThis as unknown as { Response: new (body: Uint8Array, init: { headers: Record<string, string> }) => unknown }).Response;
  return new ResponseClass(bytes, { headers: { 'content-type': 'application/wasm' } });
}

/** Whether V8 takes this as an imports argument (undefined or an object); it rejects anything else before compiling. */
function isImportsArgument(imports: unknown): boolean {
  return imports === undefined || (imports !== null && (typeof imports === 'object' || typeof imports === 'function'));
}

/**
 * The warning for a namespace that cannot be routed through the cache. Its
 * code is not in `EngineWarningCode` yet (that list is outside the files this
 * change could touch); it is documented with the others in the README.
 */
const WASM_FROZEN = 'CACHE_ENGINE_WASM_FROZEN' as string as EngineWarningCode;

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
      WASM_FROZEN,
      '@cache/engine/register: WebAssembly is frozen (--frozen-intrinsics, Object.freeze) or its functions cannot be replaced, so they cannot be routed through the cache: WebAssembly works as without the hook, uncached',
    );
    return () => undefined;
  }
  const saved = { ...target };
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
  // the streaming callback at call time, and @cache/v8's loader relies on that.
  if (compileStreaming) {
    target.compileStreaming = standingFor('compileStreaming', saved.compileStreaming, (source: unknown, options?: WasmCompileOptions) => {
      if (options !== undefined || (!isResponse(source) && !isThenable(source))) return compileStreaming(source, options);
      const held = heldSource(source);
      return takesStreaming(engine).then((takes) =>
        !takes
          ? compileStreaming(held)
          : wasmResponseBytes(held).then(({ bytes, options: named, resolved }) =>
              bytes ? engine.compile(bytes, named).catch(() => compileStreaming(wasmResponse(bytes))) : compileStreaming(resolved),
            ),
      );
    });
  }
  if (instantiateStreaming) {
    target.instantiateStreaming = standingFor('instantiateStreaming', saved.instantiateStreaming, (source: unknown, imports?: object, options?: WasmCompileOptions) => {
      if (options !== undefined || !isImportsArgument(imports) || (!isResponse(source) && !isThenable(source))) return instantiateStreaming(source, imports, options);
      const held = heldSource(source);
      return takesStreaming(engine).then(async (takes) => {
        if (!takes) return instantiateStreaming(held, imports);
        const { bytes, options: named, resolved } = await wasmResponseBytes(held);
        if (!bytes) return instantiateStreaming(resolved, imports);
        return engine.compile(bytes, named).then(
          (module) => instantiated(module, imports),
          () => instantiateStreaming(wasmResponse(bytes), imports),
        );
      });
    });
  }
  return () => {
    Object.assign(target, saved);
  };
}
