/**
 * `node --import @cache/engine/register app.js` (or in `NODE_OPTIONS`): routes
 * `WebAssembly.compile`, `WebAssembly.instantiate(bytes)`,
 * `WebAssembly.compileStreaming` and `WebAssembly.instantiateStreaming`
 * through the cache with no code change. Configured by `WASM_CACHE_*`
 * variables over the TOML file named by `WASM_CACHE_CONFIG_FILE` (else the
 * default file, else the defaults). An invalid configuration is reported once
 * and the calls go to V8 unchanged: the application keeps working.
 *
 * The hook itself is small: it loads the cache (`@cache/engine`, its store and
 * V8 addon) at the first WebAssembly call it routes, so a process that never
 * compiles WebAssembly (any other Node process started with this
 * `NODE_OPTIONS`) pays 2-3 ms more than for any `--import`, not the cache's
 * 20-25 ms.
 *
 * Synchronous `new WebAssembly.Module(bytes)` cannot wait for a cache read; it
 * benefits when the same bytes were compiled through the cache earlier in the
 * process: list such files in `WASM_CACHE_PRELOAD` and the hook reads them
 * while it loads the cache, and compiles them through it before the
 * application starts. The application's first `new WebAssembly.Module` of
 * exactly those bytes is handed the preloaded module; later ones get V8's
 * reuse of its code. ESM only (it awaits the preload): use `--import`.
 *
 * @packageDocumentation
 */
import type { Engine } from '@cache/engine';
import { warnOnce } from './diagnostics/warn-once.js';
import { PRODUCER_ENV } from './producer/producer-protocol.js';
import { patchWebAssembly } from './register/patch-webassembly.js';
import { readPreloadFiles } from './register/preload.js';
import { originalWasm } from './wasm/wasm-api.js';

/**
 * The engine the hook routes through, once it exists (a live binding): from
 * the first WebAssembly call the hook routed, or from the start with
 * `WASM_CACHE_PRELOAD`. Undefined before that, and where the hook is off.
 */
export let registeredEngine: Engine | undefined;

let loading: Promise<Engine | undefined> | undefined;

/**
 * The hook's engine, built now if no WebAssembly call has needed it yet.
 * Resolves undefined where the hook is off (a producer process, an invalid
 * configuration, a cache that could not be loaded: each said once); never
 * rejects.
 */
export function loadRegisteredEngine(): Promise<Engine | undefined> {
  loading ??= import('@cache/engine').then(
    async ({ createRegisterEngine }) => (registeredEngine = await createRegisterEngine()),
    (error: unknown) => {
      warnOnce('CACHE_ENGINE_LOAD_FAILED', `@cache/engine/register: the WebAssembly cache is off because it could not be loaded: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    },
  );
  return loading;
}

if (process.env[PRODUCER_ENV] !== '1') {
  patchWebAssembly({
    compile: async (bytes) => {
      const engine = await loadRegisteredEngine();
      return engine ? engine.compile(bytes) : originalWasm.compile(bytes);
    },
  });
  // The files are read while the cache loads: the reads run off the main thread, the load on it.
  const preloads = readPreloadFiles();
  if (preloads.length > 0) {
    const engine = await loadRegisteredEngine();
    if (engine) await (await import('@cache/engine')).preloadModules(engine, preloads);
  }
}
