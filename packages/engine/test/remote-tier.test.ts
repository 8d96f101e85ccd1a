import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CacheConfigError, RemoteCacheConfig } from '@cache/config';
import { MemoryStore, SignedStore, type PutResult } from '@cache/store';
import { describe, expect, it } from 'vitest';
import { Cache, CacheConfig, CONFIG_FILE_ENV, Config, Engine, engineFingerprint, EngineArgumentError, moduleHash, registerSettings, warningChannel, type WasmNamespace } from '../src/index.js';
import { remoteTierAt } from '../src/remote/register-remote-tier.js';
import { remoteFromEnv, remoteToEnv } from '../src/remote/remote-env.js';
import { REMOTE_RETRY_AFTER_MS, RemoteOutageNote } from '../src/remote/remote-outage.js';
import { runUnderHook, tempDir, wasmFile } from './helpers.js';

const wasm = (globalThis as unknown as { WebAssembly: WasmNamespace }).WebAssembly;

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

describe('a remote tier under the cache’s own disk store (CacheOptions.remoteTier)', () => {
  it('a machine with an empty disk loads what another stored, under keys that carry the fingerprint, and writes it back to its disk', async () => {
    const remote = new MemoryStore();
    const { bytes } = wasmFile(tempDir('remote-tier-wasm-'), 120);
    const first = new Cache(CacheConfig.default().withDirectory(tempDir('remote-tier-a-')), { remoteTier: remote });
    const making = new Engine(Config.default(), { cache: first });
    const run = runOf(await making.compile(bytes));
    for (let i = 0; i < 20; i += 1) run(1000);
    await flushUntilSaved(making, first);
    expect(making.stats()).toMatchObject({ misses: 1, artifactsProduced: 1 });
    await first.close(); // waits for the background write to the remote
    const fp = await engineFingerprint();
    if (!fp.ok) throw new Error(fp.reason);
    const key = `${fp.fingerprint.id}.${moduleHash(bytes)}.hot`;
    expect(await remote.has(key)).toBe(true); // the layout of a store given whole: both ways share entries
    expect(remote.stats().writes).toBe(1);

    const secondDir = tempDir('remote-tier-b-');
    const second = new Cache(CacheConfig.default().withDirectory(secondDir), { remoteTier: remote });
    const loading = new Engine(Config.default(), { cache: second });
    expect(runOf(await loading.compile(new Uint8Array(bytes)))(7)).toBe(run(7));
    expect(loading.stats()).toMatchObject({ hits: 1, misses: 0 });
    await second.close(); // the write-back to this machine's disk has finished
    expect(remote.stats().hits).toBe(1);

    // The remote is not closed by the caches that used it, and the next process on machine b is served by its disk.
    const third = new Cache(CacheConfig.default().withDirectory(secondDir));
    const local = new Engine(Config.default(), { cache: third });
    await local.compile(bytes);
    expect(local.stats()).toMatchObject({ hits: 1, misses: 0 });
    await third.close();
    expect(remote.stats().hits).toBe(1);
    expect(await remote.has(key)).toBe(true);
  });

  it('full tier: the artifact the producer makes reaches the remote tier too, and a machine with an empty disk loads it', async () => {
    const remote = new MemoryStore();
    const { bytes } = wasmFile(tempDir('remote-tier-full-wasm-'), 125);
    const config = (dir: string): Config => Config.default().cacheConfig(CacheConfig.default().withDirectory(dir)).withArtifactTier('full');
    const making = new Engine(config(tempDir('remote-tier-full-a-')), { remoteTier: remote });
    const run = runOf(await making.compile(bytes));
    await making.close(); // waits for the production and the write to the remote
    expect(making.stats()).toMatchObject({ misses: 1, artifactsProduced: 1, producerFailures: 0 });
    const fp = await engineFingerprint();
    if (!fp.ok) throw new Error(fp.reason);
    expect(await remote.has(`${fp.fingerprint.id}.${moduleHash(bytes)}.full`)).toBe(true);

    const loading = new Engine(config(tempDir('remote-tier-full-b-')), { remoteTier: remote });
    expect(runOf(await loading.compile(bytes))(7)).toBe(run(7));
    expect(loading.stats()).toMatchObject({ hits: 1, misses: 0 });
    await loading.close();
  });

  it('full tier, after the signing key is rotated: a machine with the new key produces and replaces the entry its reads refuse', async () => {
    const shared = new MemoryStore();
    const signed = (key: string): SignedStore => new SignedStore(shared, { signingKey: key.repeat(40) });
    const { bytes } = wasmFile(tempDir('remote-tier-rotate-wasm-'), 126);
    const config = (dir: string): Config => Config.default().cacheConfig(CacheConfig.default().withDirectory(dir)).withArtifactTier('full');
    const old = new Engine(config(tempDir('remote-tier-rotate-a-')), { remoteTier: signed('o') });
    await old.compile(bytes);
    await old.close();
    expect(old.stats()).toMatchObject({ artifactsProduced: 1 });

    const warned: string[] = [];
    const onWarning = (message: unknown): void => void warned.push((message as { message: string }).message);
    warningChannel.subscribe(onWarning);
    try {
      const rotated = new Engine(config(tempDir('remote-tier-rotate-b-')), { remoteTier: signed('n') });
      await rotated.compile(bytes);
      await rotated.close();
      // Refused (signed with the old key), then made again and stored over it.
      expect(rotated.stats()).toMatchObject({ misses: 1, corruptArtifacts: 1, artifactsProduced: 1, producerFailures: 0 });
    } finally {
      warningChannel.unsubscribe(onWarning);
    }
    expect(warned.some((message) => /signature made with another key/.test(message) && !/removed/.test(message))).toBe(true);
    const next = new Engine(config(tempDir('remote-tier-rotate-c-')), { remoteTier: signed('n') });
    await next.compile(bytes);
    expect(next.stats()).toMatchObject({ hits: 1, misses: 0 });
    await next.close();
  });

  it('is refused with a store given whole or the memory backend, where it has no disk store to go under, and by an engine given a cache', () => {
    const config = CacheConfig.default().withDirectory(tempDir('remote-tier-bad-'));
    expect(() => new Cache(config, { store: new MemoryStore(), remoteTier: new MemoryStore() })).toThrow(EngineArgumentError);
    expect(() => new Cache(config, { backend: 'memory', remoteTier: new MemoryStore() })).toThrow(/remoteTier/);
    expect(() => new Engine(Config.default().cacheConfig(config), { cache: new Cache(config), remoteTier: new MemoryStore() })).toThrow(EngineArgumentError);
  });
});

