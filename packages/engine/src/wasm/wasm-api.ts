import type {} from '@cache/v8';

/** Bytes a WebAssembly module can be compiled from. */
export type WasmBytes = Uint8Array | ArrayBuffer;

/** An instantiated module, as far as this package needs to know it. */
export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

/**
 * The options `WebAssembly.compile` and its kin take after the bytes (Node 24:
 * `builtins`, `importedStringConstants` for JS string builtins). The cache
 * does not compile with options: calls given any go to V8 unchanged.
 */
export type WasmCompileOptions = object;

/** The parts of the global `WebAssembly` namespace this package uses. */
export interface WasmNamespace {
  Module: new (bytes: WasmBytes, options?: WasmCompileOptions) => WebAssembly.Module;
  Instance: new (module: WebAssembly.Module, imports?: object) => WasmInstance;
  CompileError: new (message?: string) => Error;
  compile(bytes: WasmBytes, options?: WasmCompileOptions): Promise<WebAssembly.Module>;
  instantiate(source: WasmBytes | WebAssembly.Module, imports?: object, options?: WasmCompileOptions): Promise<unknown>;
  validate(bytes: WasmBytes, options?: WasmCompileOptions): boolean;
  compileStreaming?: (source: unknown, options?: WasmCompileOptions) => Promise<WebAssembly.Module>;
  instantiateStreaming?: (source: unknown, imports?: object, options?: WasmCompileOptions) => Promise<unknown>;
}

/**
 * What `WebAssembly`'s functions come to in a runtime without it
 * (`node --jitless`, `--no-expose-wasm`): each throws the error a call of
 * the missing global would (`ReferenceError: WebAssembly is not defined`), so
 * that importing this package still works there and a compile rejects as
 * `WebAssembly.compile` itself would have failed.
 */
function missingWasm(): WasmNamespace {
  const missing = (): never => {
    throw new ReferenceError('WebAssembly is not defined');
  };
  // Constructors too: `new originalWasm.Module(bytes)` throws the same error, `instanceof` is false.
  const MissingClass = function WebAssembly(): never {
    return missing();
  } as unknown as WasmNamespace['Module'] & WasmNamespace['Instance'] & WasmNamespace['CompileError'];
  return { Module: MissingClass, Instance: MissingClass, CompileError: MissingClass, compile: missing, instantiate: missing, validate: missing };
}

/**
 * Where the first copy of this module to run keeps what it captured. The
 * `--import` hook's bundle runs first and routes the globals through the cache
 * before the package's main entry is loaded (lazily, at the first WebAssembly
 * call); the main entry (ESM or CommonJS) must still get V8's own functions,
 * not the hook's.
 */
const ORIGINALS_KEY = Symbol.for('@cache/engine: WebAssembly before the hook');

/**
 * `WebAssembly`'s own functions as they were before `@cache/engine/register`
 * routed the globals through the cache (captured by the first copy of this
 * module to be evaluated). The engine always compiles with these, so it never
 * calls itself. In a runtime without WebAssembly, functions that throw what
 * the missing global would (see `missingWasm`).
 */
export const originalWasm: Readonly<WasmNamespace> = ((globalThis as { [ORIGINALS_KEY]?: Readonly<WasmNamespace> })[ORIGINALS_KEY] ??= (() => {
  const wasm = (globalThis as { WebAssembly?: WasmNamespace }).WebAssembly;
  if (!wasm) return Object.freeze(missingWasm());
  return Object.freeze({
    Module: wasm.Module,
    Instance: wasm.Instance,
    CompileError: wasm.CompileError,
    compile: wasm.compile.bind(wasm),
    instantiate: wasm.instantiate.bind(wasm),
    validate: wasm.validate.bind(wasm),
    ...(wasm.compileStreaming ? { compileStreaming: wasm.compileStreaming.bind(wasm) } : {}),
    ...(wasm.instantiateStreaming ? { instantiateStreaming: wasm.instantiateStreaming.bind(wasm) } : {}),
  });
})());

/** A getter of `%TypedArray%.prototype` (the prototype of every typed array's prototype), to call on a typed array whatever it overrides. */
const typedArrayGetter = <Value>(key: PropertyKey): ((this: unknown) => Value) =>
  Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype) as object, key)?.get as (this: unknown) => Value;
/** A typed array's type name (of any realm); undefined for anything else, a DataView included. */
const typedArrayTag = typedArrayGetter<string | undefined>(Symbol.toStringTag);
const typedArrayBuffer = typedArrayGetter<ArrayBufferLike>('buffer');
const typedArrayByteOffset = typedArrayGetter<number>('byteOffset');
const typedArrayByteLength = typedArrayGetter<number>('byteLength');

/** `ArrayBuffer.prototype.byteLength`'s getter: throws for anything but an ArrayBuffer (of any realm; not a SharedArrayBuffer). */
const arrayBufferByteLength = Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, 'byteLength')?.get as (this: unknown) => number;

