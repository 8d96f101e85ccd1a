import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RemoteCacheConfig } from '@cache/config';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { connectRemoteTier, RedisStore, SigningKeyFileError, TlsCaFileError, type RedisStoreOptions } from '../src/index.js';
import { expectTurnedAway, pseudoRandom, warningsDuring } from './helpers.js';
import { RedisServer, TLS_CA_FILE } from './redis-server.js';

const open: RedisStore[] = [];
function store(options: RedisStoreOptions): RedisStore {
  const made = new RedisStore({ reconnectMaxDelayMs: 50, connectTimeoutMs: 1000, ...options });
  open.push(made);
  return made;
}
afterEach(async () => {
  for (const made of open.splice(0)) await made.close();
});

/**
 * Every operation of the store through `redis`, checked: a put and a get of
 * 9 MiB (three chunks), a replacing put (its old chunks removed in the
 * background), has, delete; and no fault counted on the way.
 */
async function roundTrips(redis: RedisStore, key: string): Promise<boolean> {
  const value = pseudoRandom(9 * 1024 * 1024, key);
  const replacement = pseudoRandom(5 * 1024 * 1024, `${key}'`);
  if (!(await redis.put(key, value)).stored) return false;
  if (!Buffer.from((await redis.get(key)) ?? []).equals(value)) return false;
  if (!(await redis.put(key, replacement)).stored) return false;
  if (!Buffer.from((await redis.get(key)) ?? []).equals(replacement)) return false;
  if (!(await redis.has(key)) || !(await redis.delete(key)) || (await redis.has(key))) return false;
  await new Promise((resolve) => setTimeout(resolve, 100)); // background removal of the replaced chunks
  return redis.stats().errors === 0;
}

const password = 'acl-test-password-0123456789';
/** The commands the README tells operators to allow the cache's ACL user (no +info: the store's own handshake is a PING). */
const RECOMMENDED_COMMANDS = ['+get', '+set', '+mget', '+exists', '+unlink', '+pexpire', '+scan', '+eval', '+ping', '+quit', '+client'];

describe('RedisStore with ACL users on a real redis-server', () => {
  let server: RedisServer;
  beforeAll(async () => {
    // The default user is off: nothing works without credentials. `cache` may touch acl:* keys only,
    // with the commands the README recommends.
    server = await RedisServer.start(['--user', 'default', 'off', '--user', 'cache', 'on', `>${password}`, '~acl:*', ...RECOMMENDED_COMMANDS]);
  });
  afterAll(() => server.dispose());

  it('authenticates with the user and password of the URL, or of the options over the URL', async () => {
    // The Redis client would print to the console if a command it sends on its own were refused (INFO, for a ready check).
    const consoleWarn = vi.spyOn(console, 'warn');
    onTestFinished(() => consoleWarn.mockRestore());
    const fromUrl = store({ url: `redis://cache:${password}@127.0.0.1:${server.port}`, keyPrefix: 'acl:url:' });
    expect(await fromUrl.ready(5000)).toBe(true);
    expect(await roundTrips(fromUrl, 'a')).toBe(true);
    const fromOptions = store({ url: `redis://nobody:wrong@127.0.0.1:${server.port}`, username: 'cache', password, keyPrefix: 'acl:opt:' });
    expect(await fromOptions.ready(5000)).toBe(true);
    expect(await roundTrips(fromOptions, 'b')).toBe(true);
    expect(consoleWarn).not.toHaveBeenCalled();
  });

  it('wrong credentials: misses and refused writes, one warning naming WRONGPASS (none for the calls turned away meanwhile), never the password', async () => {
    const redis = store({ url: `redis://cache:not-the-password@127.0.0.1:${server.port}`, keyPrefix: 'acl:wrong:' });
    const warnings = await warningsDuring(async () => {
      expect(await redis.ready(300)).toBe(false);
      await expectTurnedAway(redis, 3);
    });
    expect(warnings.map((w) => w.code)).toEqual(['WASM_CACHE_STORE_WRONGPASS']);
    for (const warning of warnings) expect(warning.message).not.toContain('not-the-password');
    expect(redis.stats().errors).toBeGreaterThan(0);
  });

  it('keys the user may not touch: misses and refused writes, warned as NOPERM', async () => {
    const redis = store({ url: `redis://cache:${password}@127.0.0.1:${server.port}`, keyPrefix: 'forbidden:' });
    expect(await redis.ready(5000)).toBe(true);
    const warnings = await warningsDuring(async () => {
      const put = await redis.put('k', Buffer.from('v'));
      expect(put.stored).toBe(false);
      if (!put.stored) expect(put.reason).toContain('NOPERM');
      expect(await redis.get('k')).toBeUndefined();
    });
    expect(warnings.map((w) => w.code)).toContain('WASM_CACHE_STORE_NOPERM');
  });
});