describe('registerSettings: the remote tier of @cache/engine/register', () => {
  const work = tempDir('engine-register-remote-');
  const key = 'k'.repeat(40);

  it('has none unless the file has a [wasm-cache.remote] table or WASM_CACHE_REMOTE_URL is set', () => {
    const file = join(work, 'plain.toml');
    writeFileSync(file, '[cache]\ncleanup-interval = "2h"\n');
    expect(registerSettings({ [CONFIG_FILE_ENV]: file, WASM_CACHE_SIGNING_KEY: key }).remote).toBeUndefined();
    const fromEnv = registerSettings({ [CONFIG_FILE_ENV]: file, WASM_CACHE_REMOTE_URL: 'redis://cache.internal:6380', WASM_CACHE_SIGNING_KEY: key }).remote;
    expect(fromEnv?.settings()).toMatchObject({ url: 'redis://cache.internal:6380', signingKey: key });
  });

  it('reads the file’s table, with the environment laid over it, once', () => {
    const file = join(work, 'remote.toml');
    writeFileSync(file, `[cache]\ncleanup-interval = "2h"\n\n[wasm-cache.remote]\nurl = "redis://from-file:6379"\nkey-prefix = "fleet:"\nsigning-key = "${key}"\n`);
    const settings = registerSettings({ [CONFIG_FILE_ENV]: file, WASM_CACHE_REMOTE_URL: 'redis://from-env:6379' });
    expect(settings.cache.cleanupInterval).toBe(2 * 3600_000);
    expect(settings.remote?.settings()).toMatchObject({ url: 'redis://from-env:6379', keyPrefix: 'fleet:' });
  });

  it('refuses an unsigned remote tier unless allowed, naming the setting', () => {
    expect(() => registerSettings({ [CONFIG_FILE_ENV]: '', WASM_CACHE_REMOTE_URL: 'redis://x:6379' })).toThrow(CacheConfigError);
    expect(registerSettings({ [CONFIG_FILE_ENV]: '', WASM_CACHE_REMOTE_URL: 'redis://x:6379', WASM_CACHE_REMOTE_ALLOW_UNSIGNED: 'true' }).remote?.settings().allowUnsigned).toBe(true);
  });
});

