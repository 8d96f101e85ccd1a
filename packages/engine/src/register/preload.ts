import type { Engine } from '../engine/engine.js';
import { warnOnce } from '../diagnostics/warn-once.js';
import { nodeBuiltin } from '../node/node-builtin.js';
import { READ_FLAGS } from '../node/read-regular-file.js';
import { handOffToSyncConstructor } from './sync-handoff.js';

const { delimiter } = nodeBuiltin<typeof import('node:path')>('node:path');

/** The variable listing wasm files to compile through the cache when the hook starts. */
export const PRELOAD_ENV = 'WASM_CACHE_PRELOAD';

/** A wasm file to preload, and its bytes (or their read, already under way). */
export interface PreloadSource {
  readonly file: string;
  readonly bytes: Uint8Array | Promise<Uint8Array>;
}

/** Modules compiled by the preload, kept alive so V8 can reuse their code. */
const preloaded: WebAssembly.Module[] = [];

/** The files `WASM_CACHE_PRELOAD` lists (separated by the platform's path delimiter). */
export function preloadFiles(env: Readonly<Record<string, string | undefined>> = process.env): string[] {
  return (env[PRELOAD_ENV] ?? '').split(delimiter).filter((file) => file.trim() !== '');
}

/**
 * Starts reading the files `WASM_CACHE_PRELOAD` lists, all at once and off
 * the main thread, so that the reads overlap whatever runs before
 * {@link preloadModules} needs them (the hook starts them before it loads the
 * cache). A failed read is reported by `preloadModules`. None where the
 * runtime has no WebAssembly.
 */
export function readPreloadFiles(env: Readonly<Record<string, string | undefined>> = process.env): PreloadSource[] {
  // Without WebAssembly (node --jitless) no module can be compiled, nor used: nothing to preload, nothing
  // to say (as the hook says nothing of a runtime without WebAssembly), and no cache to load for it.
  if ((globalThis as { WebAssembly?: unknown }).WebAssembly === undefined) return [];
  return preloadFiles(env).map((file) => {
    const bytes = readBytes(file);
    bytes.catch(() => undefined); // reported when awaited; not an unhandled rejection meanwhile
    return { file, bytes };
  });
}

/**
 * A regular file's bytes. Opened without blocking and refused unless it is a
 * regular file: the hook waits for its preloads before the application
 * starts, and a FIFO with no writer would block the open for ever, a device
 * such as /dev/zero be read until memory runs out. `node:fs/promises` is
 * imported here, not at the top: the hook loads this module in every process.
 */
async function readBytes(file: string): Promise<Uint8Array> {
  const { open } = await import('node:fs/promises');
  const handle = await open(file, READ_FLAGS);
  try {
    if (!(await handle.stat()).isFile()) throw new Error('it is not a regular file');
    const buffer = await handle.readFile();
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  } finally {
    await handle.close();
  }
}

/**
 * Compiles wasm files through the cache and keeps the modules alive. A
 * library that later compiles the same bytes synchronously
 * (`new WebAssembly.Module(bytes)`, as wasm-bindgen's Node target and
 * esbuild-wasm do) then gets the cached code: its first such call gets the
 * preloaded module itself (the bytes are compared first), and V8 reuses the
 * code of a live module for any later one. Each file that cannot be read or
 * compiled is reported once (warning `CACHE_ENGINE_PRELOAD_FAILED`, naming
 * the file and why) and skipped.
 *
 * @returns how many modules are preloaded in this process.
 */
export async function preloadModules(engine: Engine, sources: readonly PreloadSource[]): Promise<number> {
  for (const { file, bytes } of sources) {
    try {
      const wire = await bytes;
      const module = await engine.compile(wire);
      preloaded.push(module);
      handOffToSyncConstructor(module, wire);
    } catch (error) {
      warnPreloadFailed(file, error);
    }
  }
  return preloaded.length;
}

/** Says why a file could not be preloaded: once per file (several may fail, each for its own reason). */
function warnPreloadFailed(file: string, error: unknown): void {
  warnOnce('CACHE_ENGINE_PRELOAD_FAILED', `${PRELOAD_ENV}: could not preload ${file}: ${error instanceof Error ? error.message : String(error)}`, file);
}

/**
 * Compiles the wasm files listed in `WASM_CACHE_PRELOAD` through the cache:
 * {@link preloadModules} of {@link readPreloadFiles}.
 *
 * @returns how many modules are preloaded in this process.
 */
export function preloadFromEnv(engine: Engine, env: Readonly<Record<string, string | undefined>> = process.env): Promise<number> {
  return preloadModules(engine, readPreloadFiles(env));
}
