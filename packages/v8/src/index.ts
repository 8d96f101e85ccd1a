/**
 * `@cache/v8`: a small native addon that serializes V8's compiled WebAssembly
 * code and hands it back to V8. It does only what JavaScript cannot; keys,
 * storage and verification belong to the caller (`@cache/engine`).
 *
 * @packageDocumentation
 */
export type { WasmApi } from './wasm-types.js';
export {
  ADDON_PATH_ENV,
  addonPath,
  addonStatus,
  loadV8Addon,
  type AddonStatus,
  type AddonUnavailableCode,
  type LoadRequest,
  type V8Addon,
} from './addon.js';
export {
  AddonUnavailableError,
  BadHeaderError,
  CacheV8Error,
  FlagsNotRestoredError,
  InvalidArgumentError,
  NotSerializableError,
  type CacheV8ErrorCode,
} from './errors.js';
export { SERIALIZED_HEADER_SIZE, readSerializedHeader, sameHeader, type SerializedHeader } from './header.js';
export { cachedDataVersionTag, nativeDigests, type NativeDigests, type NativeSha256 } from './node-digests.js';
export { serialize } from './serialize.js';
export { deserialize, type DeserializeOptions, type DeserializeResult } from './deserialize.js';
export { compileOptimized, type OptimizedArtifact } from './compile-optimized.js';
export {
  currentFingerprint,
  processIdentity,
  tierUpDisabledBy,
  type FingerprintOptions,
  type ProcessIdentity,
} from './fingerprint.js';
