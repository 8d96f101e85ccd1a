import { readFileSync } from 'node:fs';
import { delimiter } from 'node:path';
import type { Engine } from '../engine/engine.js';
import { warnOnce } from '../diagnostics/warn-once.js';

/** The variable listing wasm files to compile through the cache when the hook starts. */
export const PRELOAD_ENV = 'WASM_CACHE_PRELOAD';

/** Modules compiled by the preload, kept alive so V8 can reuse their code. */
const preloaded: WebAssembly.Module[] = [];

/**
 * Compiles the wasm files listed in `WASM_CACHE_PRELOAD` (separated by the
 * platform's path delimiter) through the cache, and keeps the modules alive.
 * A library that later compiles the same bytes synchronously
 * (`new WebAssembly.Module(bytes)`, as wasm-bindgen's Node target and
 * esbuild-wasm do) then gets V8's cached code: V8 reuses the code of a live
 * module compiled from identical bytes. A file that cannot be read or compiled
 * is reported once and skipped.
 */
export async function preloadFromEnv(engine: Engine, env: Readonly<Record<string, string | undefined>> = process.env): Promise<number> {
  const list = (env[PRELOAD_ENV] ?? '').split(delimiter).filter((file) => file.trim() !== '');
  for (const file of list) {
    try {
      preloaded.push(await engine.compile(readFileSync(file)));
    } catch (error) {
      warnOnce('CACHE_ENGINE_PRELOAD_FAILED', `${PRELOAD_ENV}: could not preload ${file}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return preloaded.length;
}
