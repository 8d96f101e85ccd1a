import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildWasmModule } from '@cache/wasm-fixtures';
import { describe, expect, it } from 'vitest';
import { cli, tempDir } from './helpers.js';

describe('wasm-cache run, compile, inspect, cache * (built binary)', () => {
  const dir = tempDir('cli-module-');
  const cacheDir = join(dir, 'cache');
  const wasm = join(dir, 'module.wasm');
  writeFileSync(wasm, buildWasmModule({ functions: 150 }));
  const env = { WASM_CACHE_DIRECTORY: cacheDir };

  it('compile stores optimized code; run then loads it from the cache', async () => {
    const compiled = await cli(['compile', wasm, '--json'], env);
    expect(compiled.code).toBe(0);
    expect(JSON.parse(compiled.stdout)).toMatchObject({ cached: true, already: false });
    const again = await cli(['compile', wasm, '--json'], env);
    expect(JSON.parse(again.stdout)).toMatchObject({ cached: true, already: true });

    const run = await cli(['run', wasm, '--invoke', 'run', '7', '--json'], env);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as { outcome: string; result: number; phasesMs: Record<string, number> };
    expect(report.outcome).toBe('hit');
    expect(report.result).toBeTypeOf('number');
    expect(Object.keys(report.phasesMs)).toEqual(['read', 'load from cache', 'instantiate', 'run']);
    const human = await cli(['run', wasm, '--invoke', 'run', '7'], env);
    expect(human.stdout.trim()).toBe(String(report.result));
    expect(human.stderr).toContain('from the cache');
  });

  it('a miss says only what it left for next time: on the hot tier nothing when V8 optimized nothing, on the full tier a background production', async () => {
    const missDir = join(dir, 'cache-miss');
    const missEnv = { WASM_CACHE_DIRECTORY: missDir };
    const short = await cli(['run', wasm, '--invoke', 'run', '1'], missEnv);
    expect(short.code).toBe(0);
    expect(short.stderr).toContain('compiled (cache miss; nothing saved: V8 optimized none of its code in this run)');
    expect(short.stderr).not.toContain('for next time');
    expect((await cli(['cache', 'ls', '--json'], missEnv)).stdout.trim()).toBe('[]');
    const full = await cli(['run', wasm, '--invoke', 'run', '1'], { ...missEnv, WASM_CACHE_ARTIFACT_TIER: 'full' });
    expect(full.stderr).toContain('compiled (cache miss; its optimized code is being produced in the background for next time)');
  });

  it('run reports a missing export, a bad file and an unreadable path with distinct exit codes', async () => {
    const noExport = await cli(['run', wasm, '--invoke', 'nope'], env);
    expect(noExport.code).toBe(2);
    expect(noExport.stderr).toMatch(/no exported function "nope"; exported: .*run/);
    const junk = join(dir, 'junk.wasm');
    writeFileSync(junk, 'not wasm');
    const bad = await cli(['run', junk], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/not a valid WebAssembly module/);
    expect((await cli(['run', join(dir, 'absent.wasm')], env)).code).toBe(4);
  });

  it('compile -o writes a portable artifact that inspect describes', async () => {
    const artifact = join(dir, 'module.cwasm');
    const compiled = await cli(['compile', wasm, '-o', artifact], env);
    expect(compiled.code).toBe(0);
    expect(existsSync(artifact)).toBe(true);
    const inspected = await cli(['inspect', artifact, '--json']);
    expect(inspected.code).toBe(0);
    expect(JSON.parse(inspected.stdout)).toMatchObject({ tier: 'full', loadableHere: true });
    const damaged = join(dir, 'damaged.cwasm');
    writeFileSync(damaged, 'not an artifact, just text '.repeat(10));
    const bad = await cli(['inspect', damaged]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/Invalid artifact \(bad-magic\)/);
  });

  it('cache stats, ls, verify, gc, clear and path', async () => {
    expect((await cli(['cache', 'path'], env)).stdout.trim()).toBe(cacheDir);
    const stats = JSON.parse((await cli(['cache', 'stats', '--json'], env)).stdout) as { total: { hits: number; writes: number } };
    expect(stats.total.hits).toBeGreaterThanOrEqual(1);
    expect(stats.total.writes).toBeGreaterThanOrEqual(1);
    const human = (await cli(['cache', 'stats'], env)).stdout;
    // The store's read counters, labelled as such: one engine lookup can be two store reads.
    expect(human).toMatch(/store reads: hits\s+\d/);
    expect(human).toMatch(/store reads: misses\s+\d/);
    expect(human).toMatch(/read hit rate\s+\d/);
    expect(human).not.toMatch(/^hits\s/m);
    const listed = JSON.parse((await cli(['cache', 'ls', '--json'], env)).stdout) as Array<{ key: string; bytes: number }>;
    expect(listed).toHaveLength(1);
    expect(listed[0]?.key).toMatch(/^[0-9a-f]{64}\.full$/);
    expect(JSON.parse((await cli(['cache', 'verify', '--json'], env)).stdout)).toEqual({ checked: 1, damaged: [], otherVersion: [] });
    // Folders that are not namespaces (an older layout's name, a dot-folder) are not the store's to open.
    mkdirSync(join(cacheDir, '_old', 'v1', 'entries'), { recursive: true });
    mkdirSync(join(cacheDir, '.other', 'v1', 'entries'), { recursive: true });
    expect(JSON.parse((await cli(['cache', 'ls', '--json'], env)).stdout)).toHaveLength(1);
    expect((await cli(['cache', 'gc'], env)).code).toBe(0);
    writeFileSync(join(cacheDir, 'not-ours.txt'), 'keep me');
    expect(JSON.parse((await cli(['cache', 'clear', '--json'], env)).stdout)).toEqual({ removed: 1, notRemoved: [] });
    expect(existsSync(join(cacheDir, 'not-ours.txt'))).toBe(true);
    expect(JSON.parse((await cli(['cache', 'ls', '--json'], env)).stdout)).toEqual([]);
  });
});