describe('RedisStore over TLS (rediss://) to a real redis-server', () => {
  const ca = readFileSync(TLS_CA_FILE);
  let server: RedisServer;
  beforeAll(async () => {
    // TLS only: the plain port is off, the TLS port is the server's port.
    server = await RedisServer.startTls();
  });
  afterAll(() => server.dispose());

  it('round-trips with the server’s certificate authority trusted', async () => {
    const redis = store({ url: `rediss://127.0.0.1:${server.port}`, keyPrefix: 'tls:ca:', tls: { ca } });
    const warnings = await warningsDuring(async () => {
      expect(await redis.ready(5000)).toBe(true);
      expect(await roundTrips(redis, 'a')).toBe(true);
    });
    expect(warnings.map((w) => w.code)).not.toContain('DEP0123'); // no SNI for an IP address
  });

  it('sends SNI for a host name only, never for an IP address (RFC 6066)', () => {
    const servername = (url: string, tls: RedisStoreOptions['tls'] = {}): unknown =>
      (store({ url, tls, keepProcessAlive: false }).client.options.tls as { servername?: unknown } | undefined)?.servername;
    expect(servername('rediss://127.0.0.1:1')).toBeUndefined();
    expect(servername('rediss://[::1]:1')).toBeUndefined();
    expect(servername('rediss://cache.internal:1')).toBe('cache.internal');
    expect(servername('rediss://127.0.0.1:1', { servername: 'cache.internal' })).toBe('cache.internal');
  });

  it('refuses a server whose certificate it cannot verify: misses, no crash, one warning naming the certificate and none for the calls it turns away', async () => {
    const redis = store({ url: `rediss://127.0.0.1:${server.port}`, keyPrefix: 'tls:untrusted:' });
    const warnings = await warningsDuring(async () => {
      expect(await redis.ready(500)).toBe(false);
      await expectTurnedAway(redis, 3);
    });
    expect(warnings.map((w) => w.code)).toEqual(['WASM_CACHE_STORE_SELF_SIGNED_CERT_IN_CHAIN']);
    expect(warnings[0]?.message).toMatch(/certificate/i);
    // Still faults and misses: the refused connection and each of the nine calls.
    expect(redis.stats().errors).toBeGreaterThanOrEqual(10);
    expect(redis.stats().misses).toBe(3);
  });

  it('a plain redis:// client gets nothing from a TLS-only server, and says so', async () => {
    const redis = store({ url: `redis://127.0.0.1:${server.port}`, keyPrefix: 'tls:plain:', commandTimeoutMs: 500 });
    const warnings = await warningsDuring(async () => {
      expect((await redis.put('k', Buffer.from('v'))).stored).toBe(false);
      expect(await redis.get('k')).toBeUndefined();
    });
    expect(warnings.length).toBeGreaterThan(0);
  });

  it('connectRemoteTier trusts the authority of tls-ca-file; a CA file that cannot be read is refused before anything connects, naming the file and the reason (TlsCaFileError)', async () => {
    const remote = (caFile: string): RemoteCacheConfig =>
      RemoteCacheConfig.create(`rediss://127.0.0.1:${server.port}`).withKeyPrefix('tls:tier:').withAllowUnsigned(true).withTls({ caFile }).validate();
    const tier = await connectRemoteTier(remote(TLS_CA_FILE), { keepProcessAlive: false });
    try {
      expect((await tier.put('k', Buffer.from('v'))).stored).toBe(true);
    } finally {
      await tier.close();
    }
    const work = mkdtempSync(join(tmpdir(), 'tls-ca-'));
    for (const [file, reason] of [
      [join(work, 'missing.pem'), 'cannot be read (ENOENT)'],
      [work, 'cannot be read (EISDIR)'],
    ] as const) {
      const refused = connectRemoteTier(remote(file), { keepProcessAlive: false });
      await expect(refused).rejects.toThrow(TlsCaFileError);
      await expect(refused).rejects.toMatchObject({
        code: 'ERR_CACHE_REDIS_TLS_CA_FILE',
        path: file,
        message: `Cannot use the TLS CA file ${file}: ${reason}`,
        cause: expect.objectContaining({ code: reason.slice('cannot be read ('.length, -1) }),
      });
    }
    // The signing key file is checked first, as the engine's hook checks them.
    const both = RemoteCacheConfig.create(`rediss://127.0.0.1:${server.port}`).withSigningKeyFile(join(work, 'missing.key')).withTls({ caFile: join(work, 'missing.pem') });
    await expect(connectRemoteTier(both, { keepProcessAlive: false })).rejects.toThrow(SigningKeyFileError);
  });

  it('rejectUnauthorized: false connects without the authority (tests only)', async () => {
    const redis = store({ url: `rediss://127.0.0.1:${server.port}`, keyPrefix: 'tls:insecure:', tls: { rejectUnauthorized: false } });
    expect(await redis.ready(5000)).toBe(true);
    expect(await roundTrips(redis, 'b')).toBe(true);
  });
});
