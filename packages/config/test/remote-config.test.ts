import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { MIN_SIGNING_KEY_LENGTH, readSigningKeyFile, readTlsCaFile, RemoteCacheConfig, signingKeyFileMessage, tlsCaFileMessage } from '../src/index.js';

const KEY = '0123456789abcdef0123456789abcdef-signing';

describe('RemoteCacheConfig', () => {
  it('resolves defaults and units', () => {
    const settings = RemoteCacheConfig.create('redis://127.0.0.1:6379').withSigningKey(KEY).withTtl('3d').withChunkSize('1Mi').settings();
    expect(settings).toMatchObject({ url: 'redis://127.0.0.1:6379', keyPrefix: 'wasm-cache:', ttl: 3 * 86_400_000, chunkSize: 1024 * 1024, commandTimeout: 5000, allowUnsigned: false });
  });

  it('refuses a shared tier without a signing key unless unsigned use is opted into', () => {
    const problems = RemoteCacheConfig.create('redis://h:1').problems();
    expect(problems).toHaveLength(1);
    expect(problems[0]?.setting).toBe('allowUnsigned');
    expect(problems[0]?.rule).toMatch(/signing key/);
    expect(RemoteCacheConfig.create('redis://h:1').withAllowUnsigned(true).problems()).toEqual([]);
  });

  it('reports every bad value at once: scheme, size, duration, short key, TLS without rediss', () => {
    const config = RemoteCacheConfig.create('http://h:1').withChunkSize('1Gi').withTtl('10 min').withSigningKey('short').withTls({ caFile: '/ca.pem' });
    const settings = config.problems().map((problem) => problem.setting).sort();
    expect(settings).toEqual(['chunkSize', 'signingKey', 'ttl', 'url']);
    expect(() => config.validate()).toThrow(expect.objectContaining({ code: 'ERR_CACHE_CONFIG_INVALID' }));
    expect(RemoteCacheConfig.create('redis://h:1').withAllowUnsigned(true).withTls({ caFile: '/ca.pem' }).problems()[0]?.rule).toMatch(/rediss/);
  });

  it('never shows a password or signing key: not in errors, toJSON, toString or inspect', () => {
    const bad = RemoteCacheConfig.create('redis://user:hunter2-password@h:1').withCredentials('u', 'explicit-password').withSigningKey('short-secret-key').withChunkSize('1Gi');
    let message = '';
    try {
      bad.validate();
    } catch (error) {
      message = String(error);
    }
    expect(message).toContain('signingKey');
    for (const text of [message, bad.toString(), inspect(bad)]) {
      for (const secret of ['hunter2-password', 'explicit-password', 'short-secret-key']) expect(text).not.toContain(secret);
    }
    const good = RemoteCacheConfig.create('redis://user:hunter2-password@h:1').withCredentials(undefined, 'explicit-password').withSigningKey(KEY);
    const json = JSON.stringify(good);
    expect(json).not.toContain('hunter2-password');
    expect(json).not.toContain('explicit-password');
    expect(json).not.toContain(KEY);
    expect(good.toJSON()).toMatchObject({ url: 'redis://user:***@h:1', password: '<redacted>', signingKey: '<redacted>' });
    expect(good.settings().signingKey).toBe(KEY);
  });

  it('reads the URL and signing key from the environment, naming the variable in errors', () => {
    const config = RemoteCacheConfig.fromEnv({ WASM_CACHE_REMOTE_URL: 'redis://h:2', WASM_CACHE_SIGNING_KEY: 'too-short' });
    expect(config.problems().map((problem) => [problem.setting, problem.value])).toEqual([['WASM_CACHE_SIGNING_KEY', '<redacted>']]);
    expect(RemoteCacheConfig.fromEnv({ WASM_CACHE_REMOTE_URL: 'redis://h:2', WASM_CACHE_SIGNING_KEY: KEY }).settings().url).toBe('redis://h:2');
    expect(RemoteCacheConfig.fromEnv({ WASM_CACHE_REMOTE_URL: 'redis://h:2', WASM_CACHE_REMOTE_ALLOW_UNSIGNED: 'true' }).settings().allowUnsigned).toBe(true);
  });

  it("reads the TLS CA file from WASM_CACHE_REMOTE_TLS_CA_FILE, over the file's tls-ca-file, by tls-ca-file's rules, naming the variable in errors", () => {
    const env = { WASM_CACHE_REMOTE_URL: 'rediss://h:2', WASM_CACHE_SIGNING_KEY: KEY };
    expect(RemoteCacheConfig.fromEnv({ ...env, WASM_CACHE_REMOTE_TLS_CA_FILE: '/etc/ssl/redis-ca.pem' }).settings().tlsCaFile).toBe('/etc/ssl/redis-ca.pem');
    const fromFile = RemoteCacheConfig.create().withSetting('tlsCaFile', '/etc/file-ca.pem', { kind: 'file', file: 'cache.toml' });
    const over = RemoteCacheConfig.fromEnv({ ...env, WASM_CACHE_REMOTE_TLS_CA_FILE: '/etc/env-ca.pem' }, fromFile);
    expect(over.settings().tlsCaFile).toBe('/etc/env-ca.pem');
    expect(over.origin('tlsCaFile')).toEqual({ kind: 'env', variable: 'WASM_CACHE_REMOTE_TLS_CA_FILE' });
    expect(RemoteCacheConfig.fromEnv({ ...env, WASM_CACHE_REMOTE_TLS_CA_FILE: '' }, fromFile).settings().tlsCaFile).toBe('/etc/file-ca.pem'); // empty counts as unset
    const problems = (extra: Record<string, string>): string[][] => RemoteCacheConfig.fromEnv({ ...env, ...extra }).problems().map((p) => [p.setting, String(p.value), p.rule]);
    expect(problems({ WASM_CACHE_REMOTE_TLS_CA_FILE: 'certs/ca.pem' })).toEqual([['WASM_CACHE_REMOTE_TLS_CA_FILE', 'certs/ca.pem', 'must be an absolute path']]);
    expect(problems({ WASM_CACHE_REMOTE_URL: 'redis://h:2', WASM_CACHE_REMOTE_TLS_CA_FILE: '/ca.pem' })).toEqual([['WASM_CACHE_REMOTE_TLS_CA_FILE', '/ca.pem', 'TLS options need a rediss:// URL']]);
    expect(() => RemoteCacheConfig.fromEnv({ ...env, WASM_CACHE_REMOTE_TLS_CA_FILE: 'ca.pem' }).validate()).toThrow(
      expect.objectContaining({ code: 'ERR_CACHE_CONFIG_INVALID', message: expect.stringContaining('WASM_CACHE_REMOTE_TLS_CA_FILE') }),
    );
  });

  it('refuses a URL whose user name or password is not percent-encoded, without showing the password', () => {
    for (const url of ['redis://app:50%off@h:1', 'redis://a%zz:pw@h:1/2', 'rediss://app:100%@h:1']) {
      const problems = RemoteCacheConfig.create(url).withAllowUnsigned(true).problems();
      expect(problems, url).toHaveLength(1);
      expect(problems[0]).toMatchObject({ setting: 'url', rule: expect.stringMatching(/percent-encoded.*%25/) });
      expect(String(problems[0]?.value)).not.toMatch(/50%off|100%@/);
    }
    expect(RemoteCacheConfig.create('redis://app:50%25off@h:1').withAllowUnsigned(true).problems()).toEqual([]);
  });

  it('refuses a URL whose path is not a database number, naming the setting and the value', () => {
    for (const url of ['redis://h:1/abc', 'redis://h:1/1.5', 'redis://h:1/-1', 'rediss://h:1/1/2', 'redis://user:secret-password@h:1/x']) {
      const problems = RemoteCacheConfig.create(url).withAllowUnsigned(true).problems();
      expect(problems, url).toHaveLength(1);
      expect(problems[0]).toMatchObject({ setting: 'url', rule: expect.stringMatching(/database/) });
      expect(String(problems[0]?.value)).not.toContain('secret-password');
      expect(() => RemoteCacheConfig.create(url).withAllowUnsigned(true).validate()).toThrow(/url/);
    }
    expect(RemoteCacheConfig.fromEnv({ WASM_CACHE_REMOTE_URL: 'redis://h:2/abc', WASM_CACHE_REMOTE_ALLOW_UNSIGNED: 'true' }).problems().map((p) => [p.setting, p.value])).toEqual([
      ['WASM_CACHE_REMOTE_URL', 'redis://h:2/abc'],
    ]);
    for (const url of ['redis://h:1', 'redis://h:1/', 'redis://h:1/0', 'rediss://h:1/15', 'redis://h/99']) {
      expect(RemoteCacheConfig.create(url).withAllowUnsigned(true).problems(), url).toEqual([]);
    }
  });

  it('refuses both a signing key and a key file', () => {
    const problems = RemoteCacheConfig.create('redis://h:1').withSigningKey(KEY).withSigningKeyFile('/etc/key').problems();
    expect(problems.map((problem) => problem.setting)).toEqual(['signingKeyFile']);
  });
});

