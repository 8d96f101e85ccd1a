import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CacheConfig, CacheConfigError, NON_SETTING_ENV_VARIABLES, SETTING_NAMES, SETTINGS } from '../src/index.js';

function errorOf(run: () => unknown): CacheConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(CacheConfigError);
    return error as CacheConfigError;
  }
  throw new Error('expected a CacheConfigError');
}

describe('CacheConfig.fromEnv', () => {
  it('reads every setting from prefixed variables and records where each came from', () => {
    const config = CacheConfig.fromEnv({
      WASM_CACHE_DIRECTORY: '/srv/wasm-cache',
      WASM_CACHE_FILES_TOTAL_SIZE_SOFT_LIMIT: '1Gi',
      WASM_CACHE_CLEANUP_INTERVAL: '15m',
      WASM_CACHE_BASELINE_COMPRESSION_LEVEL: '5',
      WASM_CACHE_FILE_COUNT_LIMIT_PERCENT_IF_DELETING: '50%',
      UNRELATED: 'x',
    });
    expect(config.directory).toBe('/srv/wasm-cache');
    expect(config.capacity).toBe(1024 ** 3);
    expect(config.cleanupInterval).toBe(900_000);
    expect(config.baselineCompressionLevel).toBe(5);
    expect(config.fileCountLimitPercentIfDeleting).toBe(50);
    expect(config.origin('cleanupInterval')).toEqual({ kind: 'env', variable: 'WASM_CACHE_CLEANUP_INTERVAL' });
    expect(config.origin('fileCountSoftLimit')).toEqual({ kind: 'default' });
  });

  it('takes a custom prefix, CAPACITY as an alias, ENABLED, and a base to lay over', () => {
    const base = CacheConfig.default().withCleanupInterval('2h');
    const config = CacheConfig.fromEnv({ MYAPP_CAPACITY: '2Mi', MYAPP_ENABLED: 'off' }, 'MYAPP_', { base });
    expect(config.capacity).toBe(2 * 1024 * 1024);
    expect(config.enabled).toBe(false);
    expect(config.cleanupInterval).toBe(7_200_000);
  });

  it('treats empty variables as unset', () => {
    expect(CacheConfig.fromEnv({ WASM_CACHE_CAPACITY: '' }).capacity).toBe(512 * 1024 * 1024);
  });

  it('names the variable for unknown names, bad values and conflicts, all at once', () => {
    const error = errorOf(() =>
      CacheConfig.fromEnv({
        WASM_CACHE_DIRECTROY: '/typo',
        WASM_CACHE_CAPACITY: '1Gi',
        WASM_CACHE_FILES_TOTAL_SIZE_SOFT_LIMIT: '2Gi',
        WASM_CACHE_CLEANUP_INTERVAL: '10',
        WASM_CACHE_ENABLED: 'maybe',
      }),
    );
    const settings = error.problems.map((p) => p.setting).sort();
    expect(settings).toEqual(['WASM_CACHE_CLEANUP_INTERVAL', 'WASM_CACHE_DIRECTROY', 'WASM_CACHE_ENABLED', 'WASM_CACHE_FILES_TOTAL_SIZE_SOFT_LIMIT'].sort());
    expect(error.message).toMatch(/WASM_CACHE_DIRECTROY = "<redacted>": unknown cache setting variable/); // a misspelt variable may hold a secret
    expect(error.message).toMatch(/WASM_CACHE_CLEANUP_INTERVAL = "10": a unit is required/);
    expect(error.message).toMatch(/same setting as WASM_CACHE_CAPACITY/);
  });

  it('knows (and ignores) the variables the engine and the remote tier read, so the README example works in a hooked process', () => {
    const env = {
      WASM_CACHE_PRELOAD: '/x.wasm',
      WASM_CACHE_PRODUCER: '1',
      WASM_CACHE_ARTIFACT_TIER: 'full',
      WASM_CACHE_CONFIG_FILE: '/etc/x.toml',
      WASM_CACHE_REMOTE_URL: 'redis://localhost',
      WASM_CACHE_SIGNING_KEY: 'k'.repeat(40),
      WASM_CACHE_SIGNING_KEY_FILE: '/k',
      WASM_CACHE_REMOTE_ALLOW_UNSIGNED: '1',
      WASM_CACHE_REMOTE_TLS_CA_FILE: '/ca.pem',
      WASM_CACHE_CAPACITY: '1Gi',
    };
    expect(CacheConfig.fromEnv(env).capacity).toBe(1024 ** 3);
    // Real typos still fail, and another prefix does not inherit the engine's names.
    expect(errorOf(() => CacheConfig.fromEnv({ WASM_CACHE_PRELAOD: '/x.wasm' })).problems[0]?.setting).toBe('WASM_CACHE_PRELAOD');
    expect(errorOf(() => CacheConfig.fromEnv({ MYAPP_PRELOAD: '/x.wasm' }, 'MYAPP_')).problems[0]?.setting).toBe('MYAPP_PRELOAD');
  });

  it('lists every WASM_CACHE_* variable the engine README documents, except the settings themselves', () => {
    const readme = readFileSync(join(import.meta.dirname, '..', '..', 'engine', 'README.md'), 'utf8');
    const settings = new Set(['WASM_CACHE_ENABLED', 'WASM_CACHE_CAPACITY', ...SETTING_NAMES.map((name) => `WASM_CACHE_${SETTINGS[name].envSuffix}`)]);
    // WASM_CACHE_STORE_<CODE> (ENOSPC, EACCES, ...) are the codes of @cache/store's warnings, not variables.
    const documented = new Set((readme.match(/WASM_CACHE_[A-Z_]*[A-Z]/g) ?? []).filter((name) => !name.startsWith('WASM_CACHE_STORE_')));
    expect(documented.size).toBeGreaterThan(3);
    for (const variable of documented) if (!settings.has(variable)) expect(NON_SETTING_ENV_VARIABLES, variable).toContain(variable);
  });

  it('lets other layers reserve their own variables', () => {
    expect(CacheConfig.fromEnv({ WASM_CACHE_CONFIG_FILE: '/etc/x.toml', WASM_CACHE_TIER: 'x' }, 'WASM_CACHE_', { allow: ['TIER'] }).enabled).toBe(true);
  });
});

