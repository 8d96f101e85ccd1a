import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cacheConfigFor } from '../examples/permission-policy.js';
import { CacheConfig, CacheConfigError, Config, defaultCacheDirectory, formatProblem, SETTING_NAMES, SETTINGS } from '../src/index.js';

function problemsOf(run: () => unknown): CacheConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(CacheConfigError);
    return error as CacheConfigError;
  }
  throw new Error('expected a CacheConfigError');
}

describe('CacheConfig', () => {
  it("has Wasmtime's defaults", () => {
    const config = CacheConfig.default();
    expect(config.enabled).toBe(true);
    expect(config.workerEventQueueSize).toBe(16);
    expect(config.baselineCompressionLevel).toBe(3);
    expect(config.optimizedCompressionLevel).toBe(20);
    expect(config.optimizedCompressionUsageCounterThreshold).toBe(256);
    expect(config.cleanupInterval).toBe(3_600_000);
    expect(config.optimizingCompressionTaskTimeout).toBe(1_800_000);
    expect(config.allowedClockDriftForFilesFromFuture).toBe(86_400_000);
    expect(config.fileCountSoftLimit).toBe(65_536);
    expect(config.filesTotalSizeSoftLimit).toBe(512 * 1024 * 1024);
    expect(config.fileCountLimitPercentIfDeleting).toBe(70);
    expect(config.filesTotalSizeLimitPercentIfDeleting).toBe(70);
    expect(config.directory).toBe(defaultCacheDirectory());
    expect(config.origin('cleanupInterval')).toEqual({ kind: 'default' });
  });

  it('declares all twelve settings, each with a setter and a getter', () => {
    expect(SETTING_NAMES).toHaveLength(12);
    const proto = CacheConfig.prototype as unknown as Record<string, unknown>;
    for (const name of SETTING_NAMES) {
      const setter = `with${name[0]?.toUpperCase()}${name.slice(1)}`;
      expect(typeof proto[setter], setter).toBe('function');
      expect(Object.getOwnPropertyDescriptor(CacheConfig.prototype, name)?.get, name).toBeTypeOf('function');
    }
  });

  it('is immutable: with* returns a new value and leaves the old one alone', () => {
    const base = CacheConfig.default();
    const changed = base.withCapacity('1Gi').withCleanupInterval('5m');
    expect(changed).not.toBe(base);
    expect(base.capacity).toBe(512 * 1024 * 1024);
    expect(changed.capacity).toBe(1024 ** 3);
    expect(changed.cleanupInterval).toBe(300_000);
    expect(changed.origin('cleanupInterval')).toEqual({ kind: 'code' });
    expect(Object.isFrozen(changed.explicitSettings())).toBe(true);
  });

  it('accepts numbers in code and unit strings alike', () => {
    expect(CacheConfig.default().withCapacity(1024 * 1024).equals(CacheConfig.default().withCapacity('1Mi'))).toBe(true);
    expect(CacheConfig.default().withCleanupInterval(90_000).cleanupInterval).toBe(CacheConfig.default().withCleanupInterval('90s').cleanupInterval);
  });

  it('disabled() turns caching off and keeps valid defaults', () => {
    const config = CacheConfig.disabled();
    expect(config.enabled).toBe(false);
    expect(config.capacity).toBe(512 * 1024 * 1024);
    expect(config.withEnabled(true).enabled).toBe(true);
  });

  it('defers validation, then lists every problem with setting, value and rule', () => {
    const config = CacheConfig.default()
      .withDirectory('relative/dir')
      .withCapacity(0)
      .withCleanupInterval('10 min')
      .withBaselineCompressionLevel(22)
      .withFileCountLimitPercentIfDeleting('120%')
      .withFileCountSoftLimit(-5)
      .withWorkerEventQueueSize(1.5);
    const error = problemsOf(() => config.validate());
    expect(error.code).toBe('ERR_CACHE_CONFIG_INVALID');
    const bySetting = Object.fromEntries(error.problems.map((p) => [p.setting, p]));
    expect(Object.keys(bySetting).sort()).toEqual(
      ['baselineCompressionLevel', 'cleanupInterval', 'directory', 'fileCountLimitPercentIfDeleting', 'fileCountSoftLimit', 'filesTotalSizeSoftLimit', 'workerEventQueueSize'].sort(),
    );
    expect(bySetting['directory']?.rule).toMatch(/absolute/);
    expect(bySetting['directory']?.value).toBe('relative/dir');
    expect(bySetting['filesTotalSizeSoftLimit']?.rule).toMatch(/at least 1/);
    expect(bySetting['cleanupInterval']?.rule).toMatch(/unknown unit "min"/);
    expect(bySetting['baselineCompressionLevel']?.rule).toMatch(/0 to 21/);
    expect(bySetting['fileCountLimitPercentIfDeleting']?.rule).toMatch(/at most 100%/);
    expect(bySetting['fileCountSoftLimit']?.rule).toMatch(/at least 1/);
    expect(bySetting['workerEventQueueSize']?.rule).toMatch(/whole number/);
    expect(error.message).toContain('cleanupInterval = "10 min"');
    expect(config.problems()).toHaveLength(error.problems.length);
    // Getters throw the same typed error on an invalid config.
    expect(() => config.capacity).toThrow(CacheConfigError);
  });

  it('requires the optimized level to be at least the baseline, even alongside other problems', () => {
    const error = problemsOf(() =>
      CacheConfig.default().withBaselineCompressionLevel(10).withOptimizedCompressionLevel(5).withCapacity('huge').validate(),
    );
    expect(error.problems.map((p) => p.setting).sort()).toEqual(['filesTotalSizeSoftLimit', 'optimizedCompressionLevel']);
    expect(error.problems.find((p) => p.setting === 'optimizedCompressionLevel')?.rule).toMatch(/baseline compression level \(10\)/);
    expect(CacheConfig.default().withBaselineCompressionLevel(10).withOptimizedCompressionLevel(10).validate().optimizedCompressionLevel).toBe(10);
    const withDirectory = problemsOf(() => CacheConfig.default().withDirectory('').withBaselineCompressionLevel(9).withOptimizedCompressionLevel(4).validate());
    expect(withDirectory.problems.map((p) => [p.setting, p.rule])).toEqual([
      ['directory', 'must not be empty'],
      ['optimizedCompressionLevel', 'must be at least the baseline compression level (9)'],
    ]);
  });

  it('refuses a directory path that is an existing file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const file = join(dir, 'not-a-dir');
    writeFileSync(file, 'x');
    const error = problemsOf(() => CacheConfig.default().withDirectory(file).validate());
    expect(error.problems[0]?.rule).toMatch(/not a directory/);
    expect(CacheConfig.default().withDirectory(join(dir, 'absent')).directory).toBe(join(dir, 'absent'));
  });

  it('refuses a directory path below a regular file (ENOTDIR) at config time', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const file = join(dir, 'passwd');
    writeFileSync(file, 'x');
    for (const path of [join(file, 'sub'), join(file, 'sub', 'deeper')]) {
      const problems = CacheConfig.default().withDirectory(path).problems();
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatchObject({ setting: 'directory', value: path, rule: 'is a path below a file (ENOTDIR): one of the folders above it is a file' });
    }
    // Absent below an absent folder is fine: the store creates both.
    expect(CacheConfig.default().withDirectory(join(dir, 'a', 'b')).problems()).toEqual([]);
  });

  it('rejects values of the wrong type with a clear rule', () => {
    const config = CacheConfig.default().withSetting('cleanupInterval', true as unknown as number);
    expect(problemsOf(() => config.validate()).problems[0]?.rule).toMatch(/number or a duration string/);
    expect(() => CacheConfig.default().withSetting('nope' as 'directory', 1)).toThrow(/unknown setting/);
  });

  it('formats any value a problem may hold, bigints in tables (a TOML file\'s integers) and objects without a prototype included', () => {
    expect(formatProblem({ setting: 'x', value: { a: 1n, b: [2n] }, rule: 'r' })).toBe('x = {"a":1,"b":[2]}: r');
    expect(formatProblem({ setting: 'x', value: 9007199254740993n, rule: 'r' })).toBe('x = 9007199254740993: r');
    const bare = Object.assign(Object.create(null) as object, { a: 1n });
    expect(formatProblem({ setting: 'x', value: bare, rule: 'r' })).toBe('x = {"a":1}: r');
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    expect(formatProblem({ setting: 'x', value: cyclic, rule: 'r' })).toBe('x = [object Object]: r');
  });

  it('reports null and undefined given to a setter, naming the setting and value, instead of falling back to the default', () => {
    const cases: Array<[CacheConfig, string, unknown, RegExp]> = [
      [CacheConfig.default().withCapacity(null as unknown as number), 'filesTotalSizeSoftLimit', null, /must be a number or a size string/],
      [CacheConfig.default().withCapacity(undefined as unknown as number), 'filesTotalSizeSoftLimit', undefined, /must be a number or a size string/],
      [CacheConfig.default().withDirectory(undefined as unknown as string), 'directory', undefined, /must be a path/],
      [CacheConfig.default().withDirectory(null as unknown as string), 'directory', null, /must be a path/],
      [CacheConfig.default().withBaselineCompressionLevel(null as unknown as number), 'baselineCompressionLevel', null, /0 to 21/],
    ];
    for (const [config, setting, value, rule] of cases) {
      const problems = config.problems();
      expect(problems, setting).toHaveLength(1);
      expect(problems[0]).toMatchObject({ setting, value });
      expect(problems[0]?.rule).toMatch(rule);
    }
    // withoutSetting is the way back to the default.
    expect(CacheConfig.default().withCapacity('1Gi').withoutSetting('filesTotalSizeSoftLimit').capacity).toBe(512 * 1024 * 1024);
  });

  it('refuses a non-boolean for enabled at once (the string "false" would count as true)', () => {
    const error = problemsOf(() => CacheConfig.default().withEnabled('false' as unknown as boolean));
    expect(error.problems[0]).toMatchObject({ setting: 'enabled', value: 'false', rule: 'must be true or false (a boolean)' });
    expect(() => CacheConfig.default().withEnabled(undefined as unknown as boolean)).toThrow(CacheConfigError);
    expect(CacheConfig.default().withEnabled(false).enabled).toBe(false);
  });

  it('compares by effective settings', () => {
    const a = CacheConfig.default().withCapacity('1Gi');
    expect(a.equals(CacheConfig.default().withCapacity(1024 ** 3))).toBe(true);
    expect(a.equals(CacheConfig.default())).toBe(false);
    expect(a.equals(a.withEnabled(false))).toBe(false);
    expect(CacheConfig.default().withCapacity('512Mi').equals(CacheConfig.default())).toBe(true);
  });

  it('equals() is false, never a throw, when either configuration is invalid (as its doc says)', () => {
    const invalid = CacheConfig.default().withCapacity(0);
    expect(invalid.equals(CacheConfig.default())).toBe(false);
    expect(CacheConfig.default().equals(invalid)).toBe(false);
    expect(invalid.equals(invalid)).toBe(false);
  });

  it('formats a problem without " = value" when nothing was given', () => {
    expect(formatProblem({ setting: 'cache', rule: 'the [cache] table is missing', origin: { kind: 'file', file: 'x.toml' } })).toBe('cache (x.toml): the [cache] table is missing');
    expect(formatProblem({ setting: 'directory', value: undefined, rule: 'must be a path (a string)' })).toBe('directory = undefined: must be a path (a string)');
  });

  it('serializes its effective settings for logging', () => {
    const json = CacheConfig.default().withDirectory('/srv/cache').toJSON();
    expect(json).toMatchObject({ enabled: true, directory: '/srv/cache', filesTotalSizeSoftLimit: 512 * 1024 * 1024 });
    for (const name of SETTING_NAMES) expect(json).toHaveProperty(name);
    expect(Object.keys(SETTINGS)).toEqual(SETTING_NAMES);
  });
});