/**
 * A view of the bytes `WebAssembly.compile` takes (no copy): an ArrayBuffer
 * or a typed array, of any realm; undefined for anything V8 rejects with a
 * TypeError (a DataView, a SharedArrayBuffer, anything else). A detached
 * buffer, or a view of one, gives an empty view: V8 takes it as no bytes (a
 * CompileError). Reads only the arguments' internal slots, never a property
 * or a Proxy trap of theirs.
 */
export function asUint8Array(bytes: unknown): Uint8Array | undefined {
  const tag = typedArrayTag.call(bytes);
  if (tag !== undefined) {
    const byteLength = typedArrayByteLength.call(bytes);
    // A view of a detached buffer has no bytes, and no new view of its buffer can be made.
    if (byteLength === 0) return new Uint8Array(0);
    // This realm's Uint8Array over the same memory: code that checks `instanceof Uint8Array` (the
    // addon's wrapper, the artifact decoder) takes one of another realm (a vm context) too.
    return bytes instanceof Uint8Array ? bytes : new Uint8Array(typedArrayBuffer.call(bytes), typedArrayByteOffset.call(bytes), byteLength);
  }
  let byteLength: number;
  try {
    byteLength = arrayBufferByteLength.call(bytes);
  } catch {
    return undefined;
  }
  return byteLength === 0 ? new Uint8Array(0) : new Uint8Array(bytes as ArrayBuffer);
}

/**
 * A copy of module bytes, taken now, as `WebAssembly.compile` and
 * `WebAssembly.instantiate` take their argument's bytes when they are called:
 * bytes the caller changes afterwards (a reused buffer) must not change what
 * is compiled, nor what the cache looks up and what V8 is handed with it.
 * Undefined for what {@link asUint8Array} does not take, and for no bytes at
 * all (nothing to cache).
 */
export function copyOfBytes(bytes: unknown): Uint8Array | undefined {
  const view = asUint8Array(bytes);
  if (!view || view.byteLength === 0) return undefined;
  return new Uint8Array(view);
}

/**
 * A copy, in this realm, of a Uint8Array of any realm; undefined for
 * anything else. Bytes that passed through code other than this package's
 * (a store given by the application) are copied before they are checked:
 * that code, or another thread when they are shared memory, could change
 * them after the check and before V8 reads them, and V8 runs whatever
 * serialized code it is handed.
 */
export function privateCopyOf(value: unknown): Uint8Array | undefined {
  return typedArrayTag.call(value) === 'Uint8Array' ? new Uint8Array(value as Uint8Array) : undefined;
}

/** Whether a view's memory is a SharedArrayBuffer (by its tag: one of another realm, a vm context, is shared too), which another thread may change at any moment. */
export function isSharedMemory(view: Uint8Array): boolean {
  return Object.prototype.toString.call(view.buffer) === '[object SharedArrayBuffer]';
}

/** `ArrayBuffer.isView`, as it was when this module was loaded: true for a typed array or a DataView, of any realm. */
const isView = ArrayBuffer.isView;
const dataViewGetter = <Value>(key: PropertyKey): ((this: unknown) => Value) => Object.getOwnPropertyDescriptor(DataView.prototype, key)?.get as (this: unknown) => Value;
const dataViewBuffer = dataViewGetter<ArrayBufferLike>('buffer');
const dataViewByteOffset = dataViewGetter<number>('byteOffset');
const dataViewByteLength = dataViewGetter<number>('byteLength');

/** The bytes a DataView (of any realm) views, not copied; none for one whose buffer was detached, as V8 gives Node none. */
function dataViewBytes(view: unknown): Uint8Array {
  let byteLength: number;
  try {
    byteLength = dataViewByteLength.call(view);
  } catch {
    return new Uint8Array(0); // its buffer detached
  }
  return byteLength === 0 ? new Uint8Array(0) : new Uint8Array(dataViewBuffer.call(view), dataViewByteOffset.call(view), byteLength);
}

/**
 * A copy of the bytes of a chunk of a streamed body, taken as Node's
 * streaming callback takes a chunk (its `push`, in C++): what
 * {@link asUint8Array} takes (an ArrayBuffer or a typed array, of any realm,
 * over any buffer, a SharedArrayBuffer too), and a DataView as well, a
 * detached one being no bytes. Undefined for anything else (a string, a
 * SharedArrayBuffer itself), which Node refuses. Reads only internal slots,
 * never a property of the chunk's (nor a typed array's species: the copy is
 * made by the constructor).
 */
export function copyOfChunk(chunk: unknown): Uint8Array | undefined {
  const view = isView(chunk) && typedArrayTag.call(chunk) === undefined ? dataViewBytes(chunk) : asUint8Array(chunk);
  return view === undefined ? undefined : new Uint8Array(view);
}