describe('readSigningKeyFile: the signing key file, checked on the local disk alone', () => {
  const work = mkdtempSync(join(tmpdir(), 'signing-key-file-'));

  it('gives the key, surrounding whitespace trimmed', () => {
    const file = join(work, 'good.key');
    writeFileSync(file, `  ${KEY}\n`);
    expect(readSigningKeyFile(file)).toEqual({ ok: true, key: KEY });
  });

  it('says why a file cannot be used, never with the key: unreadable (by its code) or too short', () => {
    const missing = join(work, 'missing.key');
    const unreadable = readSigningKeyFile(missing);
    expect(unreadable).toMatchObject({ ok: false, reason: 'cannot be read (ENOENT)', cause: expect.objectContaining({ code: 'ENOENT' }) });
    expect(readSigningKeyFile(work)).toMatchObject({ ok: false, reason: 'cannot be read (EISDIR)' });
    const short = join(work, 'short.key');
    writeFileSync(short, `${'s'.repeat(MIN_SIGNING_KEY_LENGTH - 1)}\n\n`);
    const tooShort = readSigningKeyFile(short);
    expect(tooShort).toEqual({ ok: false, reason: `holds fewer than ${MIN_SIGNING_KEY_LENGTH} bytes` });
    expect(JSON.stringify(tooShort)).not.toContain('sss');
    if (unreadable.ok) throw new Error('read a file that is not there');
    expect(signingKeyFileMessage(missing, unreadable.reason)).toBe(`Cannot use the signing key file ${missing}: cannot be read (ENOENT)`);
  });
});

