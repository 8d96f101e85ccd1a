import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryStore } from '@cache/store';
import { SERIALIZED_HEADER_SIZE, serialize } from '@cache/v8';
import { describe, expect, it, vi } from 'vitest';
import { ARTIFACT_TIER_ENV, Cache, warningChannel, CacheConfig, Config, decodeArtifact, Engine, engineFingerprint, moduleHash, type WasmNamespace } from '../src/index.js';
import { entryFiles, runChild, runUnderHook, tempDir, until, wasmFile } from './helpers.js';

const wasm = (globalThis as unknown as { WebAssembly: WasmNamespace }).WebAssembly;

/** The generated module's `run` export. */
function runOf(module: WebAssembly.Module): (n: number) => number {
  return (new wasm.Instance(module, {}) as unknown as { exports: { run(n: number): number } }).exports.run;
}


/** V8 tiers up on background threads: flushes the hot snapshots until the engine has saved one (at most 5 s). */
async function flushUntilSaved(engine: Engine, cache: Cache): Promise<void> {
  for (let attempt = 0; attempt < 50 && engine.stats().artifactsProduced === 0; attempt += 1) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    await cache.hot.flush();
  }
}


describe("the 'hot' tier (the default): the code V8 optimized in a process, saved for the next", () => {
  it('is the default tier', () => {
    expect(Config.default().artifactTier).toBe('hot');
    expect(Config.default().withArtifactTier('full').artifactTier).toBe('full');
  });

  it('refuses an unknown tier, naming the setting and where it came from', () => {
    expect(() => Config.default().withArtifactTier('warm' as 'hot', { kind: 'env', variable: ARTIFACT_TIER_ENV })).toThrow(
      /artifactTier = "warm" \(environment variable WASM_CACHE_ARTIFACT_TIER\): must be one of "hot", "full"/,
    );
  });

  it('listens for SIGTERM and exit only while a module is tracked (until close, or its last timer), and never for SIGINT, SIGHUP or any other signal', async () => {
    const counts = (): Record<string, number> => Object.fromEntries(['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'exit'].map((event) => [event, process.listenerCount(event)]));
    const before = counts();
    const bytes = wasmFile(tempDir('hot-listeners-wasm-'), 40).bytes;
    const engine = new Engine(Config.default().cacheConfig(CacheConfig.default().withDirectory(tempDir('hot-listeners-'))));
    await engine.compile(bytes);
    expect(engine.cache.hot.size).toBe(1);
    const tracking = counts();
    expect(tracking).toMatchObject({ SIGTERM: before.SIGTERM! + 1, SIGINT: before.SIGINT, SIGHUP: before.SIGHUP, SIGQUIT: before.SIGQUIT });
    await engine.close();
    // (The disk store keeps one exit listener of its own for the whole process, for every store: not counted here.)
    expect(counts()).toEqual({ ...before, exit: tracking.exit! - 1 });

    // A module whose last snapshot timer fired is no longer tracked: nothing is left listening.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const timed = new Engine(Config.default().cacheConfig(CacheConfig.default().withDirectory(tempDir('hot-listeners-timers-'))));
      await timed.compile(bytes);
      expect(timed.cache.hot.size).toBe(1);
      expect(process.listenerCount('SIGTERM')).toBe(before.SIGTERM! + 1);
      await vi.advanceTimersByTimeAsync(61_000);
      expect(timed.cache.hot.size).toBe(0);
      expect(process.listenerCount('SIGTERM')).toBe(before.SIGTERM);
      await timed.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it('saves what tiered up, writes again only when it grew, and loads it', async () => {
    const store = new MemoryStore();
    const cache = new Cache(CacheConfig.default().withDirectory(tempDir('hot-mem-')), { store });
    const { bytes } = wasmFile(tempDir('hot-mem-wasm-'), 120);
    const first = new Engine(Config.default(), { cache });
    const module = await first.compile(bytes);
    expect(first.stats()).toMatchObject({ misses: 1, hits: 0, artifactsProduced: 0 });
    expect(cache.producing.size).toBe(0); // no background optimizing compile in this tier
    await cache.hot.flush();
    expect(first.stats().artifactsProduced).toBe(0); // nothing has run, so nothing is optimized yet
    const run = runOf(module);
    for (let i = 0; i < 20; i += 1) run(1000);
    await flushUntilSaved(first, cache);
    expect(first.stats().artifactsProduced).toBe(1);
    const fp = await engineFingerprint();
    if (!fp.ok) throw new Error(fp.reason);
    const storage = await cache.storage(fp.fingerprint);
    const stored = await store.get(storage?.key(moduleHash(bytes), 'hot') ?? '');
    expect(stored).toBeDefined();
    const fields = decodeArtifact(stored ?? new Uint8Array());
    expect(fields.tier).toBe('hot');
    expect(fields.payload.byteLength).toBe(serialize(module).byteLength);
    await cache.hot.flush();
    expect(first.stats().artifactsProduced).toBe(1); // nothing new became hot: nothing written
    const second = new Engine(Config.default(), { cache });
    const loaded = await second.compile(new Uint8Array(bytes));
    expect(second.stats()).toMatchObject({ hits: 1, misses: 0, bytesLoaded: stored?.byteLength });
    expect(runOf(loaded)(7)).toBe(run(7));
    await cache.close();
  });

  it('a snapshot the store refuses with a fault it counted (and said) is not said again; a refusal without a fault is', async () => {
    const warned: string[] = [];
    const onWarning = (message: unknown): void => {
      warned.push((message as { code: string }).code);
    };
    warningChannel.subscribe(onWarning);
    try {
      for (const fault of [true, false]) {
        const store = new MemoryStore();
        const stats = store.stats.bind(store);
        let errors = 0;
        store.stats = () => ({ ...stats(), errors });
        store.put = async () => {
          if (fault) errors += 1; // as the disk store counts (and warns once of) an EACCES
          return { stored: false, reason: fault ? 'EACCES: permission denied' : 'value exceeds the capacity' };
        };
        const cache = new Cache(CacheConfig.default().withDirectory(tempDir('hot-refused-')), { store });
        const engine = new Engine(Config.default(), { cache });
        const module = await engine.compile(wasmFile(tempDir('hot-refused-wasm-'), 120 + (fault ? 1 : 2)).bytes);
        const run = runOf(module);
        // V8 tiers up on background threads: run until there is optimized code to save (at most 5 s).
        for (let attempt = 0; attempt < 50 && serialize(module).byteLength <= SERIALIZED_HEADER_SIZE; attempt += 1) {
          for (let i = 0; i < 20; i += 1) run(1000);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        expect(serialize(module).byteLength).toBeGreaterThan(SERIALIZED_HEADER_SIZE);
        warned.length = 0;
        await cache.hot.flush();
        expect(warned.includes('CACHE_ENGINE_HOT_SNAPSHOT_FAILED')).toBe(!fault);
        expect(engine.stats().artifactsProduced).toBe(0);
        await cache.close();
      }
    } finally {
      warningChannel.unsubscribe(onWarning);
    }
  });

  it('a snapshot a store fault kept out is tried again by the next snapshot', async () => {
    const store = new MemoryStore();
    const stats = store.stats.bind(store);
    const put = store.put.bind(store);
    let errors = 0;
    let puts = 0;
    store.stats = () => ({ ...stats(), errors });
    store.put = async (key, value) => {
      puts += 1;
      if (puts > 1) return put(key, value);
      errors += 1; // a fault the store counts (and says) itself: a full disk that has room again later
      return { stored: false, reason: 'ENOSPC: no space left on device' };
    };
    const cache = new Cache(CacheConfig.default().withDirectory(tempDir('hot-retry-')), { store });
    const engine = new Engine(Config.default(), { cache });
    const module = await engine.compile(wasmFile(tempDir('hot-retry-wasm-'), 123).bytes);
    const run = runOf(module);
    for (let attempt = 0; attempt < 50 && serialize(module).byteLength <= SERIALIZED_HEADER_SIZE; attempt += 1) {
      for (let i = 0; i < 20; i += 1) run(1000);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await cache.hot.flush();
    expect(puts).toBe(1);
    expect(engine.stats().artifactsProduced).toBe(0);
    await cache.hot.flush();
    expect(puts).toBe(2);
    expect(engine.stats().artifactsProduced).toBe(1);
    await cache.close();
  });

  it('snapshots of one module never overlap: one taken while another is being written compares with what that one stored', async () => {
    const store = new MemoryStore();
    let puts = 0;
    const put = store.put.bind(store);
    // A slow store: every write is still in flight when the next snapshot is taken.
    store.put = async (key, value) => {
      puts += 1;
      await new Promise((resolve) => setTimeout(resolve, 50));
      return put(key, value);
    };
    const cache = new Cache(CacheConfig.default().withDirectory(tempDir('hot-overlap-')), { store });
    const { bytes } = wasmFile(tempDir('hot-overlap-wasm-'), 70);
    const engine = new Engine(Config.default(), { cache });
    // The snapshot timers are started under fake timers and never fire: only the snapshots asked for below are taken.
    const track = cache.hot.track.bind(cache.hot);
    cache.hot.track = (target) => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      try {
        track(target);
      } finally {
        vi.useRealTimers();
      }
    };
    const module = await engine.compile(bytes);
    expect(cache.hot.size).toBe(1);
    const run = runOf(module);
    for (let i = 0; i < 20; i += 1) run(1000);
    // V8 optimizes on background threads: wait until its code for the module stops growing (at most 10 s).
    let size = serialize(module).byteLength;
    for (let settled = 0, i = 0; settled < 3 && i < 100; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const now = serialize(module).byteLength;
      settled = now === size && now > SERIALIZED_HEADER_SIZE ? settled + 1 : 0;
      size = now;
    }
    expect(size).toBeGreaterThan(SERIALIZED_HEADER_SIZE);
    expect(puts).toBe(0);
    // Three snapshots asked for at once (two flushes and close()'s final one): the first writes, and the
    // others, taken after it, find nothing new.
    await Promise.all([cache.hot.flush(), cache.hot.flush(), cache.close()]);
    expect(puts).toBe(1);
    expect(engine.stats().artifactsProduced).toBe(1);
  });

  it('a full-tier engine neither uses nor writes hot artifacts', async () => {
    const cache = new Cache(CacheConfig.default().withDirectory(tempDir('hot-full-')), { store: new MemoryStore() });
    const { bytes } = wasmFile(tempDir('hot-full-wasm-'), 60);
    const hot = new Engine(Config.default(), { cache });
    const module = await hot.compile(bytes);
    const run = runOf(module);
    for (let i = 0; i < 20; i += 1) run(1000);
    await flushUntilSaved(hot, cache);
    expect(hot.stats().artifactsProduced).toBe(1);
    const full = new Engine(Config.default().withArtifactTier('full'), { cache });
    expect(await full.isCached(bytes)).toBe(false);
    expect(await hot.isCached(bytes)).toBe(true);
    await cache.close();
  });

  it('a hot-tier engine loads a full artifact when there is one, and adds nothing to it', async () => {
    const cache = new Cache(CacheConfig.default().withDirectory(tempDir('hot-over-full-')), { store: new MemoryStore() });
    const { bytes } = wasmFile(tempDir('hot-over-full-wasm-'), 50);
    const full = new Engine(Config.default().withArtifactTier('full'), { cache });
    await full.compile(bytes);
    await full.idle();
    expect(full.stats().artifactsProduced).toBe(1);
    const hot = new Engine(Config.default(), { cache });
    expect(await hot.isCached(bytes)).toBe(true);
    // (In one process V8 may hand back the first, lazily compiled module for the same bytes, so code
    // presence is proven across processes, above; here the engine's own accounting is.)
    await hot.compile(new Uint8Array(bytes));
    expect(hot.stats()).toMatchObject({ hits: 1, misses: 0 });
    expect(hot.stats().bytesLoaded).toBeGreaterThan(0);
    expect(cache.hot.size).toBe(0);
    await cache.close();
    expect(hot.stats().artifactsProduced).toBe(0);
  });

  describe('across processes, on a disk cache', () => {
    const work = tempDir('hot-disk-');
    const wasm = wasmFile(work, 150);

    it('the next process loads the saved code (present right after load), and a run adding nothing writes nothing', async () => {
      const cacheDir = join(work, 'cache-close');
      const first = await runChild(process.execPath, [cacheDir, wasm.path, '--tier', 'hot', '--work', '20']);
      expect(first.outcomes).toEqual(['miss']);
      expect(first.serializedAfterLoad).toBe(0);
      expect(first.stats.artifactsProduced).toBe(1); // saved at close()
      const second = await runChild(process.execPath, [cacheDir, wasm.path, '--tier', 'hot', '--work', '20']);
      expect(second.outcomes).toEqual(['hit']);
      expect(second.serializedAfterLoad).toBeGreaterThan(0);
      expect(second.result).toBe(first.result);
      expect(second.stats.artifactsProduced).toBe(0);
    });

    it('a process that exits without close() hands its hot code to a detached writer', async () => {
      const cacheDir = join(work, 'cache-exit');
      const first = await runChild(process.execPath, [cacheDir, wasm.path, '--tier', 'hot', '--work', '20', '--no-close']);
      expect(first.outcomes).toEqual(['miss']);
      expect(await until(() => entryFiles(cacheDir).length === 1, 30_000)).toBe(true);
      const second = await runChild(process.execPath, [cacheDir, wasm.path, '--tier', 'hot']);
      expect(second.outcomes).toEqual(['hit']);
      expect(second.serializedAfterLoad).toBeGreaterThan(0);
      expect(second.result).toBe(first.result);
    });

    it('a snapshot that cannot be handed over at exit is said once, before the process ends (and not under --no-warnings)', async () => {
      for (const [name, flags, said] of [['cache-exit-fails', [], 1], ['cache-exit-fails-quiet', ['--no-warnings'], 0]] as const) {
        const cacheDir = join(work, name);
        mkdirSync(cacheDir, { recursive: true });
        // A file where the folder of the detached writer's job files goes: the hand-over fails at exit.
        writeFileSync(join(cacheDir, '.producers'), 'in the way');
        const ended = await runChild(process.execPath, [cacheDir, wasm.path, '--tier', 'hot', '--work', '20', '--no-close'], [...flags]);
        expect(ended.outcomes).toEqual(['miss']);
        expect(ended.stderr.match(/CACHE_ENGINE_HOT_SNAPSHOT_FAILED/g) ?? []).toHaveLength(said);
        if (said) expect(ended.stderr).toMatch(/CacheWarning: Saving the optimized code .*\.producers/);
        expect(entryFiles(cacheDir)).toEqual([]);
      }
    });

    /** Starts engine-child.mjs, waits for its report, sends `signal`, and resolves how it ended (and how many ms after the signal). */
    function killedChild(args: string[], signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; msAfterSignal: number }> {
      return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [join(import.meta.dirname, 'fixtures', 'engine-child.mjs'), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
        let stdout = '';
        let sent = 0;
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
          const before = stdout;
          stdout += chunk;
          if (!before.includes('}\n') && stdout.includes('}\n')) {
            sent = performance.now();
            child.kill(signal);
          }
        });
        // A process the signal did not end within 20 s is killed, so the test fails instead of hanging.
        const limit = setTimeout(() => child.kill('SIGKILL'), 20_000);
        child.on('error', reject);
        child.on('close', (code, ended) => {
          clearTimeout(limit);
          resolve({ code, signal: ended, stdout, msAfterSignal: performance.now() - sent });
        });
      });
    }

    it('a process ended by SIGTERM (as esbuild stops its service) still hands its hot code over, and still ends by the signal', async () => {
      const cacheDir = join(work, 'cache-sigterm');
      const ended = await killedChild([cacheDir, wasm.path, '--tier', 'hot', '--work', '20', '--no-close', '--await-signal']);
      expect(ended.signal).toBe('SIGTERM');
      expect(ended.code).toBeNull();
      expect(JSON.parse(ended.stdout.trim()).outcomes).toEqual(['miss']);
      expect(await until(() => entryFiles(cacheDir).length === 1, 30_000)).toBe(true);
      const second = await runChild(process.execPath, [cacheDir, wasm.path, '--tier', 'hot']);
      expect(second.outcomes).toEqual(['hit']);
      expect(second.serializedAfterLoad).toBeGreaterThan(0);
    });

    it.each([
      ['own-handler', 'a SIGTERM listener'],
      ['once-handler', 'a `once` SIGTERM listener, registered before anything was compiled (it removes itself before it runs),'],
    ])('a process with its own handler (%s: %s) is left to finish its graceful shutdown: it is not killed, and its exit still saves', async (mode) => {
      const cacheDir = join(work, `cache-${mode}`);
      const ended = await killedChild([cacheDir, wasm.path, '--tier', 'hot', '--work', '20', '--no-close', '--await-signal', mode]);
      expect(ended.signal).toBeNull();
      expect(ended.code).toBe(7);
      expect(ended.stdout).toContain('handled');
      expect(await until(() => entryFiles(cacheDir).length === 1, 30_000)).toBe(true);
    });

    it('a process busy in wasm, with a module tracked for its hot code, is still ended by SIGINT (Ctrl-C) at once, as without the cache', async () => {
      const cacheDir = join(work, 'cache-busy-sigint');
      const ended = await killedChild([cacheDir, wasm.path, '--tier', 'hot', '--work', '20', '--no-close', '--await-signal', 'busy'], 'SIGINT');
      expect(ended.signal).toBe('SIGINT');
      expect(ended.code).toBeNull();
      expect(JSON.parse(ended.stdout.trim()).outcomes).toEqual(['miss']);
      // Whether it saved (it has no chance to) is not the point: the signal ended it, not the 20-s limit.
      expect(ended.msAfterSignal).toBeLessThan(10_000);
    });

    it('a module nothing tiered up for stores nothing and starts no background process', async () => {
      const cacheDir = join(work, 'cache-cold');
      const first = await runChild(process.execPath, [cacheDir, wasm.path, '--tier', 'hot', '--no-close']);
      expect(first.stats.artifactsProduced).toBe(0);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(entryFiles(cacheDir)).toEqual([]);
      expect((await runChild(process.execPath, [cacheDir, wasm.path, '--tier', 'hot'])).outcomes).toEqual(['miss']);
    });

    it('a damaged hot artifact never reaches V8: the process compiles and saves a fresh one', async () => {
      const cacheDir = join(work, 'cache-damaged');
      const first = await runChild(process.execPath, [cacheDir, wasm.path, '--tier', 'hot', '--work', '20']);
      const [entry] = entryFiles(cacheDir);
      if (!entry) throw new Error('no hot artifact was saved');
      const damaged = readFileSync(entry);
      for (let i = damaged.length - 4096; i < damaged.length - 2048; i += 1) damaged[i] = (damaged[i] ?? 0) ^ 0xff;
      writeFileSync(entry, damaged);
      const second = await runChild(process.execPath, [cacheDir, wasm.path, '--tier', 'hot', '--work', '20']);
      expect(second.outcomes).toEqual(['miss']);
      expect(second.serializedAfterLoad).toBe(0);
      expect(second.result).toBe(first.result);
      expect(second.stats.artifactsProduced).toBe(1);
      expect((await runChild(process.execPath, [cacheDir, wasm.path, '--tier', 'hot'])).outcomes).toEqual(['hit']);
    });
  });

  it('node --import @cache/engine/register: WASM_CACHE_ARTIFACT_TIER is checked, and a bad value leaves WebAssembly untouched', async () => {
    const work = tempDir('hot-register-');
    const wasm = wasmFile(work, 40);
    const script = join(import.meta.dirname, 'fixtures', 'register-child.mjs');
    const { stdout, stderr } = await runUnderHook(script, [wasm.path, 'compile'], { WASM_CACHE_DIRECTORY: join(work, 'c'), [ARTIFACT_TIER_ENV]: 'warm' });
    expect(stderr).toContain('WASM_CACHE_ARTIFACT_TIER');
    expect(stderr).toContain('"warm"');
    expect((JSON.parse(stdout) as { stats: unknown }).stats).toBeNull();
  });
});
