import diagnostics from 'node:diagnostics_channel';
import { RemoteCacheConfig } from '@cache/config';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectRemoteTier, InvalidRedisOptionError, RedisLayout, RedisStore, resolveRedisOptions, type RedisStoreOptions } from '../src/index.js';
import { CHANNELS, type MissMessage, type PutResult } from '@cache/store';
import { expectTurnedAway, pseudoRandom, until, warningsDuring } from './helpers.js';
import { freePort, RedisServer } from './redis-server.js';

const open: RedisStore[] = [];
function store(options: RedisStoreOptions): RedisStore {
  const made = new RedisStore({ reconnectMaxDelayMs: 50, connectTimeoutMs: 500, ...options });
  open.push(made);
  return made;
}
afterEach(async () => {
  for (const made of open.splice(0)) await made.close();
});

/** Puts until one is stored (the client reconnects in the background). */
async function putEventually(target: RedisStore, key: string, value: Uint8Array): Promise<void> {
  await until(async () => (await target.put(key, value)).stored);
}

describe('RedisStore faults against a real redis-server', () => {
  it('starts while Redis is down, misses and refuses writes quietly, warns once, recovers when Redis starts, and says a later, different fault', async () => {
    const server = await RedisServer.start();
    await server.stop();
    try {
      const redis = store({ url: server.url, keyPrefix: 'down:', commandTimeoutMs: 200 });
      const warnings = await warningsDuring(async () => {
        expect(await redis.ready(100)).toBe(false);
        await expectTurnedAway(redis, 5);
      });
      // One outage, said once: the refused connection and the calls turned away while it is down are one fault.
      expect(warnings.map((w) => w.code)).toEqual(['WASM_CACHE_STORE_ECONNREFUSED']);
      expect(redis.stats().errors).toBeGreaterThanOrEqual(15);
      expect(redis.stats().misses).toBe(5);

      await server.start();
      await putEventually(redis, 'k', Buffer.from('after start'));
      expect(Buffer.from((await redis.get('k')) ?? []).toString()).toBe('after start');

      // Back, then a server that stops answering: another cause than the refused connection, so it is said.
      server.pause();
      const later = await warningsDuring(async () => {
        expect(await redis.get('k')).toBeUndefined();
      });
      server.resume();
      expect(later.map((w) => w.code)).toEqual(['WASM_CACHE_STORE_ETIMEDOUT']);
    } finally {
      await server.dispose();
    }
  });

  it('a call made while the first connection attempt is in flight waits for it: the refusal is said, not "not connected"', async () => {
    const server = await RedisServer.start();
    await server.stop();
    try {
      const warnings = await warningsDuring(async () => {
        const redis = store({ url: server.url, keyPrefix: 'first-attempt:' });
        // At once, while the client is still connecting.
        expect(redis.client.status).toBe('connecting');
        const [read, written, held] = await Promise.all([redis.get('k'), redis.put('k', Buffer.from('v')), redis.has('k')]);
        expect(read).toBeUndefined();
        expect(written.stored).toBe(false);
        expect(held).toBe(false);
        expect(await redis.get('k')).toBeUndefined();
      });
      expect(warnings.map((w) => w.code)).toEqual(['WASM_CACHE_STORE_ECONNREFUSED']);
    } finally {
      await server.dispose();
    }
  });

  it('a wrong password met once the server is back after an outage is still said (it is not the outage)', async () => {
    const server = await RedisServer.start(['--user', 'default', 'off', '--user', 'cache', 'on', '>right-password', '~*', '+@all']);
    await server.stop();
    let onDispose = (): void => undefined;
    try {
      const redis = store({ url: server.url.replace('redis://', 'redis://cache:wrong-password@'), keyPrefix: 'auth-after-outage:' });
      const faultCodes: string[] = [];
      const onFault = (message: unknown): void => void faultCodes.push((message as { code: string }).code);
      diagnostics.subscribe('cache:store:fault', onFault);
      onDispose = () => diagnostics.unsubscribe('cache:store:fault', onFault);
      const warnings = await warningsDuring(async () => {
        expect(await redis.ready(100)).toBe(false);
        expect(await redis.get('k')).toBeUndefined();
        await server.start();
        // Until the client has reconnected and been refused (counted and published whether said or not).
        await until(async () => {
          await redis.get('k');
          return faultCodes.includes('WRONGPASS');
        }, 50);
      });
      const codes = warnings.map((w) => w.code);
      expect(codes.filter((code) => code === 'WASM_CACHE_STORE_ECONNREFUSED' || code === 'WASM_CACHE_STORE_ENOTCONNECTED')).toHaveLength(1);
      expect(codes).toContain('WASM_CACHE_STORE_WRONGPASS');
    } finally {
      onDispose();
      await server.dispose();
    }
  });

  it('survives the server being killed mid-run (SIGKILL) and reconnects when it is restarted on the same port', async () => {
    const server = await RedisServer.start();
    try {
      const redis = store({ url: server.url, keyPrefix: 'kill:' });
      await redis.ready(5000);
      const value = pseudoRandom(3 * 1024 * 1024, 'kill');
      expect((await redis.put('a', value)).stored).toBe(true);

      // Kill while a multi-chunk put and get are in flight.
      const inFlight = Promise.all([redis.put('b', value), redis.get('a')]);
      await server.stop('SIGKILL');
      const [put, read] = await inFlight;
      expect(put.stored === true || put.stored === false).toBe(true);
      expect(read === undefined || Buffer.from(read).equals(value)).toBe(true);

      expect(await redis.get('a')).toBeUndefined();
      expect((await redis.put('c', value)).stored).toBe(false);

      await server.start();
      await putEventually(redis, 'c', value);
      expect(Buffer.from((await redis.get('c')) ?? []).equals(value)).toBe(true);
    } finally {
      await server.dispose();
    }
  });

  it('a server paused (SIGSTOP) before the store connects: the first call waits at most the connect timeout, the cause is said once as a server that accepted the connection and did not answer, and the store recovers, in its database, when it answers', async () => {
    for (const keepProcessAlive of [false, true]) {
      const server = await RedisServer.start();
      try {
        server.pause();
        const connectTimeoutMs = 300;
        const redis = store({ url: `${server.url}/2`, keyPrefix: 'frozen-start:', connectTimeoutMs, commandTimeoutMs: 5000, keepProcessAlive });
        let firstCallMs = 0;
        const warnings = await warningsDuring(async () => {
          const started = performance.now();
          expect(await redis.get('k')).toBeUndefined();
          firstCallMs = performance.now() - started;
          // Later calls are turned away at once, said as the same outage.
          await expectTurnedAway(redis, 2);
          // Several more attempts meet the frozen server (each given up at its deadline), still said once.
          await new Promise((resolve) => setTimeout(resolve, 4 * connectTimeoutMs));
        });
        // The connect timeout, not a command timeout (5 s) nor a second more: the bound leaves room for a loaded machine.
        expect(firstCallMs).toBeLessThan(connectTimeoutMs + 700);
        expect(warnings.map((w) => w.code)).toEqual(['WASM_CACHE_STORE_ETIMEDOUT']);
        expect(warnings[0]?.message).toContain(`Redis at ${server.url}/2 accepted the connection but did not answer within ${connectTimeoutMs} ms`);
        expect(redis.connected).toBe(false);

        server.resume();
        await putEventually(redis, 'k', Buffer.from('after thaw'));
        expect(redis.connected).toBe(true);
        expect(Buffer.from((await redis.get('k')) ?? []).toString()).toBe('after thaw');
        const zero = store({ url: server.url });
        expect(await zero.ready(5000)).toBe(true);
        expect(await zero.client.dbsize()).toBe(0); // in database 2 only
      } finally {
        for (const made of open.splice(0)) await made.close(); // before the server goes: the next round hears nothing of these
        await server.dispose();
      }
    }
  });

  it('a put a paused server (SIGSTOP) does not answer is not stored for the fault ETIMEDOUT, as its put result says', async () => {
    const server = await RedisServer.start();
    try {
      const redis = store({ url: server.url, keyPrefix: 'pause-put:', commandTimeoutMs: 200 });
      expect(await redis.ready(5000)).toBe(true);
      server.pause();
      const put = await redis.put('k', Buffer.from('while paused'));
      server.resume();
      expect(put).toMatchObject({ stored: false, faultCode: 'ETIMEDOUT', reason: expect.stringMatching(/^Redis ETIMEDOUT: /) });
      expect(redis.stats().errors).toBe(1);
    } finally {
      await server.dispose();
    }
  });

  it('times out against a paused server (SIGSTOP), never hangs, and recovers after SIGCONT', async () => {
    const server = await RedisServer.start();
    try {
      const redis = store({ url: server.url, keyPrefix: 'pause:', commandTimeoutMs: 200 });
      await redis.ready(5000);
      expect((await redis.put('k', Buffer.from('before'))).stored).toBe(true);
      server.pause();
      const warnings = await warningsDuring(async () => {
        expect(await redis.get('k')).toBeUndefined();
        // Later calls fail at once instead of each waiting for the timeout (counted, not timed).
        const sent = redis.stats().errors;
        for (let i = 0; i < 3; i++) {
          const put = await redis.put('k2', Buffer.from('while paused'));
          expect(put).toMatchObject({ stored: false, faultCode: 'ETIMEDOUT' });
          if (!put.stored) expect(put.reason).toMatch(/ETIMEDOUT/);
        }
        expect(redis.stats().errors - sent).toBe(3);
      });
      expect(warnings.filter((w) => w.code === 'WASM_CACHE_STORE_ETIMEDOUT')).toHaveLength(1);
      server.resume();
      await until(async () => Buffer.from((await redis.get('k')) ?? []).toString() === 'before');
      expect((await redis.put('k2', Buffer.from('after resume'))).stored).toBe(true);
      expect(Buffer.from((await redis.get('k2')) ?? []).toString()).toBe('after resume');
    } finally {
      await server.dispose();
    }
  });

  it('reports OOM from maxmemory + noeviction as not stored, once, and leaves no orphan chunks', async () => {
    const server = await RedisServer.start(['--maxmemory', '3mb', '--maxmemory-policy', 'noeviction']);
    try {
      const redis = store({ url: server.url, keyPrefix: 'oom:', chunkBytes: 256 * 1024 });
      await redis.ready(5000);
      expect((await redis.put('small', Buffer.from('fits'))).stored).toBe(true);
      let results: PutResult[] = [];
      const warnings = await warningsDuring(async () => {
        results = await Promise.all([1, 2, 3].map((i) => redis.put(`big-${i}`, pseudoRandom(4 * 1024 * 1024, `oom-${i}`))));
      });
      // The server answered, refusing the write: a fault of its own code, not one of a server that is away.
      for (const result of results) expect(result).toMatchObject({ stored: false, reason: expect.stringMatching(/OOM/), faultCode: 'OOM' });
      expect(warnings.filter((w) => w.code === 'WASM_CACHE_STORE_OOM')).toHaveLength(1);
      expect(await redis.get('big-1')).toBeUndefined();
      expect(Buffer.from((await redis.get('small')) ?? []).toString()).toBe('fits');
      await until(async () => (await redis.client.keys('oom:c:*')).length === 1); // only the small entry's chunk
    } finally {
      await server.dispose();
    }
  });
});

