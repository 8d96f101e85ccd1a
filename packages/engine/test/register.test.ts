import { execFile, execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EngineStats } from '../src/index.js';
import { runPlain, runUnderHook, tempDir, wasmFile } from './helpers.js';

const script = join(import.meta.dirname, 'fixtures', 'register-child.mjs');

interface Report {
  serializedAfterLoad: number;
  /** Whether Node's fetch implementation (undici) was loaded by the time the module was. */
  fetchLoaded: boolean;
  /** Whether Node's perf_hooks (the `performance` global) was loaded by then. */
  perfHooksLoaded: boolean;
  result: number;
  /** How this module's compiles were served (Node may compile other wasm, such as undici's, through the hook too). */
  outcomes: string[];
  stats: EngineStats | null;
  /** How the hook loaded its script (see `hookCodeCache`). */
  hookCodeCache: string | undefined;
  /** The child's Node version and `v8.cachedDataVersionTag()`, which name its code cache file. */
  codeCacheName: string;
}

/** register-child.mjs under the hook, on the full tier unless `env` says otherwise. */
async function run(args: string[], env: Record<string, string>, useNodeOptions = false): Promise<{ report: Report; stderr: string }> {
  const { stdout, stderr } = await runUnderHook(script, args, { WASM_CACHE_ARTIFACT_TIER: 'full', ...env }, useNodeOptions);
  return { report: JSON.parse(stdout) as Report, stderr };
}

