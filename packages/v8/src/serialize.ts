import { requireAddon } from './addon.js';
import { InvalidArgumentError } from './errors.js';
import { isWasmModule } from './wasm-types.js';

/**
 * Serializes V8's compiled code of `module`
 * (`WasmModuleObject::GetCompiledModule().Serialize()`).
 *
 * V8 serializes TurboFan code only: after a default (lazy, Liftoff) compile the
 * result is empty until functions tier up. Use {@link compileOptimized} in a
 * process of its own to get a complete artifact.
 *
 * @returns the serialized bytes, possibly empty; they start with the 16-byte
 *   header read by `readSerializedHeader`.
 * @throws {AddonUnavailableError} the native addon cannot be used here.
 * @throws {InvalidArgumentError} `module` is not a `WebAssembly.Module`.
 */
export function serialize(module: WebAssembly.Module): Uint8Array {
  const addon = requireAddon();
  if (!isWasmModule(module)) throw new InvalidArgumentError('serialize: module must be a WebAssembly.Module');
  return addon.serialize(module);
}
