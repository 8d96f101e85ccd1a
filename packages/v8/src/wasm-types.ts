/**
 * The few WebAssembly JS API types this package needs. The workspace compiles
 * without the DOM lib and `@types/node` 20 does not declare `WebAssembly`, so
 * the global `WebAssembly.Module` is declared here as an empty interface: it
 * merges with the DOM lib's identical declaration when a consumer has one.
 */
declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace WebAssembly {
    /** A compiled WebAssembly module (`WebAssembly.Module`). */
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type
    interface Module {}
  }
}

/** The parts of the runtime's `WebAssembly` object this package calls. */
export interface WasmApi {
  Module: (new (bytes: Uint8Array) => WebAssembly.Module) & {
    /** `WebAssembly.Module.exports`: throws a TypeError for anything but a module (of any realm). */
    exports?(module: WebAssembly.Module): unknown;
  };
  Instance: new (module: WebAssembly.Module, imports?: object) => { exports: Record<string, unknown> };
  compile(bytes: Uint8Array): Promise<WebAssembly.Module>;
  compileStreaming?: (source: unknown) => Promise<WebAssembly.Module>;
}

/** The runtime's `WebAssembly` object, or undefined where there is none. */
export function wasmApi(): WasmApi | undefined {
  return (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
}

/**
 * True when `value` is a `WebAssembly.Module` of any realm (a `vm` context's
 * too, which V8 serializes alike): `instanceof` for this realm's, else
 * `WebAssembly.Module.exports`, which takes a module of any realm and throws
 * for anything else without running any of its code.
 */
export function isWasmModule(value: unknown): value is WebAssembly.Module {
  const api = wasmApi();
  if (api === undefined || typeof value !== 'object' || value === null) return false;
  if (value instanceof api.Module) return true;
  const exportsOf = api.Module.exports;
  if (exportsOf === undefined) return false;
  try {
    exportsOf(value as WebAssembly.Module);
    return true;
  } catch {
    return false;
  }
}

/** `%TypedArray%.prototype[Symbol.toStringTag]`'s getter: a typed array's type name, of any realm; undefined for anything else. */
const typedArrayTag = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype) as object, Symbol.toStringTag)?.get as (
  this: unknown,
) => string | undefined;

/**
 * True when `value` is a Uint8Array of any realm (a `vm` context's too, as
 * `WebAssembly.compile` and the addon take): read from its internal slot, not
 * from `instanceof` or a property of its own. A Buffer is one.
 */
export function isUint8Array(value: unknown): value is Uint8Array {
  return typedArrayTag.call(value) === 'Uint8Array';
}

/** The signature of `WebAssembly.compileStreaming` as this package calls it. */
export type CompileStreaming = (source: unknown) => Promise<WebAssembly.Module>;

/**
 * Where `@cache/engine` keeps `WebAssembly`'s own functions, captured by the
 * first copy of its `wasm-api` module, before its `--import` hook
 * (`@cache/engine/register`) replaces the globals with functions that route
 * through the cache: the hook loads this package later, at the first
 * WebAssembly call, when `WebAssembly.compileStreaming` is the hook's.
 */
const ENGINE_ORIGINALS_KEY = Symbol.for('@cache/engine: WebAssembly before the hook');
/** Where the first copy of this package to load (ESM or CommonJS) keeps what it captured, for every later copy. */
const COMPILE_STREAMING_KEY = Symbol.for('@cache/v8: WebAssembly.compileStreaming');

type Holder = { [key: symbol]: unknown; WebAssembly?: WasmApi };

function capturedCompileStreaming(): CompileStreaming | undefined {
  const holder = globalThis as Holder;
  const held = holder[COMPILE_STREAMING_KEY];
  if (typeof held === 'function') return held as CompileStreaming;
  const engineOriginals = holder[ENGINE_ORIGINALS_KEY] as { compileStreaming?: unknown } | undefined;
  const api = holder.WebAssembly;
  const found =
    typeof engineOriginals?.compileStreaming === 'function'
      ? (engineOriginals.compileStreaming as CompileStreaming)
      : api?.compileStreaming?.bind(api);
  if (found !== undefined) holder[COMPILE_STREAMING_KEY] = found;
  return found;
}

/**
 * V8's own `WebAssembly.compileStreaming`, as it was when this package was
 * first loaded in the process (or before `@cache/engine`'s hook replaced it);
 * undefined where there is none. `deserialize` calls this one, never what the
 * global is at the time: V8 binds the streaming callback when it is called, so
 * a wrapper that calls the original later (after an `await`) would hand the
 * request to Node's callback, restored by then.
 */
export const v8CompileStreaming: CompileStreaming | undefined = capturedCompileStreaming();