describe('readTlsCaFile: the TLS CA file, checked on the local disk alone', () => {
  const work = mkdtempSync(join(tmpdir(), 'tls-ca-file-'));

  it('gives the file\'s bytes as they are, whatever they hold (Node takes any bytes as ca; what they trust shows at the handshake)', () => {
    const pem = join(work, 'ca.pem');
    writeFileSync(pem, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    expect(readTlsCaFile(pem)).toEqual({ ok: true, ca: Buffer.from('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n') });
    const empty = join(work, 'empty.pem');
    writeFileSync(empty, '');
    expect(readTlsCaFile(empty)).toEqual({ ok: true, ca: Buffer.alloc(0) });
  });

  it('says why a file cannot be read, by its code, and how that is said', () => {
    const missing = join(work, 'missing.pem');
    const unreadable = readTlsCaFile(missing);
    expect(unreadable).toMatchObject({ ok: false, reason: 'cannot be read (ENOENT)', cause: expect.objectContaining({ code: 'ENOENT' }) });
    expect(readTlsCaFile(work)).toMatchObject({ ok: false, reason: 'cannot be read (EISDIR)' });
    if (unreadable.ok) throw new Error('read a file that is not there');
    expect(tlsCaFileMessage(missing, unreadable.reason)).toBe(`Cannot use the TLS CA file ${missing}: cannot be read (ENOENT)`);
  });
});

describe('CacheConfig.fromEnv beside the remote tier', () => {
  it('accepts the remote tier variables and never echoes an unknown variable\'s value', async () => {
    const { CacheConfig } = await import('../src/index.js');
    expect(() => CacheConfig.fromEnv({ WASM_CACHE_SIGNING_KEY: KEY, WASM_CACHE_REMOTE_URL: 'redis://h:1' })).not.toThrow();
    let message = '';
    try {
      CacheConfig.fromEnv({ WASM_CACHE_SIGNING_KY: 'misspelt-secret-value' });
    } catch (error) {
      message = String(error);
    }
    expect(message).toContain('WASM_CACHE_SIGNING_KY');
    expect(message).not.toContain('misspelt-secret-value');
  });
});
