import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildWasmModule } from '@cache/wasm-fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore, type RedisStoreOptions } from '../src/index.js';
import { freePort, RedisServer, TLS_CA_FILE } from './redis-server.js';

const member = join(import.meta.dirname, 'fixtures', 'fleet-member.mjs');
const SIGNING_KEY = 'fleet-test-signing-key-0123456789abcdef';

interface MemberReport {
  result: number;
  stats: { hits: number; misses: number; compiles: number; artifactsProduced: number };
  outcomes: string[];
  tiers: Array<{ kind: string; hits: number; writeBacks: number }>;
}

function runMember(args: string[], env: Record<string, string>): Promise<MemberReport> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [member, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 1 << 24 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`fleet member failed (${error.signal ?? error.code}): ${stderr}`));
      resolve(JSON.parse(stdout) as MemberReport);
    });
  });
}

const packageRoot = join(import.meta.dirname, '..');

/** Notes an outage of the server at `url` in a cache directory, moments ago, as a hooked process whose read failed writes it (named by a digest of the URL). */
function noteOutage(cacheDir: string, url: string): void {
  const noteName = `unavailable-${createHash('sha256').update(url).digest('hex').slice(0, 16)}.json`;
  mkdirSync(join(cacheDir, '.remote'), { recursive: true });
  writeFileSync(join(cacheDir, '.remote', noteName), JSON.stringify({ at: Date.now(), pid: 1 }));
}

/** The warnings of one code in a process's stderr, without the pid Node puts before each. */
function warningsIn(stderr: string, code: string): string[] {
  return stderr
    .split('\n')
    .filter((line) => line.includes(`[${code}]`))
    .map((line) => line.slice(line.indexOf(`[${code}]`)));
}

/** Writes a cache file at `file` whose remote tier is `url`, signed, with connect and command timeouts of 1 s (a stopped Redis is met quickly); returns `file`. */
function quickTimeoutsConfig(file: string, url: string): string {
  writeFileSync(file, `[cache]\n\n[wasm-cache.remote]\nurl = "${url}"\nsigning-key = "${SIGNING_KEY}"\nconnect-timeout = "1s"\ncommand-timeout = "1s"\n`);
  return file;
}

interface HookReport {
  result: number;
  hits: number;
  misses: number;
  artifactsProduced: number;
  redisClientLoaded: boolean;
}

/** Runs a fixture in a fresh process (from this package's folder, as an application would) and resolves its report and how long it took; a process that does not end within `timeoutMs` (20 s) fails. */
function runProcess<T>(args: string[], env: Record<string, string>, timeoutMs = 20_000): Promise<{ report: T; ms: number; stderr: string }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { cwd: packageRoot, encoding: 'utf8', env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 1 << 24 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`${args.join(' ')} failed or did not end (${error.signal ?? error.code}): ${stderr}`));
      resolve({ report: JSON.parse(stdout) as T, ms: performance.now() - started, stderr });
    });
  });
}

