import { describe, expect, it } from 'vitest';
import { CacheConfigError } from '@cache/config';
import { parseCacheConfig, parseCacheFile } from '../src/index.js';

const KEY = 'file-signing-key-0123456789abcdef0123456789';

function problemsOf(text: string, env: Record<string, string> = {}): CacheConfigError['problems'] {
  try {
    parseCacheFile(text, { file: 'cache.toml', env });
  } catch (error) {
    if (error instanceof CacheConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('[wasm-cache.remote]', () => {
  it('reads the remote tier beside Wasmtime\'s [cache] table, which stays as it was', () => {
    const text = `[cache]\ndirectory = "/tmp/wasm-cache-test"\n\n[wasm-cache.remote]\nurl = "redis://cache.internal:6379"\nkey-prefix = "ci:"\nttl = "3d"\nchunk-size = "1Mi"\nsigning-key = "${KEY}"\n`;
    const { cache, remote } = parseCacheFile(text, { file: 'cache.toml', env: {} });
    expect(cache.directory).toBe('/tmp/wasm-cache-test');
    expect(remote?.settings()).toMatchObject({ url: 'redis://cache.internal:6379', keyPrefix: 'ci:', ttl: 3 * 86_400_000, chunkSize: 1024 * 1024 });
    expect(remote?.origin('ttl')).toEqual({ kind: 'file', file: 'cache.toml', line: 7, column: 1 });
    expect(parseCacheConfig(text, { env: {} }).directory).toBe('/tmp/wasm-cache-test');
  });

  it('gives no remote tier for a plain Wasmtime file', () => {
    expect(parseCacheFile('[cache]\n', { env: {} }).remote).toBeUndefined();
  });

  it('takes the signing key from the environment, so it can stay out of the file', () => {
    const text = '[cache]\n[wasm-cache.remote]\nurl = "redis://h:1"\n';
    expect(problemsOf(text).map((p) => p.setting)).toEqual(['allow-unsigned']);
    expect(parseCacheFile(text, { env: { WASM_CACHE_SIGNING_KEY: KEY } }).remote?.settings().signingKey).toBe(KEY);
  });

  it('names a rule about a key the file lacks by its file key, at the [wasm-cache.remote] table, and a missing [cache] without "= undefined"', () => {
    const only = '[wasm-cache.remote]\nurl = "redis://h:1"\n';
    const error = (() => {
      try {
        parseCacheFile(only, { file: 'cache.toml', env: {} });
      } catch (caught) {
        return caught as CacheConfigError;
      }
      throw new Error('expected a CacheConfigError');
    })();
    expect(error.message).toContain('  - cache (cache.toml): the [cache] table is missing; Wasmtime requires it, even empty');
    expect(error.message).toContain('  - allow-unsigned = false (cache.toml:1:1): a shared remote tier needs a signing key');
    expect(problemsOf('[cache]\n\n[wasm-cache.remote]\nallow-unsigned = true\n')).toEqual([
      expect.objectContaining({ setting: 'url', origin: { kind: 'file', file: 'cache.toml', line: 3, column: 1 } }),
    ]);
    expect(problemsOf('[cache]\n\n[wasm-cache.remote]\nallow-unsigned = true\n')[0]).not.toHaveProperty('value');
  });

  it('reports unknown keys, wrong TOML types and bad values with line and column, never echoing secrets', () => {
    const text = [
      '[cache]',
      '[wasm-cache.remote]',
      'url = "http://user:pw-in-url@h:1"',
      'password = 42',
      'ttl = 60',
      'chunk-size = "1Gi"',
      'signing-key = "short-secret"',
      'colour = "blue"',
      '[wasm-cache.other]',
      'x = 1',
    ].join('\n');
    const problems = problemsOf(text);
    const where = problems.map((p) => [p.setting, p.origin?.kind === 'file' ? `${p.origin.line}:${p.origin.column}` : '']);
    expect(where).toEqual([
      ['url', '3:1'],
      ['password', '4:1'],
      ['ttl', '5:1'],
      ['chunk-size', '6:1'],
      ['signing-key', '7:1'],
      ['colour', '8:1'],
      ['wasm-cache.other', '9:1'],
    ]);
    const message = new CacheConfigError(problems).message;
    for (const secret of ['pw-in-url', 'short-secret']) expect(message).not.toContain(secret);
    expect(problems.find((p) => p.setting === 'ttl')?.rule).toMatch(/TOML string/);
  });

  it('a duration without a unit the file takes says which units it takes, and never suggests a bare number there', () => {
    const text = `[cache]\n[wasm-cache.remote]\nurl = "redis://h:1"\nsigning-key = "${KEY}"\nconnect-timeout = "500ms"\n`;
    const problem = problemsOf(text).find((p) => p.setting === 'connect-timeout' || p.setting === 'connectTimeout');
    expect(problem?.origin).toMatchObject({ kind: 'file', line: 5 });
    expect(problem?.rule).toMatch(/unknown unit "ms"; use s, m, h or d/);
    expect(problem?.rule).toMatch(/in code also a number of milliseconds/);
    // Following that advice in the file works.
    const fixed = text.replace('"500ms"', '"1s"');
    expect(parseCacheFile(fixed, { file: 'cache.toml', env: {} }).remote?.settings().connectTimeout).toBe(1000);
  });

  it('still rejects other unknown top-level tables, naming the one of its own', () => {
    const problems = problemsOf('[cache]\n[mystery]\n');
    expect(problems[0]?.rule).toMatch(/\[cache\] and \[wasm-cache.remote\]/);
  });
});
