import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { serialize as serializeJob } from 'node:v8';
import { createStore, MemoryStore, type Store, type StoreStats } from '@cache/store';
import { SERIALIZED_HEADER_SIZE, serialize } from '@cache/v8';
import { describe, expect, it } from 'vitest';
import { Cache, CacheConfig, Config, decodeArtifact, encodeArtifact, Engine, engineFingerprint, moduleHash, warningChannel, type EngineFingerprint, type WasmNamespace } from '../src/index.js';
import { entryFiles, tempDir, until, wasmFile } from './helpers.js';

const fixture = join(import.meta.dirname, 'fixtures', 'hot-exit-child.mjs');
const packageDir = join(import.meta.dirname, '..');
const wasmApi = (globalThis as unknown as { WebAssembly: WasmNamespace }).WebAssembly;

async function fingerprintNow(): Promise<EngineFingerprint> {
  const found = await engineFingerprint();
  if (!found.ok) throw new Error(found.reason);
  return found.fingerprint;
}

/** Runs a module's `run` export until V8 has optimized code for it (at most 5 s). */
async function tierUp(module: WebAssembly.Module): Promise<void> {
  const run = (new wasmApi.Instance(module, {}) as unknown as { exports: { run(n: number): number } }).exports.run;
  for (let attempt = 0; attempt < 50 && serialize(module).byteLength <= SERIALIZED_HEADER_SIZE; attempt += 1) {
    for (let i = 0; i < 20; i += 1) run(1000);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(serialize(module).byteLength).toBeGreaterThan(SERIALIZED_HEADER_SIZE);
}

/** A hot artifact for a module whose payload is `payloadBytes` long (a V8 header, then filler): only its header is read. */
function hotArtifact(fields: { fingerprintId: string; moduleHash: string; payloadBytes: number }): Uint8Array {
  const payload = new Uint8Array(fields.payloadBytes).fill(0x5a);
  return encodeArtifact({ tier: 'hot', fingerprintId: fields.fingerprintId, compileMs: 1, moduleHash: fields.moduleHash, payload });
}

/** Starts the fixture, waits for its report line, sends SIGTERM, and resolves how it ended (killed after 20 s if the signal did not end it). */
function terminated(args: string[], nodeFlags: string[] = [], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number | null; signal: NodeJS.Signals | null; report: { sigterm: number; tracked: number[] } }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeFlags, fixture, ...args], { cwd: packageDir, env, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const before = stdout;
      stdout += chunk;
      if (!before.includes('\n') && stdout.includes('\n')) child.kill('SIGTERM');
    });
    const limit = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(limit);
      try {
        resolve({ code, signal, report: JSON.parse(stdout.split('\n')[0] ?? '') as { sigterm: number; tracked: number[] } });
      } catch {
        reject(new Error(`the child ended (${signal ?? `code ${code}`}) without a report`));
      }
    });
  });
}

