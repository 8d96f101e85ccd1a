/**
 * `@cache/engine`: a persistent compiled-WebAssembly cache for Node.js.
 *
 * @packageDocumentation
 */
export { CacheConfig } from '@cache/toml';
export { CacheConfigError, Config } from '@cache/config';
export {
  ARTIFACT_HEADER_SIZE,
  ARTIFACT_VERSION,
  checkArtifactBelongs,
  decodeArtifact,
  encodeArtifact,
  peekLayoutVersion,
  peekModuleHash,
  type ArtifactFields,
  type ArtifactTier,
  type DecodeOptions,
} from './artifact/artifact-format.js';
export { MODULE_HASH_PIECE_BYTES, moduleHash, moduleHashInSteps } from './artifact/module-hash.js';
export { lookupId, SAMPLED_LOOKUP_MIN_BYTES } from './artifact/module-lookup.js';
export { Cache, type CacheOptions } from './cache/cache.js';
export { compileChannel, warningChannel, type EngineWarningCode } from './diagnostics/warn-once.js';
export { Engine, type EngineCompileOptions, type CompileOutcome, type EngineOptions } from './engine/engine.js';
export {
  ArtifactIncompatibleError,
  ArtifactInvalidError,
  EngineArgumentError,
  EngineError,
  NativeUnavailableError,
  ProducerError,
  type ArtifactDefect,
  type EngineErrorCode,
} from './errors/engine-errors.js';
export { engineFingerprint, type EngineFingerprint, type FingerprintResult } from './fingerprint/engine-fingerprint.js';
export { producerExecArgv } from './producer/producer-client.js';
export { patchWebAssembly, type RoutingEngine } from './register/patch-webassembly.js';
export {
  ARTIFACT_TIER_ENV,
  CONFIG_FILE_ENV,
  ENGINE_ENV_SUFFIXES,
  registerConfig,
  registerSettings,
  withArtifactTierFromEnv,
  type RegisterSettings,
} from './register/register-config.js';
export { createRegisterEngine, installRegisterHook, type RegisterEngineOptions } from './register/install-hook.js';
export type { ModuleImporter } from './remote/register-remote-tier.js';
export { PRELOAD_ENV, preloadFiles, preloadFromEnv, preloadModules, readPreloadFiles, type PreloadSource } from './register/preload.js';
export type { CacheStats, EngineStats } from './stats/engine-stats.js';
export type { WasmBytes, WasmInstance, WasmNamespace } from './wasm/wasm-api.js';
