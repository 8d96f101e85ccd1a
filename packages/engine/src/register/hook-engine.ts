/**
 * What `@cache/engine/register` loads at its first WebAssembly call, built as
 * one self-contained script (`dist/hook-engine.cjs`: this package with
 * `@cache/config`, `@cache/store` and `@cache/toml` inside it). One script,
 * compiled from V8's code cache for it (see `hook-script.ts`), takes the
 * hooked process to a built engine in about half the time that resolving,
 * loading and linking the five packages' ES modules does (15 against 30 ms
 * on Node 20). Only `@cache/v8` (its native addon sits beside its own files)
 * and optional packages (`lru-cache`, zstd, `@cache/store-redis`) are loaded
 * from where they are installed.
 *
 * Internal: applications import `@cache/engine` (and the hook's engine from
 * `@cache/engine/register`).
 *
 * @internal
 * @packageDocumentation
 */
export { createRegisterEngine } from './install-hook.js';
export { preloadModules } from './preload.js';