/** Runs the fixture to its end; resolves its exit code, stdout and stderr. */
function ran(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [fixture, ...args], { cwd: packageDir, encoding: 'utf8' }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('the hot tier as a process ends, with several caches and other processes', () => {
  const work = tempDir('hot-exit-');
  const wasm = wasmFile(work, 150);

  it('keeps one SIGTERM and one exit listener for the whole process, however many caches track modules, and none once every one is closed', async () => {
    const before = { SIGTERM: process.listenerCount('SIGTERM'), exit: process.listenerCount('exit') };
    const engines = [0, 1].map(() => new Engine(Config.default().cacheConfig(CacheConfig.default().withDirectory(tempDir('hot-exit-two-')))));
    for (const engine of engines) await engine.compile(wasm.bytes);
    expect(engines.map((engine) => engine.cache.hot.size)).toEqual([1, 1]);
    expect(process.listenerCount('SIGTERM')).toBe(before.SIGTERM + 1);
    const exitWhileTracking = process.listenerCount('exit');
    await engines[0]!.close();
    expect(process.listenerCount('SIGTERM')).toBe(before.SIGTERM + 1); // the other cache still tracks its module
    await engines[1]!.close();
    expect(process.listenerCount('SIGTERM')).toBe(before.SIGTERM);
    // (The disk store keeps one exit listener of its own for the whole process: the hot tier's is the one gone.)
    expect(process.listenerCount('exit')).toBe(exitWhileTracking - 1);
  });

  it('a process with two caches tracking modules, and no SIGTERM listener of its own, still ends by SIGTERM, and both hand their code over', async () => {
    const dirs = [join(work, 'two-a'), join(work, 'two-b')];
    const ended = await terminated([wasm.path, dirs.join(','), 'await-signal']);
    expect(ended.report.tracked).toEqual([1, 1]);
    expect(ended.signal).toBe('SIGTERM');
    expect(ended.code).toBeNull();
    expect(ended.report.sigterm).toBe(1);
    for (const dir of dirs) expect(await until(() => entryFiles(dir).length === 1, 30_000)).toBe(true);
  });

  it('a hooked process (node --import @cache/engine/register) whose application has an Engine of its own still ends by SIGTERM', async () => {
    const other = wasmFile(work, 90, 'other.wasm');
    const hookDir = join(work, 'hooked-hook');
    const ownDir = join(work, 'hooked-own');
    const ended = await terminated([wasm.path, ownDir, 'await-signal', '--hooked', other.path], ['--import', '@cache/engine/register'], { ...process.env, WASM_CACHE_DIRECTORY: hookDir });
    expect(ended.signal).toBe('SIGTERM');
    expect(ended.code).toBeNull();
    expect(ended.report.sigterm).toBe(1); // the hook's copy of the cache and the application's share one listener
    for (const dir of [hookDir, ownDir]) expect(await until(() => entryFiles(dir).length === 1, 30_000)).toBe(true);
  });

  it('a process with a library that re-raises SIGTERM only when its listener is the last (signal-exit) still ends by SIGTERM, its code handed over', async () => {
    const dir = join(work, 'reraise');
    const ended = await terminated([wasm.path, dir, 'await-signal', '--reraise-if-alone']);
    expect(ended.report.sigterm).toBe(2);
    expect(ended.signal).toBe('SIGTERM');
    expect(await until(() => entryFiles(dir).length === 1, 30_000)).toBe(true);
  });

  it('a process that exits while a timer snapshot is being written still hands that code over', async () => {
    const dir = join(work, 'exit-during-put');
    const ended = await ran([wasm.path, dir, 'exit-during-put']);
    expect(ended.stdout).toContain('exit during put');
    expect(ended.code).toBe(0);
    // The put in flight never finished (its store never completes one): the entry is the exit hand-over's.
    expect(await until(() => entryFiles(dir).length === 1, 30_000)).toBe(true);
  });

  it('a full disk at the exit hand-over is left to the store to say: no process says it as it ends', async () => {
    for (const name of ['dev-full-1', 'dev-full-2']) {
      const dir = join(work, name);
      const ended = await ran([wasm.path, dir, 'dev-full']);
      expect(ended.code).toBe(0);
      expect(ended.stderr).not.toMatch(/CACHE_ENGINE_HOT_SNAPSHOT_FAILED|ENOSPC/);
      // The link was written through (ENOSPC), then removed as a job file that could not be written is.
      expect(readdirSync(join(dir, '.producers')).filter((file) => file.endsWith('.deliver'))).toEqual([]);
      expect(entryFiles(dir)).toEqual([]);
    }
    expect(existsSync('/dev/full')).toBe(true);
  });

  it("a snapshot does not replace a larger one another process stored meanwhile (same module and engine); anything else stored under the key is replaced", async () => {
    const fingerprint = await fingerprintNow();
    const cases = [
      { name: 'larger', kept: true, stored: (own: { hash: string; bytes: number }) => hotArtifact({ fingerprintId: fingerprint.id, moduleHash: own.hash, payloadBytes: own.bytes * 2 }) },
      { name: 'damaged', kept: false, stored: (own: { hash: string; bytes: number }) => new Uint8Array(own.bytes * 2).fill(0x33) },
      { name: 'another engine', kept: false, stored: (own: { hash: string; bytes: number }) => hotArtifact({ fingerprintId: 'ab'.repeat(12), moduleHash: own.hash, payloadBytes: own.bytes * 2 }) },
      { name: 'another module', kept: false, stored: (own: { hash: string; bytes: number }) => hotArtifact({ fingerprintId: fingerprint.id, moduleHash: 'cd'.repeat(32), payloadBytes: own.bytes * 2 }) },
    ];
    for (const [index, { name, kept, stored }] of cases.entries()) {
      const store = new MemoryStore();
      const cache = new Cache(CacheConfig.default().withDirectory(tempDir('hot-exit-race-')), { store });
      const engine = new Engine(Config.default(), { cache });
      const { bytes } = wasmFile(tempDir('hot-exit-race-wasm-'), 110 + index);
      const module = await engine.compile(bytes);
      await tierUp(module);
      const key = `${fingerprint.id}.${moduleHash(bytes)}.hot`;
      // Another process that compiled the module at the same time stores first.
      const planted = stored({ hash: moduleHash(bytes), bytes: serialize(module).byteLength });
      await store.put(key, planted);
      await cache.hot.flush();
      const now = await store.get(key);
      expect({ name, kept: now !== undefined && Buffer.from(now).equals(Buffer.from(planted)) }).toEqual({ name, kept });
      expect({ name, produced: engine.stats().artifactsProduced }).toEqual({ name, produced: kept ? 0 : 1 });
      if (!kept) expect(decodeArtifact(now ?? new Uint8Array()).moduleHash).toBe(moduleHash(bytes));
      await cache.close();
    }
  });

  it("the detached writer of a snapshot handed over at exit keeps a larger one another process stored meanwhile, and replaces anything else", async () => {
    const fingerprint = await fingerprintNow();
    const hash = moduleHash(wasm.bytes);
    const key = `${hash}.hot`;
    const cases = [
      { name: 'larger', kept: true, planted: hotArtifact({ fingerprintId: fingerprint.id, moduleHash: hash, payloadBytes: 3000 }) },
      { name: 'delivered not 5% larger', kept: true, planted: hotArtifact({ fingerprintId: fingerprint.id, moduleHash: hash, payloadBytes: 960 }) },
      { name: 'smaller', kept: false, planted: hotArtifact({ fingerprintId: fingerprint.id, moduleHash: hash, payloadBytes: 900 }) },
      { name: 'damaged', kept: false, planted: new Uint8Array(5000).fill(0x33) },
      { name: 'another engine', kept: false, planted: hotArtifact({ fingerprintId: 'ab'.repeat(12), moduleHash: hash, payloadBytes: 3000 }) },
      { name: 'another module', kept: false, planted: hotArtifact({ fingerprintId: fingerprint.id, moduleHash: 'cd'.repeat(32), payloadBytes: 3000 }) },
    ];
    const delivered = hotArtifact({ fingerprintId: fingerprint.id, moduleHash: hash, payloadBytes: 1000 });
    for (const { name, kept, planted } of cases) {
      const dir = tempDir('hot-exit-deliver-');
      const config = CacheConfig.default().withDirectory(dir);
      const open = (): Promise<Store> => createStore(config, { namespace: fingerprint.id });
      const before = await open();
      await before.put(key, planted);
      await before.close();
      // The job a process hands over as it exits (see Cache's putHotAtExit), run by the built writer.
      mkdirSync(join(dir, '.producers'), { recursive: true, mode: 0o700 });
      const jobFile = join(dir, '.producers', 'test.deliver');
      const settings = config.toJSON() as unknown as Record<string, unknown>;
      writeFileSync(jobFile, serializeJob({ type: 'deliver', artifact: delivered, delivery: { kind: 'store', settings, compression: false, namespace: fingerprint.id, key } }));
      const exitCode = await new Promise<number | null>((resolve, reject) => {
        const writer = spawn(process.execPath, [join(packageDir, 'dist', 'producer.js'), jobFile], { stdio: 'ignore', env: { ...process.env, WASM_CACHE_PRODUCER: '1' } });
        writer.on('error', reject);
        writer.on('close', resolve);
      });
      expect({ name, exitCode }).toEqual({ name, exitCode: 0 });
      const after = await open();
      const now = await after.get(key);
      await after.close();
      expect({ name, stored: now && Buffer.from(now).equals(Buffer.from(kept ? planted : delivered)) }).toEqual({ name, stored: true });
    }
  });

  it("a store given to the cache whose statistics lack corruptEntries reports no damage on a hit (no NaN, no warning)", async () => {
    const inner = new MemoryStore();
    // A store written in JavaScript that keeps only the counters it has.
    const store: Store = {
      kind: 'js',
      capabilities: { persistent: false, sharedAcrossProcesses: false },
      get: (key) => inner.get(key),
      put: (key, value) => inner.put(key, value),
      delete: (key) => inner.delete(key),
      has: (key) => inner.has(key),
      keys: () => inner.keys(),
      stats: () => ({ hits: 0, misses: 0 }) as unknown as StoreStats,
      close: async () => undefined,
    };
    const warned: string[] = [];
    const onWarning = (message: unknown): void => {
      warned.push((message as { code: string }).code);
    };
    warningChannel.subscribe(onWarning);
    try {
      const cache = new Cache(CacheConfig.default().withDirectory(tempDir('hot-exit-nan-')), { store });
      const { bytes } = wasmFile(tempDir('hot-exit-nan-wasm-'), 45);
      const full = new Engine(Config.default().withArtifactTier('full'), { cache });
      await full.compile(bytes);
      await full.idle();
      expect(full.stats().artifactsProduced).toBe(1);
      const reader = new Engine(Config.default().withArtifactTier('full'), { cache });
      await reader.compile(new Uint8Array(bytes));
      expect(reader.stats()).toMatchObject({ hits: 1, misses: 0, corruptArtifacts: 0 });
      expect(warned).not.toContain('CACHE_ENGINE_ARTIFACT_DAMAGED');
      await cache.close();
    } finally {
      warningChannel.unsubscribe(onWarning);
    }
  });
});