describe('Config', () => {
  it('carries a cache config and is immutable', () => {
    const cache = CacheConfig.default().withCapacity('1Gi');
    const base = Config.default();
    const config = base.cacheConfig(cache);
    expect(config.cache).toBe(cache);
    expect(base.cache.capacity).toBe(512 * 1024 * 1024);
    expect(config.validate()).toBe(config);
    expect(() => Config.default().cacheConfig(CacheConfig.default().withCapacity(-1)).validate()).toThrow(CacheConfigError);
    expect(() => Config.default().cacheConfig({} as CacheConfig)).toThrow(TypeError);
  });
});

describe('the permission-level policy example', () => {
  const dir = mkdtempSync(join(tmpdir(), 'policy-'));
  it('gives fast SSD 2 MiB, HDD 512 KiB, and untrusted tenants no cache', () => {
    expect(cacheConfigFor('fast-ssd', dir).capacity).toBe(2 * 1024 * 1024);
    const hdd = cacheConfigFor('hdd', dir);
    expect(hdd.capacity).toBe(512 * 1024);
    expect(hdd.cleanupInterval).toBe(6 * 3_600_000);
    expect(hdd.enabled).toBe(true);
    expect(cacheConfigFor('none', dir).enabled).toBe(false);
  });
  it('fails when the policy is given a relative directory', () => {
    expect(() => cacheConfigFor('fast-ssd', 'cache')).toThrow(/absolute/);
  });
});
