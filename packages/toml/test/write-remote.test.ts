import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CacheConfig, CacheConfigError, RemoteCacheConfig } from '@cache/config';
import { describe, expect, it } from 'vitest';
import { loadCacheFile, parseCacheFile, saveCacheConfig, stringifyCacheConfig } from '../src/index.js';

const noEnv = { env: {}, onWarning: () => undefined };
const signingKey = 'k'.repeat(40);
const fileWithRemote = `[cache]
files-total-size-soft-limit = "64Mi"

[wasm-cache.remote]
url = "rediss://cache.internal:6380/2"
username = "builder"
key-prefix = "ci:"
ttl = "3d"
chunk-size = "8Mi"
command-timeout = "10s"
tls-reject-unauthorized = false
signing-key-file = "/etc/wasm-cache/key"
memory-tier-size = "1Gi"
`;

function problemsOf(run: () => unknown): Array<{ setting: string; value?: unknown; rule: string }> {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(CacheConfigError);
    return [...(error as CacheConfigError).problems];
  }
  throw new Error('expected a CacheConfigError');
}

describe('[wasm-cache.remote] written back', () => {
  it('round-trips every non-default remote setting, in the file’s units', () => {
    const { cache, remote } = parseCacheFile(fileWithRemote, noEnv);
    expect(remote).toBeDefined();
    const text = stringifyCacheConfig(cache, { remote: remote! });
    expect(text).toContain('[wasm-cache.remote]');
    expect(text).toContain('chunk-size = "8Mi"');
    expect(text).toContain('ttl = "3d"');
    const again = parseCacheFile(text, noEnv);
    expect(again.cache.equals(cache)).toBe(true);
    expect(again.remote?.settings()).toEqual(remote!.settings());
  });

  it('writes settings given in code in the file’s units, defaults left out', () => {
    const remote = RemoteCacheConfig.create('redis://localhost:6379').withTtl(90_000).withMaxEntrySize(64 * 1024 * 1024).withAllowUnsigned(true);
    const text = stringifyCacheConfig(CacheConfig.default(), { remote });
    expect(text).toContain('ttl = "90s"');
    expect(text).toContain('max-entry-size = "64Mi"');
    expect(text).toContain('allow-unsigned = true');
    expect(text).not.toContain('key-prefix');
    expect(parseCacheFile(text, noEnv).remote?.settings()).toEqual(remote.settings());
  });

  it('refuses to write a secret unless asked, naming it without showing it', () => {
    const remote = RemoteCacheConfig.create('redis://:hunter2hunter2@localhost:6379').withSigningKey(signingKey).withCredentials('ci', 's3cret-password');
    const problems = problemsOf(() => stringifyCacheConfig(CacheConfig.default(), { remote }));
    expect(problems.map((p) => p.setting).sort()).toEqual(['password', 'signing-key', 'url']);
    const shown = JSON.stringify(problems);
    for (const secret of [signingKey, 'hunter2hunter2', 's3cret-password']) expect(shown).not.toContain(secret);
    expect(problems[0]?.rule).toContain('writeSecrets');

    const text = stringifyCacheConfig(CacheConfig.default(), { remote, writeSecrets: true });
    expect(parseCacheFile(text, noEnv).remote?.settings()).toEqual(remote.settings());
  });

  it('says which durations cannot be written (not whole seconds)', () => {
    const remote = RemoteCacheConfig.create('redis://localhost').withAllowUnsigned(true).withTimeouts(1500, 5000);
    expect(problemsOf(() => stringifyCacheConfig(CacheConfig.default(), { remote }))).toEqual([
      expect.objectContaining({ setting: 'connect-timeout', value: 1500 }),
    ]);
  });
});

describe('saveCacheConfig over a file with a remote tier', () => {
  const dir = mkdtempSync(join(tmpdir(), 'toml-remote-'));

  it('keeps the file’s [wasm-cache] table when it replaces the [cache] settings', async () => {
    const file = join(dir, 'keep.toml');
    writeFileSync(file, fileWithRemote);
    const before = await loadCacheFile(file, noEnv);
    await saveCacheConfig(CacheConfig.default().withCapacity('2Gi'), file, { overwrite: true });
    const after = await loadCacheFile(file, noEnv);
    expect(after.cache.capacity).toBe(2 * 1024 ** 3);
    expect(after.remote?.settings()).toEqual(before.remote?.settings());
  });

  it('replaces the remote tier when given one', async () => {
    const file = join(dir, 'replace.toml');
    writeFileSync(file, fileWithRemote);
    const remote = RemoteCacheConfig.create('redis://other:6379').withAllowUnsigned(true);
    await saveCacheConfig(CacheConfig.default(), file, { overwrite: true, remote });
    expect((await loadCacheFile(file, noEnv)).remote?.settings()).toEqual(remote.settings());
  });

  it('leaves a file that is not TOML as it is, and says where it is broken', async () => {
    const file = join(dir, 'broken.toml');
    writeFileSync(file, '[cache\nx = 1\n');
    await expect(saveCacheConfig(CacheConfig.default(), file, { overwrite: true })).rejects.toMatchObject({ code: 'ERR_CACHE_TOML_SYNTAX', file, line: 1 });
    expect(readFileSync(file, 'utf8')).toBe('[cache\nx = 1\n');
  });
});
