/**
 * `node --import @cache/engine/register app.js` (or in `NODE_OPTIONS`): routes
 * `WebAssembly.compile`, `WebAssembly.instantiate(bytes)`,
 * `WebAssembly.compileStreaming` and `WebAssembly.instantiateStreaming`
 * through the cache with no code change. Configured by `WASM_CACHE_*`
 * variables over the TOML file named by `WASM_CACHE_CONFIG_FILE` (else the
 * default file, else the defaults). An invalid configuration is reported once
 * and leaves WebAssembly untouched: the application keeps working.
 *
 * Synchronous `new WebAssembly.Module(bytes)` cannot wait for a cache read; it
 * benefits when the same bytes were compiled through the cache earlier in the
 * process (V8 then reuses that module's code): list such files in
 * `WASM_CACHE_PRELOAD` and the hook compiles them through the cache before the
 * application starts. ESM only (it awaits the preload): use `--import`.
 *
 * @packageDocumentation
 */
import { installRegisterHook, preloadFromEnv, type Engine } from '@cache/engine';

/** The engine the hook routes through, when it is installed. */
export const registeredEngine: Engine | undefined = await installRegisterHook();

if (registeredEngine) await preloadFromEnv(registeredEngine);
