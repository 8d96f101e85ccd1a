import { type LoadRequest, requireAddon } from './addon.js';
import { AddonUnavailableError, InvalidArgumentError } from './errors.js';
import { keepingAlive } from './keep-alive.js';
import { isUint8Array, v8CompileStreaming } from './wasm-types.js';

/** What {@link deserialize} resolves to. */
export interface DeserializeResult {
  /** The compiled module: V8's cached code, or a fresh compile of the wire bytes. */
  module: WebAssembly.Module;
  /**
   * True when V8 accepted the serialized code's 16-byte header
   * (`SetCompiledModuleBytes` returned true), i.e. the module was loaded from
   * the cache. False when V8 rejected it (other V8 version, CPU features or
   * flags, or empty bytes) and compiled `wireBytes` normally instead.
   */
  acceptedByV8: boolean;
}

/** Options of {@link deserialize}. */
export interface DeserializeOptions {
  /**
   * The URL the module came from, as `WebAssembly.compileStreaming` takes it
   * from a Response: stack traces and the inspector name the module's code by
   * it (`https://host/app.wasm:wasm-function[3]:0x1f`). Without one (or with
   * an empty one) V8 names it `wasm://wasm/<hash>`, as a module compiled from
   * bytes.
   */
  url?: string;
}

/**
 * Hands serialized code back to V8 through the streaming-compile path and
 * resolves to the module.
 *
 * Installs the addon's wasm streaming callback, calls V8's own
 * `WebAssembly.compileStreaming` (as it was when this package was loaded, so a
 * library's wrapper of the global is not in the way) with a request object,
 * and restores Node's own callback right after that synchronous call, so
 * `compileStreaming(response)` elsewhere keeps working. The event loop is kept
 * alive until V8 settles. Both arrays may come from another realm (a `vm` context).
 *
 * **Safety: V8 checks only the header.** Damaged or foreign bytes with a valid
 * header can load broken code or crash the process. Pass only bytes that V8
 * produced (via {@link serialize}) and that the caller has verified (checksum)
 * since; this package does no verification. Do not modify either array until
 * the promise settles.
 *
 * @param serialized bytes from `serialize` (an empty array just compiles `wireBytes`).
 * @param wireBytes the original wasm module bytes those were made from.
 * @param options the module's URL (see {@link DeserializeOptions}).
 * @throws {AddonUnavailableError} the addon cannot be used (see `addonStatus()`).
 * @throws {InvalidArgumentError} an argument is not a Uint8Array, `wireBytes` is empty, or `options.url` is not a string.
 * @throws {WebAssembly.CompileError} (rejection) `wireBytes` is not a valid module.
 */
export async function deserialize(serialized: Uint8Array, wireBytes: Uint8Array, options: DeserializeOptions = {}): Promise<DeserializeResult> {
  const addon = requireAddon();
  if (!isUint8Array(serialized)) throw new InvalidArgumentError('deserialize: serialized must be a Uint8Array');
  if (!isUint8Array(wireBytes) || wireBytes.byteLength === 0) {
    throw new InvalidArgumentError('deserialize: wireBytes must be a non-empty Uint8Array');
  }
  const { url } = options;
  if (url !== undefined && typeof url !== 'string') throw new InvalidArgumentError('deserialize: options.url must be a string');
  // V8's own, captured when this package was loaded: not whatever wraps the global now (see v8CompileStreaming).
  const compileStreaming = v8CompileStreaming;
  if (compileStreaming === undefined) {
    throw new AddonUnavailableError('WebAssembly.compileStreaming does not exist in this runtime');
  }
  const request: LoadRequest = { serialized, wireBytes, ...(url ? { url } : {}) };
  let pending: Promise<WebAssembly.Module>;
  addon.installLoader(request);
  try {
    // V8 binds the streaming callback now and runs it later as a microtask.
    pending = compileStreaming(request);
  } finally {
    addon.restoreNodeStreaming();
  }
  return keepingAlive(async () => {
    const module = await pending;
    return { module, acceptedByV8: request.acceptedByV8 === true };
  });
}