describe('@cache/engine/register with a remote tier configured', () => {
  it('without @cache/store-redis next to the application, says so once, by name, and caches on the local disk', async () => {
    const dir = tempDir('engine-register-no-redis-');
    const { path } = wasmFile(dir, 60);
    // This package's folder, where the hook runs here, does not have @cache/store-redis: it is not a dependency.
    const { stdout, stderr } = await runUnderHook(join(import.meta.dirname, 'fixtures', 'register-child.mjs'), [path, 'compile'], {
      WASM_CACHE_DIRECTORY: join(dir, 'cache'),
      WASM_CACHE_REMOTE_URL: 'redis://127.0.0.1:9',
      WASM_CACHE_SIGNING_KEY: 'k'.repeat(40),
      NODE_PATH: '', // pnpm's bin shims (vitest's) list a folder that has every workspace package
    });
    expect(stderr.match(/CACHE_ENGINE_REMOTE_UNAVAILABLE/g), `${stderr}\n${stdout}`).toHaveLength(1);
    expect(stderr).toMatch(/@cache\/store-redis/);
    const report = JSON.parse(stdout) as { result: number; outcomes: string[] };
    expect(report.outcomes).toEqual(['miss']); // cached, locally
    expect(typeof report.result).toBe('number');
  });
});