describe('RedisStore entries', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await RedisServer.start();
  });
  afterAll(() => server.dispose());

  it('treats an evicted chunk as a miss, not as damage, and removes the rest of the entry', async () => {
    const redis = store({ url: server.url, keyPrefix: 'evict:', chunkBytes: 64 * 1024 });
    await redis.ready(5000);
    await redis.put('k', pseudoRandom(300 * 1024, 'evict'));
    const chunks = await redis.client.keys('evict:c:*');
    expect(chunks).toHaveLength(5);
    await redis.client.del(chunks[2] ?? '');
    expect(await redis.get('k')).toBeUndefined();
    expect(redis.stats().corruptEntries).toBe(0);
    expect(redis.stats().evictions).toBe(1);
    await until(async () => (await redis.client.keys('evict:*')).length === 0);
  });

  it('rejects a damaged chunk, a chunk of the wrong length and a manifest moved to another key', async () => {
    const redis = store({ url: server.url, keyPrefix: 'damage:', chunkBytes: 64 * 1024 });
    await redis.ready(5000);
    const value = pseudoRandom(200 * 1024, 'damage');
    await redis.put('flip', value);
    const [flipChunk] = await redis.client.keys('damage:c:*');
    const bytes = (await redis.client.getBuffer(flipChunk ?? '')) ?? Buffer.alloc(0);
    bytes[100] = (bytes[100] ?? 0) ^ 0xff;
    await redis.client.set(flipChunk ?? '', bytes);
    expect(await redis.get('flip')).toBeUndefined();

    await redis.put('short', value);
    const shortChunks = (await redis.client.keys('damage:c:*')).filter((name) => name !== flipChunk);
    await redis.client.set(shortChunks[0] ?? '', Buffer.from('short'));
    expect(await redis.get('short')).toBeUndefined();

    await redis.put('x', Buffer.from('value of x'));
    const layout = new RedisLayout('damage:');
    const manifestOfX = await redis.client.get(layout.manifestKey('x'));
    await redis.client.set(layout.manifestKey('y'), manifestOfX ?? '');
    expect(await redis.get('y')).toBeUndefined();
    expect(Buffer.from((await redis.get('x')) ?? []).toString()).toBe('value of x');
    expect(redis.stats().corruptEntries).toBe(3);
  });

  it('removes an unreadable manifest only if it is still the one read: a put that replaced it meanwhile is kept, chunks and all', async () => {
    const reader = store({ url: server.url, keyPrefix: 'race:' });
    const writer = store({ url: server.url, keyPrefix: 'race:' });
    await Promise.all([reader.ready(5000), writer.ready(5000)]);
    const layout = new RedisLayout('race:');
    await writer.client.set(layout.manifestKey('k'), '{"format":1,"damaged');
    // The reader's reply for the manifest arrives only once the writer has stored a fresh value (another process's put).
    const fresh = Buffer.from('fresh valid value');
    const client = reader.client as unknown as Record<'get' | 'getBuffer', (name: string) => Promise<unknown>>;
    for (const method of ['get', 'getBuffer'] as const) {
      const real = client[method].bind(client);
      client[method] = async (name) => {
        const reply = await real(name);
        expect(await writer.put('k', fresh)).toEqual({ stored: true });
        return reply;
      };
    }
    expect(await reader.get('k')).toBeUndefined();
    expect(reader.stats().corruptEntries).toBe(1);
    await reader.close(); // waits for its background removals
    expect(Buffer.from((await writer.get('k')) ?? []).equals(fresh)).toBe(true);
    expect(await writer.client.keys('race:c:*')).toHaveLength(1);
  });

  it('leaves alone a manifest of another (newer) format: a miss, not damage, and not removed', async () => {
    const redis = store({ url: server.url, keyPrefix: 'format:' });
    await redis.ready(5000);
    const layout = new RedisLayout('format:');
    const newer = JSON.stringify({ format: 2, key: 'k', version: 'v', size: 3, chunkSize: 4, checksumKind: 1, checksums: ['00'], extra: 1 });
    await redis.client.set(layout.manifestKey('k'), newer);
    const misses: MissMessage[] = [];
    const onMiss = (message: unknown): void => void misses.push(message as MissMessage);
    diagnostics.subscribe(CHANNELS.miss, onMiss);
    try {
      expect(await redis.get('k')).toBeUndefined();
    } finally {
      diagnostics.unsubscribe(CHANNELS.miss, onMiss);
    }
    expect(misses.map((message) => message.reason)).toEqual(['other-version']);
    expect(redis.stats()).toMatchObject({ misses: 1, corruptEntries: 0 });
    await redis.close();
    const other = store({ url: server.url, keyPrefix: 'format:' });
    await other.ready(5000);
    expect(await other.client.get(layout.manifestKey('k'))).toBe(newer);
  });

  it('a manifest larger than maxEntryBytes is a too-large miss, read no further: no chunk fetched, nothing removed; the store that wrote it reads it', async () => {
    const writer = store({ url: server.url, keyPrefix: 'limit:', chunkBytes: 64 * 1024, maxEntryBytes: 4 * 1024 * 1024 });
    const reader = store({ url: server.url, keyPrefix: 'limit:', maxEntryBytes: 1024 * 1024 });
    await Promise.all([writer.ready(5000), reader.ready(5000)]);
    const value = pseudoRandom(2 * 1024 * 1024, 'limit');
    expect(await writer.put('big', value)).toEqual({ stored: true });
    const misses: MissMessage[] = [];
    const onMiss = (message: unknown): void => void misses.push(message as MissMessage);
    diagnostics.subscribe(CHANNELS.miss, onMiss);
    try {
      expect(await reader.get('big')).toBeUndefined();
    } finally {
      diagnostics.unsubscribe(CHANNELS.miss, onMiss);
    }
    expect(misses.map((message) => [message.store, message.key, message.reason])).toEqual([['redis', 'big', 'too-large']]);
    expect(reader.stats()).toMatchObject({ hits: 0, misses: 1, bytesRead: 0, corruptEntries: 0, evictions: 0 });
    await reader.close();
    expect(Buffer.from((await writer.get('big')) ?? []).equals(value)).toBe(true);
  });

  it('a manifest whose chunks no store writes (a chunk size out of range) is damage, found without fetching them', async () => {
    const redis = store({ url: server.url, keyPrefix: 'chunks:' });
    await redis.ready(5000);
    const layout = new RedisLayout('chunks:');
    // 3 one-byte chunks: consistent in count, yet of a size no RedisStore writes (64 KiB at least).
    const manifest = JSON.stringify({ format: 1, key: 'k', version: 'v', size: 3, chunkSize: 1, checksumKind: 1, checksums: ['00', '00', '00'] });
    await redis.client.set(layout.manifestKey('k'), manifest);
    expect(await redis.get('k')).toBeUndefined();
    // Damage (counted, removed), not chunks found missing (an eviction).
    expect(redis.stats()).toMatchObject({ misses: 1, corruptEntries: 1, evictions: 0 });
    await until(async () => (await redis.client.exists(layout.manifestKey('k'))) === 0);
  });

  it('replaces a value without leaving the old version behind, and never mixes versions', async () => {
    const redis = store({ url: server.url, keyPrefix: 'replace:', chunkBytes: 64 * 1024 });
    await redis.ready(5000);
    const first = pseudoRandom(256 * 1024, 'first');
    const second = pseudoRandom(256 * 1024, 'second');
    await redis.put('k', first);
    const reads = await Promise.all([redis.put('k', second), redis.get('k'), redis.get('k')]);
    for (const read of reads.slice(1) as Array<Uint8Array | undefined>) {
      if (read) expect(Buffer.from(read).equals(first) || Buffer.from(read).equals(second)).toBe(true);
    }
    expect(Buffer.from((await redis.get('k')) ?? []).equals(second)).toBe(true);
    await until(async () => (await redis.client.keys('replace:c:*')).length === 4);
  });

  it('sets the time to live on every key of an entry, and refuses values over maxEntryBytes', async () => {
    const redis = store({ url: server.url, keyPrefix: 'ttl:', chunkBytes: 64 * 1024, ttlMs: 60_000, maxEntryBytes: 100 * 1024 });
    await redis.ready(5000);
    await redis.put('k', pseudoRandom(90 * 1024, 'ttl'));
    for (const name of await redis.client.keys('ttl:*')) {
      const ttl = await redis.client.pttl(name);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(60_000);
    }
    const refused = await redis.put('big', new Uint8Array(100 * 1024 + 1));
    // Refused, not a fault: no fault code.
    expect(refused).toEqual({ stored: false, reason: `value of ${100 * 1024 + 1} bytes exceeds maxEntryBytes (${100 * 1024})` });
    expect(await redis.has('big')).toBe(false);
  });

  it('round-trips a 48 MiB value in 4 MiB chunks', async () => {
    const redis = store({ url: server.url, keyPrefix: 'large:' });
    await redis.ready(5000);
    const value = Buffer.alloc(48 * 1024 * 1024);
    pseudoRandom(1024 * 1024, 'large').copy(value, 5 * 1024 * 1024 + 17);
    value.writeUInt32LE(0xdeadbeef, value.byteLength - 4);
    expect((await redis.put('large', value)).stored).toBe(true);
    expect((await redis.client.keys('large:c:*')).length).toBe(12);
    expect(Buffer.from((await redis.get('large')) ?? []).equals(value)).toBe(true);
    expect(await redis.delete('large')).toBe(true);
    expect(await redis.client.keys('large:*')).toEqual([]);
  });

  it('never shows the password: not in location, warnings or put reasons', async () => {
    const port = await freePort();
    const redis = store({ url: `redis://user:s3cret-pass@127.0.0.1:${port}`, keyPrefix: 'pw:' });
    const warnings = await warningsDuring(async () => {
      const put = await redis.put('k', Buffer.from('v'));
      expect(put.stored).toBe(false);
      if (!put.stored) expect(put.reason).not.toContain('s3cret-pass');
      await redis.get('k');
      await redis.ready(200);
    });
    expect(redis.location).toBe(`redis://user:***@127.0.0.1:${port}`);
    expect(JSON.stringify(redis.options)).not.toContain('s3cret-pass');
    expect(warnings.length).toBeGreaterThan(0);
    for (const warning of warnings) expect(warning.message).not.toContain('s3cret-pass');
  });

  it('uses the database of the URL, and only that one', async () => {
    const server = await RedisServer.start();
    try {
      const redis = store({ url: `${server.url}/3`, keyPrefix: 'db:' });
      expect(await redis.ready(5000)).toBe(true);
      expect(redis.options.database).toBe(3);
      expect((await redis.put('k', Buffer.from('in three'))).stored).toBe(true);
      expect(Buffer.from((await redis.get('k')) ?? []).toString()).toBe('in three');
      const zero = store({ url: server.url, keyPrefix: 'db:' });
      expect(await zero.ready(5000)).toBe(true);
      expect(await zero.has('k')).toBe(false);
      expect(await zero.client.dbsize()).toBe(0);
    } finally {
      await server.dispose();
    }
  });

  it('a database the server refuses is a fault, said once: not ready, misses, nothing stored anywhere', async () => {
    const server = await RedisServer.start();
    try {
      const warnings = await warningsDuring(async () => {
        const redis = await RedisStore.connect({ url: `${server.url}/99`, keyPrefix: 'db:', connectTimeoutMs: 2000 });
        open.push(redis);
        expect(redis.connected).toBe(false);
        expect(await redis.ready(100)).toBe(false);
        for (let i = 0; i < 3; i++) {
          const put = await redis.put('k', Buffer.from('v'));
          expect(put.stored === false && put.reason).toMatch(/ESELECT.*database 99/);
          expect(await redis.get('k')).toBeUndefined();
          expect(await redis.has('k')).toBe(false);
        }
      });
      expect(warnings.map((warning) => warning.code)).toEqual(['WASM_CACHE_STORE_ESELECT']);
      const zero = store({ url: server.url });
      expect(await zero.ready(5000)).toBe(true);
      expect(await zero.client.dbsize()).toBe(0); // never fell back to database 0
    } finally {
      await server.dispose();
    }
  });

  it('says nothing once closed, whatever the connection still reports', async () => {
    const server = await RedisServer.start();
    try {
      const redis = store({ url: server.url });
      expect(await redis.ready(5000)).toBe(true);
      await redis.close();
      const errors = redis.stats().errors;
      // What ioredis emits for a socket torn down under it (a write that met the reset, a reply that is not Redis's).
      const warnings = await warningsDuring(async () => {
        redis.client.emit('error', Object.assign(new Error('write ECONNRESET'), { code: 'ECONNRESET', syscall: 'write' }));
        redis.client.emit('error', new Error('Protocol error, got "\\u0015" as reply type byte. Please report this.'));
      });
      expect(warnings).toEqual([]);
      expect(redis.stats().errors).toBe(errors);
    } finally {
      await server.dispose();
    }
  });

  it('through connectRemoteTier, max-entry-size is the largest artifact stored, signed or not: the signature is not counted, and a refusal names the caller\'s size', async () => {
    const base = RemoteCacheConfig.create(server.url).withMaxEntrySize(1000);
    for (const [label, remote] of [
      ['signed', base.withSigningKey('max-entry-size-signing-key-0123456789abcdef')],
      ['unsigned', base.withAllowUnsigned(true)],
    ] as const) {
      const tier = await connectRemoteTier(remote.withKeyPrefix(`max-entry-${label}:`), { keepProcessAlive: false });
      try {
        const exact = pseudoRandom(1000, label);
        expect(await tier.put('exact', exact), label).toEqual({ stored: true });
        expect(Buffer.from((await tier.get('exact')) ?? []).equals(exact), label).toBe(true);
        // Refused, not a fault: no fault code, and the size is the caller's.
        expect(await tier.put('over', new Uint8Array(1001)), label).toEqual({ stored: false, reason: 'value of 1001 bytes exceeds maxEntryBytes (1000)' });
        expect(await tier.has('over'), label).toBe(false);
      } finally {
        await tier.close();
      }
    }
  });

  it('refuses a URL whose user name or password holds a "%" that is not an escape, showing the URL without its password', async () => {
    const cases = [
      ['redis://app:50%off@127.0.0.1:6390', 'password', 'redis://app:***@127.0.0.1:6390'],
      ['redis://app:50%@127.0.0.1:6390/1', 'password', 'redis://app:***@127.0.0.1:6390/1'],
      ['redis://ap%zp:secret@127.0.0.1:6390', 'user name', 'redis://ap%zp:***@127.0.0.1:6390'],
    ] as const;
    for (const [url, part, shown] of cases) {
      let thrown: unknown;
      try {
        new RedisStore({ url });
      } catch (error) {
        thrown = error;
      }
      expect(thrown, url).toBeInstanceOf(InvalidRedisOptionError);
      expect(thrown, url).toMatchObject({ code: 'ERR_CACHE_REDIS_INVALID_OPTION', option: 'url' });
      expect((thrown as Error).message, url).toBe(
        `Invalid Redis store option url: the ${part} must be percent-encoded (a "%" that does not begin an escape such as %41 is written %25), got ${shown}`,
      );
      expect((thrown as Error).message).not.toMatch(/50%|secret/);
    }
    // Given as a configuration, it is refused by its validation, naming url, before anything connects.
    const remote = RemoteCacheConfig.create('redis://app:50%off@127.0.0.1:6390').withSigningKey('percent-signing-key-0123456789abcdef0123');
    await expect(connectRemoteTier(remote, { keepProcessAlive: false })).rejects.toThrow(expect.objectContaining({ code: 'ERR_CACHE_CONFIG_INVALID', message: expect.stringMatching(/url.*percent-encoded/s) }));
    // Percent-encoded, it is the password.
    expect(resolveRedisOptions({ url: 'redis://app:50%25off@127.0.0.1:6390' }).password).toBe('50%off');
  });

  it('refuses a URL whose path is not a database number', () => {
    for (const url of ['redis://127.0.0.1:6379/abc', 'redis://127.0.0.1:6379/1.5', 'redis://127.0.0.1:6379/-1']) {
      expect(() => new RedisStore({ url }), url).toThrow(expect.objectContaining({ code: 'ERR_CACHE_REDIS_INVALID_OPTION', option: 'url' }));
    }
  });

  it('rejects a URL that is not redis: or rediss:, without echoing its password', () => {
    expect(() => new RedisStore({ url: 'http://u:topsecret@host:1' })).toThrow(expect.objectContaining({ code: 'ERR_CACHE_REDIS_INVALID_OPTION' }));
    try {
      new RedisStore({ url: 'http://u:topsecret@host:1' });
    } catch (error) {
      expect(String(error)).not.toContain('topsecret');
    }
  });
});
