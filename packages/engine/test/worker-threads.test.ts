import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EngineStats } from '../src/index.js';
import { entryFiles, runUnderHook, tempDir, until, wasmFile } from './helpers.js';

const script = join(import.meta.dirname, 'fixtures', 'register-workers-child.mjs');

interface ThreadReport {
  outcomes: string[];
  serializedAfterLoad: number;
  result: number;
  stats: EngineStats | null;
}

/** register-workers-child.mjs under the hook: one report per worker thread. */
async function runThreads(wasm: string, threads: number, env: Record<string, string>, flag?: '--idle' | '--hot' | '--hot-terminated'): Promise<ThreadReport[]> {
  const { stdout } = await runUnderHook(script, [wasm, String(threads), ...(flag ? [flag] : [])], env);
  return JSON.parse(stdout) as ThreadReport[];
}

describe('node --import @cache/engine/register in worker threads', () => {
  const work = tempDir('engine-threads-');
  const wasm = wasmFile(work, 150);

  it("routes every worker thread's WebAssembly.compile through the cache: one artifact for the threads of a process, V8's code in every thread of the next", async () => {
    const env = { WASM_CACHE_DIRECTORY: join(work, 'cache-full'), WASM_CACHE_ARTIFACT_TIER: 'full' };
    const first = await runThreads(wasm.path, 3, env, '--idle');
    expect(first).toHaveLength(3);
    // A thread slow to start (a loaded machine) may find the artifact another thread's producer already stored.
    const outcomes = first.map((thread) => thread.outcomes);
    expect(outcomes).toContainEqual(['miss']);
    for (const thread of first) expect([['miss'], ['hit']]).toContainEqual(thread.outcomes);
    for (const thread of first) if (thread.outcomes[0] === 'miss') expect(thread.serializedAfterLoad).toBe(0);
    // Each thread has an engine of its own; the producer lock lets one of them produce.
    expect(entryFiles(join(work, 'cache-full'))).toHaveLength(1);
    const second = await runThreads(wasm.path, 3, env);
    for (const thread of second) {
      expect(thread.outcomes).toEqual(['hit']);
      expect(thread.serializedAfterLoad).toBeGreaterThan(0);
      expect(thread.result).toBe(first[0]?.result);
      expect(thread.stats).toMatchObject({ hits: 1, misses: 0, invalid: 0 });
    }
  });

  it('a worker thread that ends on its own hands over the code it made hot; the threads of the next process load it', async () => {
    const cache = join(work, 'cache-hot');
    const env = { WASM_CACHE_DIRECTORY: cache };
    const first = await runThreads(wasm.path, 1, env, '--hot');
    expect(first[0]?.outcomes).toEqual(['miss']);
    // The thread's exit hands its snapshot to a detached writer, which may still be writing.
    expect(await until(() => entryFiles(cache).length === 1, 30_000)).toBe(true);
    const second = await runThreads(wasm.path, 2, env);
    for (const thread of second) {
      expect(thread.outcomes).toEqual(['hit']);
      expect(thread.serializedAfterLoad).toBeGreaterThan(0);
      expect(thread.result).toBe(first[0]?.result);
    }
  });

  it("a worker thread stopped by worker.terminate() before it could save its hot code has it saved by the main thread's hook, at the process's exit", async () => {
    const cache = join(work, 'cache-terminated');
    const env = { WASM_CACHE_DIRECTORY: cache };
    const first = await runThreads(wasm.path, 2, env, '--hot-terminated');
    // A thread slow to start may find a snapshot the other's already stored; at least one compiled it.
    expect(first.map((thread) => thread.outcomes)).toContainEqual(['miss']);
    expect(await until(() => entryFiles(cache).length === 1, 30_000)).toBe(true);
    const second = await runThreads(wasm.path, 2, env, '--hot-terminated');
    for (const thread of second) {
      expect(thread.outcomes).toEqual(['hit']);
      expect(thread.serializedAfterLoad).toBeGreaterThan(0);
      expect(thread.result).toBe(first[0]?.result);
    }
  });
});
