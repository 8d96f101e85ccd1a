/**
 * What `@cache/engine/register` loads at its first WebAssembly call, built as
 * one self-contained script (`dist/hook-engine.cjs`: this package with
 * `@cache/config`, `@cache/store` and `@cache/toml` inside it). Loading one
 * script costs the hooked process about half of what resolving, loading and
 * linking the five packages' ES modules does. Only `@cache/v8` (its native
 * addon sits beside its own files) and optional packages (`lru-cache`, zstd,
 * `@cache/store-redis`) are loaded from where they are installed.
 *
 * Internal: applications import `@cache/engine` (and the hook's engine from
 * `@cache/engine/register`).
 *
 * @internal
 * @packageDocumentation
 */
export { createRegisterEngine } from './install-hook.js';
export { preloadModules } from './preload.js';