describe('CacheConfig#merge', () => {
  it("lays an application's own settings over a base, camelCase or kebab-case", () => {
    const appConfig = { capacity: '64Mi', 'cleanup-interval': '5m', baselineCompressionLevel: 1, optimizedCompressionLevel: 19 };
    const config = CacheConfig.default().withDirectory('/srv/c').merge(appConfig, 'app.json#cache');
    expect(config.capacity).toBe(64 * 1024 * 1024);
    expect(config.cleanupInterval).toBe(300_000);
    expect(config.optimizedCompressionLevel).toBe(19);
    expect(config.directory).toBe('/srv/c');
    expect(config.origin('cleanupInterval')).toEqual({ kind: 'object', label: 'app.json#cache.cleanup-interval' });
  });

  it('takes enabled as a boolean', () => {
    expect(CacheConfig.default().merge({ enabled: false }).enabled).toBe(false);
  });

  it('reports unknown keys, wrong types and invalid values together, naming the source', () => {
    const error = errorOf(() =>
      CacheConfig.default().merge({ capacty: '1Gi', enabled: 'yes', cleanupInterval: { hours: 1 }, fileCountSoftLimit: '0' }, 'app.json#cache'),
    );
    expect(error.problems.map((p) => p.setting).sort()).toEqual(['capacty', 'cleanupInterval', 'enabled', 'fileCountSoftLimit']);
    expect(error.message).toMatch(/capacty = "1Gi" \(app\.json#cache\): unknown setting/);
  });

  it('refuses something that is not a plain object', () => {
    expect(() => CacheConfig.default().merge([] as unknown as Record<string, unknown>)).toThrow(/plain object/);
  });
});
