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
 * `NODE_OPTIONS`) pays 1-3 ms more than for any `--import`, not the cache's
 * load. That load is one script compiled from V8's code cache: about 15 ms
 * to a built engine on Node 20, against 30 ms through `import('@cache/engine')`.
 *
 * Synchronous `new WebAssembly.Module(bytes)` cannot wait for a cache read; it
 * benefits when the same bytes were compiled through the cache earlier in the
 * process: list such files in `WASM_CACHE_PRELOAD` and the hook reads them
 * while it loads the cache, and compiles them through it before the
 * application starts. The application's first `new WebAssembly.Module` of
 * exactly those bytes is handed the preloaded module; later ones get V8's
 * reuse of its code. ESM only (it awaits the preload): use `--import`.
 *
 * Worker threads run the hook too, each with its own engine over the same
 * cache. A worker thread hands each module whose hot code it saves to the
 * main thread's hook, which saves it as well: a thread stopped by
 * `worker.terminate()` runs nothing more, and a pool that stops its threads
 * soon after their work would otherwise never save any (see
 * `register/thread-handoff.ts`).
 *
 * @packageDocumentation
 */
import type { Engine } from '@cache/engine';
import { warnOnce } from './diagnostics/warn-once.js';
import { nodeBuiltin } from './node/node-builtin.js';
import { PRODUCER_ENV } from './producer/producer-protocol.js';
import { loadHookScript, type HookCodeCacheState, type HookScript } from './register/hook-script.js';
import { patchWebAssembly } from './register/patch-webassembly.js';
import { readPreloadFiles } from './register/preload.js';
import { adoptFromWorkerThreads, handOverToMainThread, inWorkerThread } from './register/thread-handoff.js';
import { originalWasm } from './wasm/wasm-api.js';

// Built-ins are taken with nodeBuiltin rather than ES imports here and in the modules this one imports: Node builds
// an imported built-in's namespace for the importer (about 0.2 ms for these few, in every process the hook is in).
const { fileURLToPath } = nodeBuiltin<typeof import('node:url')>('node:url');

/**
 * The engine the hook routes through, once it exists (a live binding): from
 * the first WebAssembly call the hook routed, or from the start with
 * `WASM_CACHE_PRELOAD`. Undefined before that, and where the hook is off.
 * It comes from the hook's own copy of the cache (see below), so it is not
 * `instanceof` the `Engine` an application imports; its methods are the same.
 */
export let registeredEngine: Engine | undefined;

/**
 * How the hook loaded the cache's code (a live binding, set at its first
 * WebAssembly call): `'used'` when from V8's code cache for it, written beside
 * the hook's script by the first hooked process of each Node version; else
 * why it was compiled from its source (see `HookCodeCacheState`).
 */
export let hookCodeCache: HookCodeCacheState | undefined;

let loading: Promise<Engine | undefined> | undefined;

/** What the hook needs of the cache. */
type HookEngine = Pick<typeof import('@cache/engine'), 'createRegisterEngine' | 'preloadModules'>;

let hookEngine: Promise<HookScript<HookEngine>> | undefined;

/**
 * The cache's code, loaded once. The built hook loads `dist/hook-engine.cjs`,
 * the whole cache in one script (see `src/register/hook-engine.ts`), with
 * V8's code cache for it: about 9 ms less than importing `@cache/engine`'s
 * modules at the first WebAssembly call. The loader is part of this module
 * (an `import()` of it at that call took about 1 ms more on Node 22); the
 * built-ins it needs beyond every process's (`node:vm`, and `node:crypto`
 * without the addon) are loaded at that call, not at start-up. Run from
 * sources (tests), the package's main entry.
 */
function loadHookEngine(): Promise<HookScript<HookEngine>> {
  hookEngine ??= import.meta.url.endsWith('.ts')
    ? import('@cache/engine').then((exports) => ({ exports, codeCache: 'unavailable', saveCodeCache: () => undefined }))
    : new Promise((resolve) => resolve(loadHookScript<HookEngine>(fileURLToPath(new URL('./hook-engine.cjs', import.meta.url)))));
  return hookEngine;
}

/**
 * After the first WebAssembly call the hook routed: saves V8's code cache for
 * the hook's script (see `HookScript.saveCodeCache`), holding every function
 * that call compiled. In the next turn of the event loop, not in the caller's
 * way.
 */
function saveHookCodeCache(engine: Engine): void {
  if (codeCacheSaveScheduled) return;
  codeCacheSaveScheduled = true;
  const afterHit = engine.stats().hits > 0;
  void hookEngine?.then((script) => setImmediate(() => script.saveCodeCache(afterHit)));
}

let codeCacheSaveScheduled = false;

/**
 * The hook's engine, built now if no WebAssembly call has needed it yet.
 * Resolves undefined where the hook is off (a producer process, an invalid
 * configuration, a cache that could not be loaded: each said once); never
 * rejects.
 */
export function loadRegisteredEngine(): Promise<Engine | undefined> {
  loading ??= loadHookEngine().then(
    async ({ exports, codeCache }) => {
      hookCodeCache = codeCache;
      // The script runs through node:vm, which has no module loader for its import(): it uses this module's.
      const engine = await exports.createRegisterEngine(process.env, { importModule: (url) => import(url) });
      // In a worker thread, the modules whose hot code the engine saves go to the main thread's hook too.
      const directory = engine?.cache.ownDirectory;
      if (engine && directory !== undefined && inWorkerThread()) engine.cache.hot.onTrack = handOverToMainThread(directory);
      return (registeredEngine = engine);
    },
    (error: unknown) => {
      warnOnce('CACHE_ENGINE_LOAD_FAILED', `@cache/engine/register: the WebAssembly cache is off because it could not be loaded: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    },
  );
  return loading;
}

if (process.env[PRODUCER_ENV] !== '1') {
  patchWebAssembly({
    // `bytes` is patchWebAssembly's copy, taken in the application's call: it may be read after these awaits.
    // `options` names the module by a streaming source's URL.
    compile: async (bytes, options) => {
      const engine = await loadRegisteredEngine();
      if (!engine) return originalWasm.compile(bytes);
      try {
        return await engine.compile(bytes, options);
      } finally {
        saveHookCodeCache(engine);
      }
    },
    // Without an engine (an invalid configuration, a cache that could not load), V8's own streaming functions.
    routesStreaming: async () => (await loadRegisteredEngine())?.routesStreaming() ?? false,
  });
  adoptFromWorkerThreads(loadRegisteredEngine);
  // The files are read while the cache loads: the reads run off the main thread, the load on it.
  const preloads = readPreloadFiles();
  if (preloads.length > 0) {
    const engine = await loadRegisteredEngine();
    if (engine) {
      await (await loadHookEngine()).exports.preloadModules(engine, preloads);
      saveHookCodeCache(engine);
    }
  }
}
