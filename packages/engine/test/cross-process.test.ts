import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ARTIFACT_HEADER_SIZE, CacheConfig, Config, Engine } from '../src/index.js';
import { nodeBinaries, runChild, tempDir, wasmFile } from './helpers.js';

const buildAddon = join(import.meta.dirname, '..', '..', 'v8', 'scripts', 'build-addon.mjs');

describe.each(nodeBinaries)('a second process loads V8 code instead of compiling (node %s)', (node) => {
  // The addon is built per Node ABI; make sure this Node has its build.
  execFileSync(node, [buildAddon], { stdio: 'ignore' });
  const work = tempDir('engine-xp-');
  const wasm = wasmFile(work, 300);

  it('first process misses and produces; the next loads serialized code present right after load', async () => {
    const cacheDir = join(work, 'cache');
    const first = await runChild(node, [cacheDir, wasm.path, '--idle']);
    expect(first.outcomes).toEqual(['miss']);
    expect(first.stats).toMatchObject({ misses: 1, hits: 0, artifactsProduced: 1 });
    // A default compile is lazy: no TurboFan code to serialize right after it.
    expect(first.serializedAfterLoad).toBe(0);

    const second = await runChild(node, [cacheDir, wasm.path]);
    expect(second.outcomes).toEqual(['hit']);
    expect(second.stats).toMatchObject({ hits: 1, misses: 0, corruptArtifacts: 0 });
    expect(second.result).toBe(first.result);
    // V8's optimized code is there immediately: it was loaded, not compiled.
    expect(second.serializedAfterLoad).toBe(second.stats.bytesLoaded - ARTIFACT_HEADER_SIZE);
    expect(second.serializedAfterLoad).toBeGreaterThan(wasm.bytes.byteLength / 2);
  });

  it('a process with other V8 flags never gets an artifact it cannot use', async () => {
    const cacheDir = join(work, 'cache');
    const flagged = await runChild(node, [cacheDir, wasm.path], ['--stack-size=900']);
    expect(flagged.outcomes).toEqual(['miss']);
    expect(flagged.stats).toMatchObject({ hits: 0, incompatibleArtifacts: 0, rejectedByV8: 0 });
    expect(flagged.result).toBeTypeOf('number');
  });
});

describe('a short-lived process', () => {
  it('exits without waiting for optimization; its detached producer still fills the cache', async () => {
    const work = tempDir('engine-detached-');
    const wasm = wasmFile(work, 260);
    const cacheDir = join(work, 'cache');
    const first = await runChild(process.execPath, [cacheDir, wasm.path]);
    expect(first.outcomes).toEqual(['miss']);
    const engine = new Engine(Config.default().withArtifactTier('full').cacheConfig(CacheConfig.default().withDirectory(cacheDir)));
    const deadline = Date.now() + 60_000;
    while (!(await engine.isCached(wasm.bytes)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await engine.isCached(wasm.bytes)).toBe(true);
    await engine.close();
    expect((await runChild(process.execPath, [cacheDir, wasm.path])).outcomes).toEqual(['hit']);
  });
});

describe('several processes starting together', () => {
  it('produce the artifact once, and every one of them gets a working module', async () => {
    const work = tempDir('engine-herd-');
    const wasm = wasmFile(work, 250);
    const cacheDir = join(work, 'cache');
    const reports = await Promise.all(Array.from({ length: 4 }, () => runChild(process.execPath, [cacheDir, wasm.path, '--idle'])));
    expect(new Set(reports.map((r) => r.result)).size).toBe(1);
    expect(reports.reduce((sum, r) => sum + r.stats.artifactsProduced, 0)).toBe(1);
    const after = await runChild(process.execPath, [cacheDir, wasm.path]);
    expect(after.outcomes).toEqual(['hit']);
  });
});