describe('node --import @cache/engine/register', () => {
  const work = tempDir('engine-register-');
  const wasm = wasmFile(work, 150);

  it.each(['compile', 'instantiate', 'streaming', 'instantiateStreaming'])('routes WebAssembly.%s through the cache with no code change', async (how) => {
    const env = { WASM_CACHE_DIRECTORY: join(work, `cache-${how}`) };
    const first = await run([wasm.path, how, '--idle'], env);
    expect(first.report.outcomes).toEqual(['miss']);
    expect(first.report.stats?.artifactsProduced).toBeGreaterThanOrEqual(1);
    expect(first.report.serializedAfterLoad).toBe(0);
    const second = await run([wasm.path, how], env);
    expect(second.report.outcomes).toEqual(['hit']);
    expect(second.report.serializedAfterLoad).toBeGreaterThan(0);
    expect(second.report.result).toBe(first.report.result);
    // A cached load must not make Node load its fetch implementation (15-25 ms on Node 20) just to
    // tell the cache's own V8 request from a Response; only the streaming cases made a Response.
    expect(second.report.fetchLoaded).toBe(how === 'streaming' || how === 'instantiateStreaming');
    // Nor its perf_hooks (about 1 ms) for the cache's own timing, unless fetch (which uses it) was loaded.
    if (!second.report.fetchLoaded) expect(second.report.perfHooksLoaded).toBe(false);
  });

  it.each(['compileStreaming', 'instantiateStreaming'])("a module from %s(fetch(url)) is named by the Response's URL in stack frames, as without the cache, on a miss and on a hit", async (how) => {
    const child = join(import.meta.dirname, 'fixtures', 'register-url-child.mjs');
    interface UrlReport {
      url: string;
      frame: string;
      outcomes: string[];
      serializedAfterLoad: number;
    }
    const under = async (args: string[]): Promise<UrlReport> =>
      JSON.parse((await runUnderHook(child, args, { WASM_CACHE_DIRECTORY: join(work, `cache-url-${how}`), WASM_CACHE_ARTIFACT_TIER: 'full' })).stdout) as UrlReport;
    const named = (report: UrlReport): RegExp => new RegExp(`^at ${report.url.replace(/[.]/g, '\\.')}:wasm-function\\[1\\]:0x[0-9a-f]+$`);
    const plain = JSON.parse(await runPlain(child, [how])) as UrlReport;
    expect(plain.frame).toMatch(named(plain));
    const miss = await under([how, '--idle']);
    expect(miss.outcomes).toEqual(['miss']);
    expect(miss.frame).toMatch(named(miss));
    // Another server port, so another URL: the cached code is named by this load's.
    const hit = await under([how]);
    expect(hit.outcomes).toEqual(['hit']);
    expect(hit.serializedAfterLoad).toBeGreaterThan(0);
    expect(hit.url).not.toBe(miss.url);
    expect(hit.frame).toMatch(named(hit));
    // Where the addon cannot be used nothing is cached: the Response goes to V8 itself, URL and all.
    const unavailable = { WASM_CACHE_DIRECTORY: join(work, `cache-url-${how}`), CACHE_V8_ADDON_PATH: join(work, 'no-such-addon.node') };
    const uncached = JSON.parse((await runUnderHook(child, [how], unavailable)).stdout) as UrlReport;
    expect(uncached.outcomes).toEqual([]);
    expect(uncached.frame).toMatch(named(uncached));
  });

  it('a streaming source that rejects while the hook loads the cache is the caller\'s rejection, not an unhandled one that ends the process', async () => {
    const child = join(import.meta.dirname, 'fixtures', 'register-reject-child.mjs');
    const expected = { caught: ['no response for compileStreaming', 'no response for instantiateStreaming'] };
    expect(JSON.parse(await runPlain(child, []))).toEqual(expected);
    const environments: Array<Record<string, string>> = [
      { WASM_CACHE_DIRECTORY: join(work, 'cache-reject') },
      { WASM_CACHE_DIRECTORY: join(work, 'cache-reject'), CACHE_V8_ADDON_PATH: join(work, 'no-such-addon.node') },
      { WASM_CACHE_CAPACITY: 'lots' },
    ];
    for (const env of environments) {
      expect(JSON.parse((await runUnderHook(child, [], env)).stdout), JSON.stringify(env)).toEqual(expected);
    }
  });

  it('works from NODE_OPTIONS too, configured by a TOML file named in the environment', async () => {
    const file = join(work, 'cache.toml');
    writeFileSync(file, `[cache]\ndirectory = ${JSON.stringify(join(work, 'cache-toml'))}\n`);
    const first = await run([wasm.path, 'compile', '--idle'], { WASM_CACHE_CONFIG_FILE: file }, true);
    expect(first.report.outcomes).toEqual(['miss']);
    const second = await run([wasm.path, 'compile'], { WASM_CACHE_CONFIG_FILE: file }, true);
    expect(second.report.outcomes).toEqual(['hit']);
    expect(second.report.serializedAfterLoad).toBeGreaterThan(0);
  });

  it('loads its own code from V8 code cache, written beside its script by a process before', async () => {
    const env = { WASM_CACHE_DIRECTORY: join(work, 'cache-code-cache') };
    const first = await run([wasm.path, 'compile', '--idle'], env);
    expect(first.report.outcomes).toEqual(['miss']);
    // Other tests' processes may have written it already; if not, this one has, as it finished.
    expect(['missing', 'stale', 'used']).toContain(first.report.hookCodeCache);
    const cacheFile = join(import.meta.dirname, '..', 'dist', `hook-engine.${first.report.codeCacheName}.v8-code-cache`);
    expect(readFileSync(cacheFile).subarray(0, 8).toString('latin1')).toBe('CEJSCODE');
    const second = await run([wasm.path, 'compile'], env);
    expect(second.report.hookCodeCache).toBe('used');
    expect(second.report.outcomes).toEqual(['hit']);
    expect(second.report.serializedAfterLoad).toBeGreaterThan(0);
    // Written after a hit by now (flag 1): it holds what a hit runs.
    expect(readFileSync(cacheFile).readUInt32LE(12)).toBe(1);
  });

  it("its own copy of the store finds the store's worker script: background work runs in the worker", async () => {
    const cacheDir = join(work, 'cache-worker');
    await run([wasm.path, 'compile', '--idle'], { WASM_CACHE_DIRECTORY: cacheDir });
    // A hit, then past the store's first flush (1 s): the hit's use is recorded by the worker.
    const { report, stderr } = await run([wasm.path, 'compile', '--stay'], { WASM_CACHE_DIRECTORY: cacheDir });
    expect(report.outcomes).toEqual(['hit']);
    // Without its script the store would run the work inline and say so (WORKER_UNAVAILABLE).
    expect(stderr).not.toContain('WORKER_UNAVAILABLE');
    expect(stderr).not.toContain('Warning');
    const usage = readdirSync(cacheDir, { recursive: true, encoding: 'utf8' }).filter((path) => path.endsWith('usage.json'));
    expect(usage).toHaveLength(1);
  });

  it("its compile does not load node:fs/promises, nor on a hit node:crypto, node:zlib and node:v8 (1-2 and 3-7 ms of a process's time to first result), nor node:worker_threads where no thread was started", async () => {
    const cacheDir = join(work, 'cache-builtins');
    const fixture = join(import.meta.dirname, 'fixtures', 'register-builtins-child.mjs');
    interface Loaded {
      fsPromises: boolean;
      crypto: boolean;
      zlib: boolean;
      v8: boolean;
      os: boolean;
      workerThreads: boolean;
    }
    interface BuiltinsReport {
      before: Loaded;
      after: Loaded;
      atExit: Loaded;
      pid: number;
      hits: number;
      misses: number;
    }
    const report = (stdout: string): BuiltinsReport => {
      const [first = '', last = ''] = stdout.split('\n');
      return { ...(JSON.parse(first) as Omit<BuiltinsReport, 'atExit'>), atExit: JSON.parse(last) as Loaded };
    };
    // $HOME set (as a user's shell has it), whatever this runner's environment.
    const env = { WASM_CACHE_DIRECTORY: cacheDir, WASM_CACHE_ARTIFACT_TIER: 'full', HOME: process.env['HOME'] || work };
    // Node 20's ES module loader reads files with node:fs/promises, so under any --import it is loaded
    // before the app starts; from Node 22 it is not, and the hook's compile must not load it either.
    const expectedBefore = Number(process.versions.node.split('.')[0]) < 22;
    const miss = report((await runUnderHook(fixture, [wasm.path, '--idle'], env)).stdout);
    expect(miss).toMatchObject({ misses: 1, hits: 0, before: { fsPromises: expectedBefore }, after: { fsPromises: expectedBefore } });
    const hit = report((await runUnderHook(fixture, [wasm.path], env)).stdout);
    expect(hit).toMatchObject({ hits: 1, misses: 0, before: { fsPromises: expectedBefore }, after: { fsPromises: expectedBefore } });
    // The addon computes the hit's digests (SHA-256 of the hook script and its code cache, of the module, of
    // the store's key; CRC-32 of the entry and the artifact) and gives V8's tag.
    expect(hit.before).toMatchObject({ crypto: false, zlib: false, v8: false, os: false });
    // (node:os neither: the default configuration file's path takes $HOME without it.)
    expect(hit.after).toMatchObject({ crypto: false, zlib: false, v8: false, os: false });
    // Nor as it exits, writing the store's statistics (named without node:crypto's random bytes).
    expect(hit.atExit).toMatchObject({ crypto: false, zlib: false, v8: false });
    const statsFiles = readdirSync(cacheDir, { recursive: true, encoding: 'utf8' }).filter((name) => name.includes(`stats-${hit.pid}.`));
    expect(statsFiles).toHaveLength(1);
    // Telling whether a module's hot code goes to the main thread (only a worker thread's does) loads no
    // node:worker_threads (1.3 ms) in a process that started no thread: not at the compile, nor at the exit snapshot.
    const hot = report((await runUnderHook(fixture, [wasm.path], { ...env, WASM_CACHE_ARTIFACT_TIER: 'hot', WASM_CACHE_DIRECTORY: join(work, 'cache-builtins-hot') })).stdout);
    expect(hot).toMatchObject({ misses: 1, before: { workerThreads: false }, after: { workerThreads: false }, atExit: { workerThreads: false } });
    for (const run of [miss, hit]) expect([run.before.workerThreads, run.after.workerThreads, run.atExit.workerThreads]).toEqual([false, false, false]);
  });

  it('loads the cache only at the first WebAssembly call it routes, not at start-up', async () => {
    const cacheDir = join(work, 'cache-lazy');
    const { stdout } = await runUnderHook(join(import.meta.dirname, 'fixtures', 'register-lazy-child.mjs'), [wasm.path, cacheDir], { WASM_CACHE_DIRECTORY: cacheDir });
    const report = JSON.parse(stdout) as { before: Record<string, boolean>; after: Record<string, boolean>; result: number; sameEngine: boolean; stats: EngineStats | null };
    // Before any wasm: not the cache's code, nor the V8 addon, nor the cache directory (no store opened), nor node:vm.
    expect(report.before).toEqual({ cacheCodeLoaded: false, addonLoaded: false, cacheDirExists: false, vmLoaded: false });
    expect(report.after).toEqual({ cacheCodeLoaded: true, addonLoaded: true, cacheDirExists: true, vmLoaded: true });
    expect(report.result).toBeTypeOf('number');
    expect(report.sameEngine).toBe(true);
    expect(report.stats?.compiles).toBeGreaterThanOrEqual(1);
    expect(report.stats?.misses).toBeGreaterThanOrEqual(1);
  });

  it('leaves synchronous new WebAssembly.Module alone (it cannot wait for a cache read)', async () => {
    const { report } = await run([wasm.path, 'sync'], { WASM_CACHE_DIRECTORY: join(work, 'cache-sync') });
    expect(report.outcomes).toEqual([]);
    expect(report.serializedAfterLoad).toBe(0);
  });

  it('WASM_CACHE_PRELOAD gives a later synchronous new WebAssembly.Module the cached code', async () => {
    const cacheDir = join(work, 'cache-preload');
    await run([wasm.path, 'compile', '--idle'], { WASM_CACHE_DIRECTORY: cacheDir });
    const syncScript = join(import.meta.dirname, 'fixtures', 'sync-after-preload.mjs');
    interface SyncReport {
      serialized: number;
      againSerialized: number;
      distinct: boolean;
      results: number[];
      identity: boolean[];
      detachedError: string;
    }
    const sync = async (env: Record<string, string>) => {
      const { stdout, stderr } = await runUnderHook(syncScript, [wasm.path], { WASM_CACHE_ARTIFACT_TIER: 'full', ...env });
      return { report: JSON.parse(stdout) as SyncReport, stderr };
    };
    const preloaded = await sync({ WASM_CACHE_DIRECTORY: cacheDir, WASM_CACHE_PRELOAD: wasm.path });
    // The first construction gets the preloaded module; the second a module of its own, with V8's cached code too.
    expect(preloaded.report.serialized).toBeGreaterThan(0);
    expect(preloaded.report.againSerialized).toBeGreaterThan(0);
    expect(preloaded.report.distinct).toBe(true);
    expect(preloaded.report.results[0]).toBe(preloaded.report.results[1]);
    expect(preloaded.stderr).toBe('');
    const plain = await sync({ WASM_CACHE_DIRECTORY: cacheDir });
    expect(plain.report.serialized).toBe(0);
    expect(plain.report.results).toEqual(preloaded.report.results);
    // The wrapped WebAssembly.Module is the prototype's constructor, and leaves V8's errors to V8.
    expect(plain.report.identity).toEqual([true, true, true]);
    expect(preloaded.report.identity).toEqual(plain.report.identity);
    expect(plain.report.detachedError).toBe('CompileError: WebAssembly.Module(): BufferSource argument is empty');
    expect(preloaded.report.detachedError).toBe(plain.report.detachedError);
    // Each listed file that cannot be read or compiled is reported once, by name and why, and the others are still preloaded.
    const missing = join(work, 'missing.wasm');
    const notWasm = join(work, 'not-wasm.txt');
    writeFileSync(notWasm, 'not wasm\n');
    // A FIFO with no writer would block the start for ever, /dev/zero be read until memory runs out.
    const fifo = join(work, 'preload.fifo');
    execFileSync('mkfifo', [fifo]);
    const partly = await sync({ WASM_CACHE_DIRECTORY: cacheDir, WASM_CACHE_PRELOAD: [missing, notWasm, fifo, wasm.path, '/dev/zero', notWasm].join(delimiter) });
    expect(partly.report.serialized).toBeGreaterThan(0);
    expect(partly.stderr.match(/could not preload/g)).toHaveLength(4);
    expect(partly.stderr.match(/CACHE_ENGINE_PRELOAD_FAILED/g)).toHaveLength(4);
    expect(partly.stderr).toContain(`could not preload ${fifo}: it is not a regular file`);
    expect(partly.stderr).toContain('could not preload /dev/zero: it is not a regular file');
    expect(partly.stderr).toMatch(new RegExp(`could not preload ${missing}: ENOENT`));
    expect(partly.stderr).toMatch(new RegExp(`could not preload ${notWasm}: WebAssembly\\.compile\\(\\): expected magic word`));
  });

  /**
   * Runs a fixture that reports each case's outcome plainly, then under the hook: from a cache it filled
   * first (full tier: at least `minHits` hits), on a miss, with the cache off, and with each of `others`;
   * every time, the outcomes must be plain Node's.
   */
  async function expectOutcomesAsPlain(fixture: string, cacheName: string, minHits: number, others: Array<Record<string, string>>): Promise<void> {
    const child = join(import.meta.dirname, 'fixtures', fixture);
    interface OutcomesReport {
      outcomes: Record<string, string>;
      hits: number | null;
    }
    const plain = JSON.parse(await runPlain(child, [])) as OutcomesReport;
    const under = async (env: Record<string, string>): Promise<OutcomesReport> => JSON.parse((await runUnderHook(child, [], env)).stdout) as OutcomesReport;
    const cached = { WASM_CACHE_DIRECTORY: join(work, cacheName), WASM_CACHE_ARTIFACT_TIER: 'full' };
    await runUnderHook(child, ['--fill'], cached);
    const hits = await under(cached);
    expect(hits.hits).toBeGreaterThanOrEqual(minHits);
    expect(hits.outcomes).toEqual(plain.outcomes);
    expect((await under({ WASM_CACHE_DIRECTORY: join(work, `${cacheName}-miss`) })).outcomes).toEqual(plain.outcomes);
    expect((await under({ WASM_CACHE_ENABLED: 'false' })).outcomes).toEqual(plain.outcomes);
    for (const env of others) expect((await under(env)).outcomes, JSON.stringify(env)).toEqual(plain.outcomes);
  }

  it('every WebAssembly call it routes gives what plain Node gives: loaded from the cache, compiled, with the cache off or misconfigured', async () => {
    // Among the cached cases, modules whose buffers are reused: the engine finds their artifacts by the bytes'
    // hash and hands V8 the bytes with them; the bytes it hashed must be the bytes V8 gets.
    await expectOutcomesAsPlain('wasm-api-child.mjs', 'cache-api', 2, [{ WASM_CACHE_DIRECTORY: join(work, 'c'), WASM_CACHE_CLEANUP_INTERVAL: '10 minutes' }]);
  });

  it("every streaming call gives what plain Node gives: Node's own Response class only, its body read as Node reads it, its errors, its reads of the source, never a throw in the call", async () => {
    // Without the addon the hook leaves streaming to V8 altogether.
    await expectOutcomesAsPlain('streaming-fidelity-child.mjs', 'cache-streaming', 10, [
      { WASM_CACHE_DIRECTORY: join(work, 'cache-streaming-no-addon'), CACHE_V8_ADDON_PATH: join(work, 'no-such-addon.node') },
    ]);
  });

  it('loaded with --require or require(), fails saying to use --import (not that the path is not exported)', async () => {
    const node = (args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> =>
      new Promise((resolve) => {
        execFile(process.execPath, args, { cwd: join(import.meta.dirname, '..'), encoding: 'utf8' }, (error, stdout, stderr) => resolve({ code: error ? (error.code as number) : 0, stdout, stderr }));
      });
    const preloaded = await node(['--require', '@cache/engine/register', '-e', 'console.log("app ran")']);
    expect(preloaded.code).toBe(1);
    expect(preloaded.stdout).toBe('');
    expect(preloaded.stderr).toContain('RegisterRequiredError');
    expect(preloaded.stderr).toContain("code: 'ERR_CACHE_REGISTER_REQUIRED'");
    expect(preloaded.stderr).toContain('node --import @cache/engine/register');
    const required = await node(['-e', "try { require('@cache/engine/register') } catch (error) { console.log(error.code) }"]);
    expect(required.stdout.trim()).toBe('ERR_CACHE_REGISTER_REQUIRED');
  });

  it('an invalid configuration is reported once and WebAssembly keeps working uncached', async () => {
    const { report, stderr } = await run([wasm.path, 'compile'], { WASM_CACHE_DIRECTORY: join(work, 'c'), WASM_CACHE_CLEANUP_INTERVAL: '10 minutes' });
    expect(report.stats).toBeNull();
    expect(report.result).toBeTypeOf('number');
    expect(stderr).toContain('CACHE_ENGINE_CONFIG_INVALID');
    expect(stderr).toContain('WASM_CACHE_CLEANUP_INTERVAL');
    expect(stderr.match(/CACHE_ENGINE_CONFIG_INVALID/g)).toHaveLength(1);
  });

  it('a configuration file that is a FIFO or a device is reported once, and the application neither waits for it nor runs out of memory', async () => {
    const fifo = join(work, 'config.fifo');
    execFileSync('mkfifo', [fifo]);
    for (const file of [fifo, '/dev/zero']) {
      const { report, stderr } = await run([wasm.path, 'compile'], { WASM_CACHE_CONFIG_FILE: file });
      expect(report.stats).toBeNull();
      expect(report.result).toBeTypeOf('number');
      expect(stderr.match(/CACHE_ENGINE_CONFIG_INVALID/g)).toHaveLength(1);
      expect(stderr).toContain(`Cannot read cache configuration file ${file}: it is a ${file === fifo ? 'FIFO' : 'character device'}, not a regular file`);
    }
  });
});

describe('node --import @cache/engine/register where WebAssembly is absent or frozen', () => {
  const work = tempDir('engine-register-no-wasm-');
  const child = join(import.meta.dirname, 'fixtures', 'register-no-wasm-child.mjs');
  const freezing = join(import.meta.dirname, 'fixtures', 'freeze-webassembly.cjs');
  /** register-no-wasm-child.mjs with these Node flags, plain or under the hook; how it ended and what it wrote. */
  const node = (flags: string[], hooked: boolean, env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      const args = [...flags, ...(hooked ? ['--import', '@cache/engine/register'] : []), child];
      execFile(
        process.execPath,
        args,
        { cwd: join(import.meta.dirname, '..'), encoding: 'utf8', env: { ...process.env, WASM_CACHE_DIRECTORY: join(work, 'cache'), ...env } },
        (error, stdout, stderr) => resolve({ code: error ? (error.code as number) : 0, stdout, stderr }),
      );
    });

  it.for(['--jitless', '--no-expose-wasm'])('with %s (no WebAssembly at all) the application runs as without the hook, and nothing is said', async (flag) => {
    const plain = await node([flag], false);
    if (plain.code === 9 && plain.stderr.includes('bad option')) {
      // V8 13 (Node 24) dropped --no-expose-wasm: Node refuses it as a bad option before any hook runs, the same hooked.
      const hooked = await node([flag], true);
      expect({ code: hooked.code, stderr: hooked.stderr }).toEqual({ code: plain.code, stderr: plain.stderr });
      return;
    }
    expect(JSON.parse(plain.stdout)).toEqual({ wasm: 'undefined', compiled: null, native: null });
    // An invalid configuration, and modules to preload, are nothing to say either where no module can compile.
    const environments: Array<Record<string, string>> = [{}, { WASM_CACHE_CAPACITY: 'lots' }, { WASM_CACHE_PRELOAD: wasmFile(work, 10).path }];
    for (const env of environments) {
      const hooked = await node([flag], true, env);
      expect(hooked.code, hooked.stderr).toBe(0);
      expect(hooked.stdout).toBe(plain.stdout);
      expect(hooked.stderr).toBe(plain.stderr);
    }
  });

  it.each([[['--frozen-intrinsics']], [['--require', freezing]]])('with %j (WebAssembly frozen) the application runs as without the hook, its functions V8\'s own, and why nothing is cached is said once', async (flags) => {
    const plain = await node(flags, false);
    expect(JSON.parse(plain.stdout)).toEqual({ wasm: 'object', compiled: 'module with 0 exports', native: true });
    const hooked = await node(flags, true);
    expect(hooked.code, hooked.stderr).toBe(0);
    expect(hooked.stdout).toBe(plain.stdout);
    expect(hooked.stderr.match(/CACHE_ENGINE_WASM_FROZEN/g), hooked.stderr).toHaveLength(1);
    expect(hooked.stderr).toContain('WebAssembly is frozen');
  });
});

