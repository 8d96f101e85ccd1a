import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CacheConfig, CacheConfigError, RemoteCacheConfig } from '@cache/config';
import { describe, expect, it } from 'vitest';
import { parseCacheConfig, parseCacheFile, tomlToBuilderCode } from '../src/index.js';

const TEXT = `[cache]
directory = "/var/cache/wasm"
files-total-size-soft-limit = "1 Gi"
cleanup-interval = "30m"
baseline-compression-level = 5
file-count-limit-percent-if-deleting = "60%"
`;

describe('tomlToBuilderCode', () => {
  it('prints the builder code a user would paste, keeping units', () => {
    expect(tomlToBuilderCode(TEXT)).toBe(`import { CacheConfig } from '@cache/config';

export const cacheConfig = CacheConfig.default()
  .withDirectory("/var/cache/wasm")
  .withBaselineCompressionLevel(5)
  .withCleanupInterval("30m")
  .withCapacity("1 Gi")
  .withFileCountLimitPercentIfDeleting("60%");
`);
  });

  it('generates code that, run, builds a config equal to the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'migrate-'));
    const configUrl = pathToFileURL(join(import.meta.dirname, '..', '..', 'config', 'dist', 'index.js')).href;
    const file = join(dir, 'generated.mjs');
    writeFileSync(file, tomlToBuilderCode(TEXT, { importFrom: configUrl }));
    const generated = (await import(pathToFileURL(file).href)) as { cacheConfig: CacheConfig };
    expect(generated.cacheConfig.toJSON()).toEqual(parseCacheConfig(TEXT).toJSON());
  });

  it('starts from disabled() for enabled = false, and validates first', () => {
    expect(tomlToBuilderCode('[cache]\nenabled = false\n', { onWarning: () => undefined })).toContain('CacheConfig.disabled();');
    expect(() => tomlToBuilderCode('[cache]\ncleanup-interval = "1 week"\n')).toThrow(/cleanup-interval/);
  });
});

describe('tomlToBuilderCode keeps the file\'s meaning', () => {
  const dir = mkdtempSync(join(tmpdir(), 'migrate-exact-'));
  const configUrl = pathToFileURL(join(import.meta.dirname, '..', '..', 'config', 'dist', 'index.js')).href;
  let count = 0;

  async function run(code: string): Promise<{ cacheConfig: CacheConfig; remoteCacheConfig?: RemoteCacheConfig }> {
    count += 1;
    const file = join(dir, `generated-${count}.mjs`);
    writeFileSync(file, code);
    return (await import(pathToFileURL(file).href)) as { cacheConfig: CacheConfig; remoteCacheConfig?: RemoteCacheConfig };
  }

  it('copies values exactly, white space included: a directory with a trailing space stays that directory', async () => {
    const text = '[cache]\ndirectory = "/tmp/my cache "\ncleanup-interval = " 30 m "\n';
    const code = tomlToBuilderCode(text);
    expect(code).toContain('.withDirectory("/tmp/my cache ")');
    const generated = await run(tomlToBuilderCode(text, { importFrom: configUrl }));
    expect(generated.cacheConfig.directory).toBe('/tmp/my cache ');
    expect(generated.cacheConfig.equals(parseCacheConfig(text))).toBe(true);
  });

  it('migrates the [wasm-cache.remote] table to a RemoteCacheConfig equal to the one the file gives', async () => {
    const text = '[cache]\ncleanup-interval = "30m"\n\n[wasm-cache.remote]\nurl = "redis://localhost:6379"\nallow-unsigned = true\nttl = "1d"\nconnect-timeout = "3s"\nkey-prefix = "app:"\n';
    const code = tomlToBuilderCode(text, { env: {} });
    expect(code).toContain("import { CacheConfig, RemoteCacheConfig } from '@cache/config';");
    expect(code).toContain('export const remoteCacheConfig = RemoteCacheConfig.fromEnv(process.env, RemoteCacheConfig.create("redis://localhost:6379")');
    expect(code).toContain('.withTtl("1d")');
    expect(code).toContain(".withSetting('connectTimeout', \"3s\")");
    const generated = await run(tomlToBuilderCode(text, { importFrom: configUrl, env: {} }));
    const file = parseCacheFile(text, { env: process.env });
    expect(generated.cacheConfig.equals(file.cache)).toBe(true);
    expect(generated.remoteCacheConfig?.settings()).toEqual(file.remote?.settings());
  });

  it('copies a secret of the remote table into code only with writeSecrets, and otherwise names it', async () => {
    const key = 'k'.repeat(40);
    const text = `[cache]\n\n[wasm-cache.remote]\nurl = "redis://localhost"\nsigning-key = "${key}"\n`;
    const error = (() => {
      try {
        tomlToBuilderCode(text, { file: 'r.toml', env: {} });
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(CacheConfigError);
    expect((error as CacheConfigError).message).toContain('signing-key = "<redacted>" (r.toml:5:1): holds a secret');
    expect((error as CacheConfigError).message).not.toContain(key);
    const generated = await run(tomlToBuilderCode(text, { importFrom: configUrl, env: {}, writeSecrets: true }));
    expect(generated.remoteCacheConfig?.settings()).toEqual(parseCacheFile(text, { env: process.env }).remote?.settings());
  });
});
