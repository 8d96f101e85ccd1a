import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CacheConfig, CacheConfigError, defaultConfigFilePath } from '@cache/config';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ConfigFileAccessError,
  ConfigFileExistsError,
  createDefaultConfigFile,
  defaultConfigFileText,
  loadCacheConfig,
  parseCacheConfig,
  saveCacheConfig,
  stringifyCacheConfig,
} from '../src/index.js';

const quiet = { onWarning: () => undefined };

/** Any valid configuration, built through the public setters. */
const anyConfig = fc
  .record({
    enabled: fc.boolean(),
    directory: fc.option(fc.stringMatching(/^\/[a-z0-9 "'\\._-]{1,20}$/), { nil: undefined }),
    capacity: fc.option(fc.integer({ min: 1, max: 2 ** 50 }), { nil: undefined }),
    fileCount: fc.option(fc.integer({ min: 1, max: 1e9 }), { nil: undefined }),
    queue: fc.option(fc.integer({ min: 1, max: 1e6 }), { nil: undefined }),
    threshold: fc.option(fc.integer({ min: 0, max: 1e6 }), { nil: undefined }),
    levels: fc.option(fc.tuple(fc.integer({ min: 0, max: 21 }), fc.integer({ min: 0, max: 21 })).map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as const), { nil: undefined }),
    interval: fc.option(fc.integer({ min: 0, max: 1e7 }).map((s) => s * 1000), { nil: undefined }),
    timeout: fc.option(fc.integer({ min: 1, max: 1e7 }).map((s) => s * 1000), { nil: undefined }),
    drift: fc.option(fc.integer({ min: 0, max: 1e7 }).map((s) => s * 1000), { nil: undefined }),
    percents: fc.option(fc.tuple(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 100 })), { nil: undefined }),
  })
  .map((r) => {
    let c = r.enabled ? CacheConfig.default() : CacheConfig.disabled();
    if (r.directory !== undefined) c = c.withDirectory(r.directory);
    if (r.capacity !== undefined) c = c.withCapacity(r.capacity);
    if (r.fileCount !== undefined) c = c.withFileCountSoftLimit(r.fileCount);
    if (r.queue !== undefined) c = c.withWorkerEventQueueSize(r.queue);
    if (r.threshold !== undefined) c = c.withOptimizedCompressionUsageCounterThreshold(r.threshold);
    if (r.levels !== undefined) c = c.withBaselineCompressionLevel(r.levels[0]).withOptimizedCompressionLevel(r.levels[1]);
    if (r.interval !== undefined) c = c.withCleanupInterval(r.interval);
    if (r.timeout !== undefined) c = c.withOptimizingCompressionTaskTimeout(r.timeout);
    if (r.drift !== undefined) c = c.withAllowedClockDriftForFilesFromFuture(r.drift);
    if (r.percents !== undefined) c = c.withFileCountLimitPercentIfDeleting(r.percents[0]).withFilesTotalSizeLimitPercentIfDeleting(r.percents[1]);
    return c;
  });

describe('stringifyCacheConfig', () => {
  it('round-trips: load(save(c)) equals c, for any valid configuration', () => {
    fc.assert(
      fc.property(anyConfig, (config) => {
        const loaded = parseCacheConfig(stringifyCacheConfig(config), quiet);
        expect(loaded.equals(config)).toBe(true);
        expect(loaded.enabled).toBe(config.enabled);
      }),
      { numRuns: 500 },
    );
  });

  it('writes only what differs from the defaults, in canonical units', () => {
    const text = stringifyCacheConfig(CacheConfig.default().withCapacity(1024 ** 3).withCleanupInterval(90 * 60_000));
    expect(text).toContain('files-total-size-soft-limit = "1Gi"');
    expect(text).toContain('cleanup-interval = "90m"');
    expect(text).not.toContain('directory');
    expect(text).not.toContain('baseline-compression-level');
  });

  it('refuses durations the file cannot express, naming the setting', () => {
    expect(() => stringifyCacheConfig(CacheConfig.default().withCleanupInterval(1500))).toThrow(CacheConfigError);
    expect(() => stringifyCacheConfig(CacheConfig.default().withCleanupInterval(1500))).toThrow(/cleanupInterval = 1500: .*whole seconds/);
  });

  it('refuses an invalid configuration', () => {
    expect(() => stringifyCacheConfig(CacheConfig.default().withCapacity('lots'))).toThrow(CacheConfigError);
  });
});

describe('files on disk', () => {
  const dir = mkdtempSync(join(tmpdir(), 'toml-write-'));

  it('saveCacheConfig writes a file that loads back equal, and never overwrites unless asked', async () => {
    const file = join(dir, 'nested', 'config.toml');
    const config = CacheConfig.default().withDirectory('/srv/c').withCapacity('64Mi');
    await saveCacheConfig(config, file);
    expect((await loadCacheConfig(file)).equals(config)).toBe(true);
    await expect(saveCacheConfig(CacheConfig.default(), file)).rejects.toBeInstanceOf(ConfigFileExistsError);
    expect((await loadCacheConfig(file)).capacity).toBe(64 * 1024 * 1024);
    await saveCacheConfig(CacheConfig.default(), file, { overwrite: true });
    expect((await loadCacheConfig(file)).capacity).toBe(512 * 1024 * 1024);
  });

  it('a file in the way of the folder is an access error saying so, not "already exists"; with overwrite too', async () => {
    const blocker = join(dir, 'a-file');
    writeFileSync(blocker, 'not a folder\n');
    // The folder itself a file (mkdir says EEXIST), or a file further up its path (ENOTDIR).
    for (const [file, overwrite] of [[join(blocker, 'config.toml'), false], [join(blocker, 'config.toml'), true], [join(blocker, 'sub', 'config.toml'), false]] as const) {
      const error = await saveCacheConfig(CacheConfig.default(), file, { overwrite }).then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      expect(error).toBeInstanceOf(ConfigFileAccessError);
      expect(error).toMatchObject({ code: 'ERR_CACHE_CONFIG_FILE_ACCESS', operation: 'write', file });
      expect((error as ConfigFileAccessError).systemCode).toBe('ENOTDIR');
      expect((error as Error).message).toMatch(/^Cannot write cache configuration file /);
    }
    expect(readFileSync(blocker, 'utf8')).toBe('not a folder\n');
  });

  it('createDefaultConfigFile writes the template like `wasmtime config new`, refusing to overwrite', async () => {
    const file = join(dir, 'new', 'config.toml');
    expect(await createDefaultConfigFile(file)).toBe(file);
    expect(readFileSync(file, 'utf8')).toBe(defaultConfigFileText());
    expect((await loadCacheConfig(file)).equals(CacheConfig.default())).toBe(true);
    writeFileSync(file, '# mine\n[cache]\n');
    await expect(createDefaultConfigFile(file)).rejects.toMatchObject({ code: 'ERR_CACHE_CONFIG_FILE_EXISTS', file });
    expect(readFileSync(file, 'utf8')).toBe('# mine\n[cache]\n');
  });

  it('the default template lists every setting, commented out', () => {
    const text = defaultConfigFileText();
    for (const key of ['directory', 'worker-event-queue-size', 'cleanup-interval', 'files-total-size-soft-limit', 'files-total-size-limit-percent-if-deleting']) {
      expect(text).toMatch(new RegExp(`^# ${key} = `, 'm'));
    }
  });

  it('finds the default file location per OS', () => {
    expect(defaultConfigFilePath({ platform: 'linux', env: {}, home: '/h' })).toBe('/h/.config/wasm-cache/config.toml');
    expect(existsSync(dir)).toBe(true);
  });
});