describe('the hook’s remote tier (remoteTierAt) while another process’s note of an outage is recent', () => {
  /** A tier over a `rediss://` remote with these local files (a signing key in place of a key file when none), in a cache directory with a fresh note; what it warns and what it tries to load. */
  function notedTier(files: { signingKeyFile?: string; tlsCaFile?: string }): { tier: ReturnType<typeof remoteTierAt>; imported: string[] } {
    const base = RemoteCacheConfig.create('rediss://127.0.0.1:9');
    const keyed = files.signingKeyFile === undefined ? base.withSigningKey('k'.repeat(40)) : base.withSigningKeyFile(files.signingKeyFile);
    const remote = (files.tlsCaFile === undefined ? keyed : keyed.withTls({ caFile: files.tlsCaFile })).validate();
    const directory = tempDir('outage-key-cache-');
    new RemoteOutageNote(directory, remote.settings().url).write();
    const imported: string[] = [];
    const importModule = async (url: string): Promise<unknown> => {
      imported.push(url);
      throw new Error('the Redis client is not loaded while the note is recent');
    };
    return { tier: remoteTierAt(remote, 'file:///store-redis/index.js', importModule, directory), imported };
  }

  /** What the tier says on the engine's warning channel (every occurrence, repeats included) while `use` runs. */
  async function saidDuring(use: () => Promise<void>): Promise<Array<{ code: string; message: string }>> {
    const said: Array<{ code: string; message: string }> = [];
    const listen = (message: unknown): void => void said.push(message as { code: string; message: string });
    warningChannel.subscribe(listen);
    try {
      await use();
    } finally {
      warningChannel.unsubscribe(listen);
    }
    return said;
  }

  /** Asserts that a tier with these local files, used while the note is recent, says `fault` once (as opening it would) and loads nothing. */
  async function expectSaidOnce(files: { signingKeyFile?: string; tlsCaFile?: string }, fault: string): Promise<void> {
    const { tier, imported } = notedTier(files);
    const said = await saidDuring(async () => {
      expect(await tier.get('k')).toBeUndefined();
      expect(await tier.put('k', new Uint8Array([1]))).toEqual({ stored: false, reason: 'the remote tier is unavailable' });
      expect(await tier.has('k')).toBe(false);
    });
    expect(said, fault).toEqual([
      {
        code: 'CACHE_ENGINE_REMOTE_UNAVAILABLE',
        message: `@cache/engine/register: a remote cache tier is configured but cannot be used, so the cache is local only: ${fault}.`,
      },
    ]);
    expect(imported).toEqual([]);
  }

  it('says a signing key file that cannot be used, once, with the file and the reason, instead of hiding it behind the skip; it loads nothing and connects nowhere', async () => {
    const work = tempDir('outage-key-');
    const short = join(work, 'short.key');
    writeFileSync(short, 'too-short\n');
    const folder = join(work, 'folder.key');
    mkdirSync(folder);
    const cases = [
      [join(work, 'missing.key'), 'cannot be read (ENOENT)'],
      [folder, 'cannot be read (EISDIR)'],
      [short, 'holds fewer than 32 bytes'],
    ] as const;
    for (const [file, reason] of cases) await expectSaidOnce({ signingKeyFile: file }, `Cannot use the signing key file ${file}: ${reason}`);
  });

  it('with a signing key file that can be used, leaves the tier alone and says why, as before; the file is read once, not at every call', async () => {
    const file = join(tempDir('outage-good-key-'), 'good.key');
    writeFileSync(file, `${'k'.repeat(40)}\n`);
    const { tier, imported } = notedTier({ signingKeyFile: file });
    const said = await saidDuring(async () => {
      expect(await tier.get('k')).toBeUndefined();
      // Gone now: a tier that read it again at each call would say so.
      rmSync(file);
      expect(await tier.get('k')).toBeUndefined();
      expect(await tier.has('k')).toBe(false);
    });
    expect(said.map((warning) => warning.code)).toEqual(['CACHE_ENGINE_REMOTE_SKIPPED', 'CACHE_ENGINE_REMOTE_SKIPPED', 'CACHE_ENGINE_REMOTE_SKIPPED']);
    expect(imported).toEqual([]);
  });

  it('says a TLS CA file that cannot be read, once, with the file and the reason, instead of hiding it behind the skip; it loads nothing and connects nowhere', async () => {
    const work = tempDir('outage-ca-');
    const folder = join(work, 'folder.pem');
    mkdirSync(folder);
    for (const [file, reason] of [
      [join(work, 'missing.pem'), 'cannot be read (ENOENT)'],
      [folder, 'cannot be read (EISDIR)'],
    ] as const) {
      await expectSaidOnce({ tlsCaFile: file }, `Cannot use the TLS CA file ${file}: ${reason}`);
    }
  });

  it('with a TLS CA file that can be read, whatever it holds (an empty one too), leaves the tier alone and says why, as before', async () => {
    const work = tempDir('outage-good-ca-');
    const pem = join(work, 'ca.pem');
    writeFileSync(pem, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    const empty = join(work, 'empty.pem');
    writeFileSync(empty, '');
    for (const file of [pem, empty]) {
      const { tier, imported } = notedTier({ tlsCaFile: file });
      const said = await saidDuring(async () => {
        expect(await tier.get('k')).toBeUndefined();
      });
      expect(said.map((warning) => warning.code), file).toEqual(['CACHE_ENGINE_REMOTE_SKIPPED']);
      expect(imported).toEqual([]);
    }
  });

  it('with a signing key file and a TLS CA file that both cannot be used, says the key file alone, as opening the tier would (it reads that first)', async () => {
    const work = tempDir('outage-both-');
    const { tier } = notedTier({ signingKeyFile: join(work, 'missing.key'), tlsCaFile: join(work, 'missing.pem') });
    const said = await saidDuring(async () => {
      expect(await tier.get('k')).toBeUndefined();
    });
    expect(said.map((warning) => warning.message)).toEqual([
      `@cache/engine/register: a remote cache tier is configured but cannot be used, so the cache is local only: Cannot use the signing key file ${join(work, 'missing.key')}: cannot be read (ENOENT).`,
    ]);
  });
});

describe('the hook’s remote tier (remoteTierAt) noting an outage for the other processes', () => {
  /** A tier whose Redis store answers every put with `result` and every get with a miss, in a cache directory with no note yet. */
  function tierAnsweringPuts(result: PutResult): { tier: ReturnType<typeof remoteTierAt>; note: RemoteOutageNote } {
    const remote = RemoteCacheConfig.create('redis://127.0.0.1:9').withSigningKey('k'.repeat(40)).validate();
    const directory = tempDir('outage-put-cache-');
    const store = new MemoryStore();
    store.put = async () => result;
    const connected = Object.assign(store, { capabilities: { ...store.capabilities, verifiesContent: true } });
    const importModule = async (): Promise<unknown> => ({ connectRemoteTier: async () => connected });
    return { tier: remoteTierAt(remote, 'file:///store-redis/index.js', importModule, directory), note: new RemoteOutageNote(directory, remote.settings().url) };
  }

  it('a write Redis did not answer (timed out, connection lost, refused or not made) is noted, as a failed read is', async () => {
    for (const faultCode of ['ETIMEDOUT', 'ENOTCONNECTED', 'ECONNRESET', 'ECONNREFUSED', 'ENOTFOUND', 'LOADING']) {
      const { tier, note } = tierAnsweringPuts({ stored: false, reason: `Redis ${faultCode}: …`, faultCode });
      expect(note.recent(), faultCode).toBeUndefined();
      expect(await tier.put('k', new Uint8Array([1]))).toEqual({ stored: false, reason: `Redis ${faultCode}: …`, faultCode });
      expect(note.recent(), faultCode).toMatchObject({ pid: process.pid });
    }
  });

  it('a write the server answered with a refusal (OOM, NOPERM), a value refused as too large, and a write stored are not noted: its reads may still serve', async () => {
    const answered: PutResult[] = [
      { stored: false, reason: 'Redis OOM: command not allowed when used memory > maxmemory', faultCode: 'OOM' },
      { stored: false, reason: 'Redis NOPERM: this user has no permissions to run the set command', faultCode: 'NOPERM' },
      { stored: false, reason: 'value of 9 bytes exceeds maxEntryBytes (8)' },
      { stored: true },
    ];
    for (const result of answered) {
      const { tier, note } = tierAnsweringPuts(result);
      expect(await tier.put('k', new Uint8Array([1]))).toEqual(result);
      expect(note.recent(), JSON.stringify(result)).toBeUndefined();
    }
  });
});

describe('the remote tier a detached writer gets (remoteToEnv / remoteFromEnv)', () => {
  it('reads back every setting, secrets, durations and sizes included', () => {
    const remote = RemoteCacheConfig.create('redis://user:pw@cache.internal:6380/2')
      .withKeyPrefix('fleet:')
      .withTtl('2d')
      .withChunkSize('1Mi')
      .withTimeouts(750, '3s')
      .withSigningKey('s'.repeat(40))
      .withMemoryTierSize('64Mi')
      .validate();
    const back = remoteFromEnv(remoteToEnv(remote));
    expect(back?.settings()).toEqual(remote.settings());
  });

  it('is nothing when absent or unreadable', () => {
    expect(remoteFromEnv(undefined)).toBeUndefined();
    expect(remoteFromEnv('{not json')).toBeUndefined();
    expect(remoteFromEnv(JSON.stringify({ url: 'redis://x:1' }))).toBeUndefined(); // unsigned without allowUnsigned: invalid
  });
});

describe('RemoteOutageNote: a remote tier failing, noted for the other hooked processes', () => {
  it('is recent for 30 s after it is written, then stale; one from the future is stale too', () => {
    const note = new RemoteOutageNote(tempDir('outage-'), 'redis://h:1');
    expect(note.recent()).toBeUndefined();
    const at = Date.now();
    note.write(at);
    expect(note.recent(at + 1)).toEqual({ at, pid: process.pid });
    expect(note.recent(at + REMOTE_RETRY_AFTER_MS - 1)).toEqual({ at, pid: process.pid });
    expect(note.recent(at + REMOTE_RETRY_AFTER_MS)).toBeUndefined();
    expect(note.recent(at - 1000)).toBeUndefined();
  });

  it('is one file per server, named by a digest of its URL (which may hold a password)', () => {
    const directory = tempDir('outage-servers-');
    const first = new RemoteOutageNote(directory, 'redis://user:secret@h:1');
    const second = new RemoteOutageNote(directory, 'redis://h:2');
    expect(first.path).not.toBe(second.path);
    expect(first.path).not.toContain('secret');
    first.write();
    expect(first.recent()).toBeDefined();
    expect(second.recent()).toBeUndefined();
  });

  it('a damaged or foreign note is no outage, and a note that cannot be written is no error', () => {
    const directory = tempDir('outage-damaged-');
    const note = new RemoteOutageNote(directory, 'redis://h:1');
    note.write();
    for (const text of ['{"at":', '[]', 'null', '{"at":"now","pid":1}', '{"pid":1}']) {
      writeFileSync(note.path, text);
      expect(note.recent()).toBeUndefined();
    }
    const blocked = join(tempDir('outage-blocked-'), 'file');
    writeFileSync(blocked, 'not a folder');
    const unwritable = new RemoteOutageNote(blocked, 'redis://h:1');
    expect(() => unwritable.write()).not.toThrow();
    expect(unwritable.recent()).toBeUndefined();
  });
});