describe('a fleet sharing compiled artifacts through Redis', () => {
  let server: RedisServer;
  let work: string;
  let wasm: string;
  beforeAll(async () => {
    server = await RedisServer.start();
    work = mkdtempSync(join(tmpdir(), 'fleet-'));
    wasm = join(work, 'module.wasm');
    writeFileSync(wasm, buildWasmModule({ functions: 200 }));
  });
  afterAll(async () => {
    await server.dispose();
    rmSync(work, { recursive: true, force: true });
  });

  /** A configuration file with Wasmtime's [cache] table and our remote tier, under its own key prefix. */
  function remoteConfigFile(name: string, prefix: string): string {
    const file = join(work, name);
    writeFileSync(file, `[cache]\nenabled = true\n\n[wasm-cache.remote]\nurl = "${server.url}"\nkey-prefix = "${prefix}"\nsigning-key = "${SIGNING_KEY}"\n`);
    return file;
  }

  /** How many entries Redis (the fleet's server unless `connection` names another) holds under a key prefix, once it holds any (waiting at most `timeoutMs`). */
  async function entriesInRedis(prefix: string, timeoutMs: number, connection: Pick<RedisStoreOptions, 'url' | 'tls'> = { url: server.url }): Promise<number> {
    const redis = await RedisStore.connect({ ...connection, keyPrefix: prefix });
    try {
      const deadline = Date.now() + timeoutMs;
      while ((await redis.client.keys(`${prefix}m:*`)).length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      return (await redis.client.keys(`${prefix}m:*`)).length;
    } finally {
      await redis.close();
    }
  }

  it('the second machine, with an empty local directory, loads the first one\'s artifact and never compiles', async () => {
    const env = { WASM_CACHE_SIGNING_KEY: SIGNING_KEY };
    const first = await runMember([join(work, 'machine-a'), wasm, server.url, 'fleet:'], env);
    expect(typeof first.result).toBe('number');
    expect(first.stats).toMatchObject({ hits: 0, misses: 1, artifactsProduced: 1 });

    const second = await runMember([join(work, 'machine-b'), wasm, server.url, 'fleet:'], env);
    expect(second.stats).toMatchObject({ hits: 1, misses: 0 });
    expect(second.result).toBe(first.result);
    expect(second.tiers.map((tier) => [tier.kind, tier.hits])).toEqual([['memory', 0], ['disk', 0], ['signed', 1]]);
    expect(second.tiers[1]?.writeBacks).toBe(1); // written back to machine b's disk

    // A third run on machine b is served by its own disk now.
    const third = await runMember([join(work, 'machine-b'), wasm, server.url, 'fleet:'], env);
    expect(third.stats).toMatchObject({ hits: 1, misses: 0 });
    expect(third.tiers.map((tier) => tier.hits)).toEqual([0, 1, 0]);
  });

  it('a machine with another signing key rejects the shared artifacts and compiles for itself', async () => {
    const other = await runMember([join(work, 'machine-c'), wasm, server.url, 'fleet:'], { WASM_CACHE_SIGNING_KEY: 'a-different-key-that-is-long-enough-000' });
    expect(other.stats).toMatchObject({ hits: 0, misses: 1 });
  });

  it('a machine whose Redis is down still compiles and runs, from its local tiers', async () => {
    const dead = `redis://127.0.0.1:${await freePort()}`;
    const env = { WASM_CACHE_SIGNING_KEY: SIGNING_KEY };
    const alone = await runMember([join(work, 'machine-e'), wasm, dead, 'fleet:'], env);
    expect(alone.stats).toMatchObject({ misses: 1, artifactsProduced: 1 });
    const again = await runMember([join(work, 'machine-e'), wasm, dead, 'fleet:'], env);
    expect(again.stats).toMatchObject({ hits: 1, misses: 0 });
    expect(again.tiers.map((tier) => tier.hits)).toEqual([0, 1, 0]);
  });

  it('with node --import @cache/engine/register and the remote tier in the environment, a second machine loads what the first saved', async () => {
    const hookMember = join(import.meta.dirname, 'fixtures', 'hook-member.mjs');
    const env = { WASM_CACHE_REMOTE_URL: server.url, WASM_CACHE_SIGNING_KEY: SIGNING_KEY, NODE_OPTIONS: '' };
    const args = ['--import', '@cache/engine/register', hookMember, wasm];
    // Machine a stays past the hook's first hot snapshot (1 s), which goes to its disk and, in the background, to Redis.
    const first = await runProcess<HookReport>([...args, '1500'], { ...env, WASM_CACHE_DIRECTORY: join(work, 'hook-a') });
    expect(first.report).toMatchObject({ misses: 1, hits: 0, artifactsProduced: 1 });
    expect(first.stderr).not.toMatch(/CacheWarning/);
    // It ended by itself although nothing closed the Redis connection.
    const second = await runProcess<HookReport>([...args, '0'], { ...env, WASM_CACHE_DIRECTORY: join(work, 'hook-b') });
    expect(second.report).toMatchObject({ hits: 1, misses: 0, redisClientLoaded: true });
    expect(second.report.result).toBe(first.report.result);
    // Machine b's next process is served by its own disk (the hit was written back), without loading the Redis client.
    const third = await runProcess<HookReport>([...args, '0'], { ...env, WASM_CACHE_DIRECTORY: join(work, 'hook-b') });
    expect(third.report).toMatchObject({ hits: 1, misses: 0, redisClientLoaded: false });
    const redis = await RedisStore.connect({ url: server.url });
    try {
      const manifests = await redis.client.keys('wasm-cache:m:*');
      expect(manifests.length).toBeGreaterThanOrEqual(1);
    } finally {
      await redis.close();
    }
  });

  it('under the hook, a process shorter than a second shares too: the hot code it saves as it exits reaches Redis through the detached writer, even after the app cleared its environment', async () => {
    const hookMember = join(import.meta.dirname, 'fixtures', 'hook-member.mjs');
    const prefix = 'fleet-exit:';
    const wasmExit = join(work, 'exit.wasm');
    writeFileSync(wasmExit, buildWasmModule({ functions: 150 }));
    const args = ['--import', '@cache/engine/register', hookMember, wasmExit, '0', 'clear-env'];
    // This time from the TOML file's table, which names its own key prefix.
    const viaFile = { WASM_CACHE_CONFIG_FILE: remoteConfigFile('exit.toml', prefix), NODE_OPTIONS: '' };
    const first = await runProcess<HookReport>(args, { ...viaFile, WASM_CACHE_DIRECTORY: join(work, 'exit-a') });
    expect(first.report).toMatchObject({ misses: 1, hits: 0 });
    expect(await entriesInRedis(prefix, 15_000)).toBe(1);
    const second = await runProcess<HookReport>(args, { ...viaFile, WASM_CACHE_DIRECTORY: join(work, 'exit-b') });
    expect(second.report).toMatchObject({ hits: 1, misses: 0 });
    expect(second.report.result).toBe(first.report.result);
  });

  /**
   * A run of hook-member.mjs under the hook with the full tier, on a module of its own, with the remote
   * tier from a TOML file under its own key prefix, in a cache directory given per run.
   */
  function fullTierHookRun(name: string, prefix: string, functions: number): (cacheDir: string) => Promise<{ report: HookReport; stderr: string }> {
    const hookMember = join(import.meta.dirname, 'fixtures', 'hook-member.mjs');
    const wasmFile = join(work, `${name}.wasm`);
    writeFileSync(wasmFile, buildWasmModule({ functions }));
    const env = { WASM_CACHE_CONFIG_FILE: remoteConfigFile(`${name}.toml`, prefix), WASM_CACHE_ARTIFACT_TIER: 'full', NODE_OPTIONS: '' };
    const args = ['--import', '@cache/engine/register', hookMember, wasmFile, '0'];
    return (cacheDir) => runProcess<HookReport>(args, { ...env, WASM_CACHE_DIRECTORY: cacheDir });
  }

  it('under the hook with the full tier, the background producer writes its artifact to Redis as well as the disk', async () => {
    const prefix = 'fleet-full:';
    const run = fullTierHookRun('full', prefix, 90);
    const first = await run(join(work, 'full-a'));
    expect(first.report).toMatchObject({ misses: 1, hits: 0 });
    expect(await entriesInRedis(prefix, 30_000)).toBe(1);
    const second = await run(join(work, 'full-b'));
    expect(second.report).toMatchObject({ hits: 1, misses: 0, redisClientLoaded: true });
  });

  it("under the hook with the full tier, the background producer leaves Redis alone while another process's note of an outage is recent", async () => {
    const prefix = 'fleet-noted:';
    const run = fullTierHookRun('noted', prefix, 95);
    /** Resolves once the detached producer has ended: it removes its lock after both writes, the disk's and the remote's. */
    async function producerDone(cacheDir: string): Promise<boolean> {
      const entries = (dir: string, suffix: string): string[] =>
        existsSync(dir) ? readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith(suffix)) : [];
      for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 100))) {
        if (entries(cacheDir, '.entry').length === 1 && entries(join(cacheDir, '.producers'), '.lock').length === 0) return true;
      }
      return false;
    }
    const notedDir = join(work, 'noted-a');
    noteOutage(notedDir, server.url);
    const noted = await run(notedDir);
    expect(noted.report).toMatchObject({ misses: 1, hits: 0, redisClientLoaded: false });
    expect(noted.stderr).toMatch(/CACHE_ENGINE_REMOTE_SKIPPED/);
    expect(await producerDone(notedDir)).toBe(true);
    expect(await entriesInRedis(prefix, 0)).toBe(0);
    // Without the note, the same production reaches Redis.
    const freshDir = join(work, 'noted-b');
    expect((await run(freshDir)).report).toMatchObject({ misses: 1, hits: 0 });
    expect(await producerDone(freshDir)).toBe(true);
    expect(await entriesInRedis(prefix, 0)).toBe(1);
  });

  it('under the hook, a remote tier that cannot be opened is said once, with what is wrong, and the cache works locally', async () => {
    const hookMember = join(import.meta.dirname, 'fixtures', 'hook-member.mjs');
    const missingKey = join(work, 'no-such.key');
    const run = await runProcess<HookReport>(['--import', '@cache/engine/register', hookMember, wasm, '0'], {
      WASM_CACHE_REMOTE_URL: server.url,
      WASM_CACHE_SIGNING_KEY_FILE: missingKey,
      WASM_CACHE_DIRECTORY: join(work, 'hook-no-key'),
      NODE_OPTIONS: '',
    });
    expect(run.report).toMatchObject({ misses: 1, hits: 0 });
    expect(run.stderr.match(/CACHE_ENGINE_REMOTE_UNAVAILABLE/g)).toHaveLength(1);
    expect(run.stderr).toContain(missingKey);
    expect(run.stderr).not.toMatch(/installed next to/);
  });

  /**
   * Runs the hook twice with `env`, without and with another process's recent note of an outage, and checks
   * that the note hides no unusable local file: `fault` is said once, word for word as when the tier is
   * opened, the tier is not promised back, and Redis is left alone (its client is not even loaded).
   */
  async function expectSaidDespiteNote(label: string, url: string, env: Record<string, string>, fault: string): Promise<void> {
    const hookMember = join(import.meta.dirname, 'fixtures', 'hook-member.mjs');
    const run = (cacheDir: string): Promise<{ report: HookReport; stderr: string }> =>
      runProcess<HookReport>(['--import', '@cache/engine/register', hookMember, wasm, '0'], { ...env, WASM_CACHE_DIRECTORY: cacheDir, NODE_OPTIONS: '' });
    const plain = await run(join(work, `${label}-plain`));
    const notedDir = join(work, `${label}-noted`);
    noteOutage(notedDir, url);
    const noted = await run(notedDir);
    expect(noted.report).toMatchObject({ misses: 1, hits: 0, redisClientLoaded: false });
    const said = warningsIn(noted.stderr, 'CACHE_ENGINE_REMOTE_UNAVAILABLE');
    expect(said, noted.stderr).toHaveLength(1);
    expect(said[0]).toContain(fault);
    expect(said).toEqual(warningsIn(plain.stderr, 'CACHE_ENGINE_REMOTE_UNAVAILABLE'));
    expect(noted.stderr).not.toMatch(/CACHE_ENGINE_REMOTE_SKIPPED/);
  }

  it("under the hook, a signing key file that cannot be used is said while another process's note of an outage is recent, as without one, and Redis is left alone", async () => {
    const shortKey = join(work, 'short.key');
    writeFileSync(shortKey, 'too-short\n');
    for (const [name, keyFile, reason] of [
      ['missing', join(work, 'no-such-noted.key'), 'cannot be read (ENOENT)'],
      ['short', shortKey, 'holds fewer than 32 bytes'],
    ] as const) {
      const env = { WASM_CACHE_REMOTE_URL: server.url, WASM_CACHE_SIGNING_KEY_FILE: keyFile };
      await expectSaidDespiteNote(`key-${name}`, server.url, env, `Cannot use the signing key file ${keyFile}: ${reason}`);
    }
  });

  it("under the hook, a TLS CA file that cannot be read is said while another process's note of an outage is recent, as without one, and Redis is left alone", async () => {
    // A CA file needs rediss://. Neither run connects (the CA file is refused before, or the note keeps the tier shut), so the plain server will do.
    const url = `rediss://127.0.0.1:${server.port}`;
    const folder = join(work, 'ca-folder.pem');
    mkdirSync(folder);
    for (const [name, caFile, reason] of [
      ['missing', join(work, 'no-such-ca.pem'), 'cannot be read (ENOENT)'],
      ['folder', folder, 'cannot be read (EISDIR)'],
    ] as const) {
      const file = join(work, `ca-${name}.toml`);
      writeFileSync(file, `[cache]\n\n[wasm-cache.remote]\nurl = "${url}"\nsigning-key = "${SIGNING_KEY}"\ntls-ca-file = "${caFile}"\n`);
      await expectSaidDespiteNote(`ca-${name}`, url, { WASM_CACHE_CONFIG_FILE: file }, `Cannot use the TLS CA file ${caFile}: ${reason}`);
    }
  });

  it('under the hook, WASM_CACHE_REMOTE_TLS_CA_FILE gives a tier configured by the environment alone its CA file: one that cannot be read is said as a tls-ca-file is', async () => {
    const url = `rediss://127.0.0.1:${server.port}`;
    const caFile = join(work, 'no-such-env-ca.pem');
    const env = { WASM_CACHE_REMOTE_URL: url, WASM_CACHE_SIGNING_KEY: SIGNING_KEY, WASM_CACHE_REMOTE_TLS_CA_FILE: caFile };
    await expectSaidDespiteNote('ca-env', url, env, `Cannot use the TLS CA file ${caFile}: cannot be read (ENOENT)`);
  });

  it("under the hook, WASM_CACHE_REMOTE_TLS_CA_FILE lets a tier configured by the environment alone share through a rediss:// server a private authority certified; without it, the server's certificate does not verify: a miss, said once, no crash", async () => {
    const tls = await RedisServer.startTls();
    try {
      const hookMember = join(import.meta.dirname, 'fixtures', 'hook-member.mjs');
      const wasmTls = join(work, 'tls.wasm');
      writeFileSync(wasmTls, buildWasmModule({ functions: 70 }));
      // No configuration file: the environment alone, so the default key prefix. Each process has an empty cache directory of its own.
      const env = { WASM_CACHE_REMOTE_URL: tls.url, WASM_CACHE_SIGNING_KEY: SIGNING_KEY, NODE_OPTIONS: '' };
      const trusting = { WASM_CACHE_REMOTE_TLS_CA_FILE: TLS_CA_FILE };
      const run = (cacheDir: string, ca: Record<string, string>): Promise<{ report: HookReport; stderr: string }> =>
        runProcess<HookReport>(['--import', '@cache/engine/register', hookMember, wasmTls, '0'], { ...env, ...ca, WASM_CACHE_DIRECTORY: join(work, cacheDir) });
      // The first misses; what it saves as it exits reaches Redis over TLS.
      const first = await run('tls-a', trusting);
      expect(first.report).toMatchObject({ misses: 1, hits: 0 });
      expect(first.stderr).not.toMatch(/Cache(Store)?Warning/);
      expect(await entriesInRedis('wasm-cache:', 15_000, { url: tls.url, tls: { ca: readFileSync(TLS_CA_FILE) } })).toBe(1);
      // The second, with nothing on its disk, is served by Redis.
      const second = await run('tls-b', trusting);
      expect(second.report).toMatchObject({ hits: 1, misses: 0, redisClientLoaded: true });
      expect(second.report.result).toBe(first.report.result);
      expect(second.stderr).not.toMatch(/Cache(Store)?Warning/);
      // The same without the variable trusts only the usual authorities: it compiles, runs and ends, and says why once.
      const untrusting = await run('tls-c', {});
      expect(untrusting.report).toMatchObject({ hits: 0, misses: 1, redisClientLoaded: true });
      expect(untrusting.report.result).toBe(first.report.result);
      const refused = warningsIn(untrusting.stderr, 'WASM_CACHE_STORE_SELF_SIGNED_CERT_IN_CHAIN');
      expect(refused[0]).toMatch(/certificate/);
      // Said once and nothing else from the store: its read, turned away while the connection is refused, is that refusal.
      expect(untrusting.stderr.match(/\[WASM_CACHE_STORE_\w+\]/g), untrusting.stderr).toEqual(['[WASM_CACHE_STORE_SELF_SIGNED_CERT_IN_CHAIN]']);
    } finally {
      await tls.dispose();
    }
  });

  it('under the hook, a Redis that is down costs a process nothing but the cache it would have shared: it compiles, runs and ends', async () => {
    const hookMember = join(import.meta.dirname, 'fixtures', 'hook-member.mjs');
    const dead = `redis://127.0.0.1:${await freePort()}`;
    const run = await runProcess<HookReport>(['--import', '@cache/engine/register', hookMember, wasm, '0'], {
      WASM_CACHE_REMOTE_URL: dead,
      WASM_CACHE_SIGNING_KEY: SIGNING_KEY,
      WASM_CACHE_DIRECTORY: join(work, 'hook-dead'),
      NODE_OPTIONS: '',
    });
    expect(run.report).toMatchObject({ misses: 1, hits: 0 });
    expect(run.ms).toBeLessThan(10_000); // reconnection attempts do not hold it open
  });

  it('under the hook, a Redis that stops answering is waited for by one process, not by each: the next ones on the machine leave it alone for 30 s, then use it again', async () => {
    const hookMember = join(import.meta.dirname, 'fixtures', 'hook-member.mjs');
    const frozen = await RedisServer.start();
    try {
      const file = quickTimeoutsConfig(join(work, 'frozen.toml'), frozen.url);
      const cacheDir = join(work, 'frozen-cache');
      const env = { WASM_CACHE_CONFIG_FILE: file, WASM_CACHE_DIRECTORY: cacheDir, NODE_OPTIONS: '' };
      // Three modules: each process misses on the shared disk, so each would go to Redis.
      const modules = [110, 120, 130].map((functions) => {
        const path = join(work, `frozen-${functions}.wasm`);
        writeFileSync(path, buildWasmModule({ functions }));
        return path;
      });
      const run = (module: string): Promise<{ report: HookReport; stderr: string }> => runProcess<HookReport>(['--import', '@cache/engine/register', hookMember, module, '0'], env);

      frozen.pause();
      const first = await run(modules[0]!);
      expect(first.report).toMatchObject({ misses: 1, hits: 0, redisClientLoaded: true });
      const notes = readdirSync(join(cacheDir, '.remote')).filter((name) => name.endsWith('.json'));
      expect(notes).toHaveLength(1);
      const notePath = join(cacheDir, '.remote', notes[0]!);
      const note = JSON.parse(readFileSync(notePath, 'utf8')) as { at: number; pid: number };
      expect(note.at).toBeLessThanOrEqual(Date.now());
      // The next process does not load the Redis client, let alone wait for it; it says why, once.
      const second = await run(modules[1]!);
      expect(second.report).toMatchObject({ misses: 1, hits: 0, redisClientLoaded: false });
      expect(second.stderr.match(/CACHE_ENGINE_REMOTE_SKIPPED/g)).toHaveLength(1);
      expect(second.stderr).toContain(`pid ${note.pid}`);

      // Redis is back, and the note is older than the period: the tier is used again.
      frozen.resume();
      const aged = Date.now() - 31_000;
      writeFileSync(notePath, JSON.stringify({ at: aged, pid: note.pid }));
      const third = await run(modules[2]!);
      expect(third.report).toMatchObject({ misses: 1, hits: 0, redisClientLoaded: true });
      expect(third.stderr).not.toMatch(/CACHE_ENGINE_REMOTE_SKIPPED/);
      // Its read was answered: no new outage noted.
      expect((JSON.parse(readFileSync(notePath, 'utf8')) as { at: number }).at).toBe(aged);
    } finally {
      await frozen.dispose();
    }
  });

  it('under the hook, a write a stopped Redis does not answer is noted as a failed read is: a process whose only call to Redis is saving what it made hot waits for it, the next ones leave it alone', async () => {
    const hookMember = join(import.meta.dirname, 'fixtures', 'hook-member.mjs');
    const frozen = await RedisServer.start();
    try {
      const file = quickTimeoutsConfig(join(work, 'frozen-write.toml'), frozen.url);
      const cacheDir = join(work, 'frozen-write-cache');
      const module = join(work, 'frozen-write.wasm');
      writeFileSync(module, buildWasmModule({ functions: 140 }));
      // The disk holds the module's code with only f0 optimized (no remote tier in that run): the next run's
      // load is a disk hit, and Redis's only call in it is the write of the larger code it makes hot.
      // It stays past its 1-s snapshot, which it writes itself: one handed to a detached writer at exit might not be
      // on the disk yet when the next run starts.
      const seeded = await runProcess<HookReport>(['--import', '@cache/engine/register', hookMember, module, '1500', 'keep-env', 'f0'], { WASM_CACHE_DIRECTORY: cacheDir, NODE_OPTIONS: '' });
      expect(seeded.report).toMatchObject({ misses: 1, artifactsProduced: 1, redisClientLoaded: false });
      const env = { WASM_CACHE_CONFIG_FILE: file, WASM_CACHE_DIRECTORY: cacheDir, NODE_OPTIONS: '' };
      const run = (wasmFile: string): Promise<{ report: HookReport; stderr: string }> => runProcess<HookReport>(['--import', '@cache/engine/register', hookMember, wasmFile, '1500'], env);

      frozen.pause();
      const first = await run(module);
      expect(first.report, first.stderr).toMatchObject({ hits: 1, misses: 0 });
      expect(first.report.artifactsProduced).toBeGreaterThanOrEqual(1); // the larger code, saved (on the disk)
      // Saved by its 1-s snapshot, or, when V8 optimized later than that, at its exit by the detached writer it
      // started, which writes to Redis too: whichever met the fault notes it.
      const notesIn = (): string[] => (existsSync(join(cacheDir, '.remote')) ? readdirSync(join(cacheDir, '.remote')).filter((name) => name.endsWith('.json')) : []);
      for (const deadline = Date.now() + 15_000; notesIn().length === 0 && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 100));
      const notes = notesIn();
      expect(notes).toHaveLength(1);
      const note = JSON.parse(readFileSync(join(cacheDir, '.remote', notes[0]!), 'utf8')) as { at: number; pid: number };
      // The next process, which misses on the disk and would read Redis, does not load the Redis client, let alone
      // wait for it; it says why, once.
      const other = join(work, 'frozen-write-other.wasm');
      writeFileSync(other, buildWasmModule({ functions: 150 }));
      const second = await run(other);
      expect(second.report).toMatchObject({ hits: 0, misses: 1, redisClientLoaded: false });
      expect(second.stderr.match(/CACHE_ENGINE_REMOTE_SKIPPED/g)).toHaveLength(1);
      expect(second.stderr).toContain(`pid ${note.pid}`);
    } finally {
      await frozen.dispose();
    }
  });

  it('a RedisStore with keepProcessAlive: false lets an unclosed process end, after its calls are answered', async () => {
    const client = join(import.meta.dirname, 'fixtures', 'unclosed-client.mjs');
    const live = await runProcess<{ connected: boolean; stored: boolean; got: number[] | null }>([client, server.url], {});
    expect(live.report).toEqual({ connected: true, stored: true, got: [1, 2, 3] });
    const down = await runProcess<{ connected: boolean; stored: boolean; got: number[] | null }>([client, `redis://127.0.0.1:${await freePort()}`], {});
    expect(down.report).toEqual({ connected: false, stored: false, got: null });
  });

  it('a RedisStore with keepProcessAlive: false whose Redis accepts connections but never answers (SIGSTOP) lets an unclosed process end once its read misses, and says why once, naming the server', async () => {
    const client = join(import.meta.dirname, 'fixtures', 'frozen-client.mjs');
    const frozen = await RedisServer.start(['--requirepass', 'frozen-password']);
    try {
      frozen.pause();
      // [URL, connect timeout, command timeout]: the defaults' command timeout; then a password and a database, with a
      // command timeout shorter than the connect timeout, so the handshake's AUTH times out first.
      const cases = [
        [frozen.url, 1000, 5000],
        [`redis://:frozen-password@127.0.0.1:${frozen.port}/2`, 3000, 500],
      ] as const;
      for (const [url, connectTimeoutMs, commandTimeoutMs] of cases) {
        // It must end by itself well before its handshake's timers would have let it (each command timeout, then
        // ioredis's 2 s wait to close): within the connect and command timeouts together, or it is killed and fails.
        const run = await runProcess<{ connected: boolean; got: unknown; errors: number }>(
          [client, url, String(connectTimeoutMs), String(commandTimeoutMs)],
          {},
          connectTimeoutMs + commandTimeoutMs,
        );
        expect(run.report, url).toMatchObject({ connected: false, got: 'undefined' });
        // The cause is said, once: a server that accepted the connection and did not answer, named (its password never).
        expect(run.stderr.match(/\[WASM_CACHE_STORE_\w+\]/g), run.stderr).toEqual(['[WASM_CACHE_STORE_ETIMEDOUT]']);
        const [said] = warningsIn(run.stderr, 'WASM_CACHE_STORE_ETIMEDOUT');
        expect(said).toContain(`Redis at ${url.replace('frozen-password', '***')} accepted the connection but did not answer within ${Math.min(connectTimeoutMs, commandTimeoutMs)} ms`);
        expect(run.stderr).not.toContain('frozen-password');
      }
    } finally {
      await frozen.dispose();
    }
  });

  it('refuses an unsigned remote tier unless it is allowed explicitly', async () => {
    await expect(runMember([join(work, 'machine-d'), wasm, server.url, 'fleet-unsigned:'], { WASM_CACHE_SIGNING_KEY: '' })).rejects.toThrow(/signing key/);
    const allowed = await runMember([join(work, 'machine-d'), wasm, server.url, 'fleet-unsigned:'], { WASM_CACHE_SIGNING_KEY: '', WASM_CACHE_REMOTE_ALLOW_UNSIGNED: '1' });
    expect(allowed.stats).toMatchObject({ misses: 1 });
    const redis = await RedisStore.connect({ url: server.url, keyPrefix: 'fleet-unsigned:' });
    try {
      expect((await redis.client.keys('fleet-unsigned:m:*')).length).toBe(1);
    } finally {
      await redis.close();
    }
  });
});
