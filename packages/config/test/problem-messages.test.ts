import { describe, expect, it } from 'vitest';
import { CacheConfig, CacheConfigError, formatProblem, type ConfigProblem, type SettingOrigin } from '../src/index.js';

const FILE: SettingOrigin = { kind: 'file', file: 'x.toml', line: 2, column: 1 };

function ruleOf(config: CacheConfig): string | undefined {
  return config.problems()[0]?.rule;
}

function envRule(variable: string, value: string): string | undefined {
  try {
    CacheConfig.fromEnv({ [variable]: value });
  } catch (error) {
    if (error instanceof CacheConfigError) return error.problems[0]?.rule;
    throw error;
  }
  throw new Error(`expected ${variable}=${value} to be refused`);
}

describe('problem messages suggest forms the value\'s own source accepts', () => {
  it('a file gets only string examples (a bare number is refused there)', () => {
    const rule = ruleOf(CacheConfig.default().withSetting('filesTotalSizeSoftLimit', '1 GB', FILE));
    expect(rule).toBe('unknown unit "GB"; use one of K, Ki, M, Mi, G, Gi, T, Ti, P, Pi or none (bytes) (examples: "512Mi", "1G", "1048576")');
    expect(ruleOf(CacheConfig.default().withSetting('fileCountLimitPercentIfDeleting', '70', FILE))).toBe('the % sign is required (examples: "70%")');
    expect(ruleOf(CacheConfig.default().withSetting('cleanupInterval', '3600000', FILE))).toBe('a unit is required: s, m, h or d (examples: "1h", "30m", "90s")');
  });

  it('a variable gets the text it accepts: a percent needs its % sign', () => {
    expect(envRule('WASM_CACHE_FILES_TOTAL_SIZE_LIMIT_PERCENT_IF_DELETING', '50')).toBe('the % sign is required (examples: 70%)');
    expect(envRule('WASM_CACHE_CLEANUP_INTERVAL', '10')).toBe('a unit is required: s, m, h or d (examples: 1h, 30m, 90s)');
  });

  it('code gets strings and numbers in base units', () => {
    expect(ruleOf(CacheConfig.default().withCleanupInterval('10 min'))).toBe('unknown unit "min"; use s, m, h or d (examples: "1h", "30m", "90s", 3600000 (milliseconds))');
  });

  it('says what "too small" means with its unit, in the source\'s form', () => {
    expect(envRule('WASM_CACHE_OPTIMIZING_COMPRESSION_TASK_TIMEOUT', '0s')).toBe('must be at least 1 second (1s)');
    expect(ruleOf(CacheConfig.default().withSetting('optimizingCompressionTaskTimeout', '0s', FILE))).toBe('must be at least 1 second ("1s")');
    expect(ruleOf(CacheConfig.default().withOptimizingCompressionTaskTimeout(0))).toBe('must be at least 1 millisecond');
    expect(envRule('WASM_CACHE_WORKER_EVENT_QUEUE_SIZE', '0')).toBe('must be at least 1');
    expect(ruleOf(CacheConfig.default().withCapacity(0))).toBe('must be at least 1 byte (zero would disable the limit)');
    expect(ruleOf(CacheConfig.default().withFileCountSoftLimit('0'))).toBe('must be at least 1 (zero would disable the limit)');
  });

  it('a whole number above 2^53-1 is too large, not "not whole"; NaN and Infinity are not finite numbers', () => {
    expect(ruleOf(CacheConfig.default().withCapacity(2 ** 60))).toBe('is above the largest supported size, 2^53-1 bytes (about 8 PiB)');
    expect(ruleOf(CacheConfig.default().withCleanupInterval(2 ** 60))).toBe('is above the largest supported duration, 2^53-1 milliseconds');
    expect(ruleOf(CacheConfig.default().withCapacity(1.5))).toBe('must be a whole number of bytes');
    expect(ruleOf(CacheConfig.default().withCapacity(Number.NaN))).toMatch(/^is not a finite number/);
    expect(ruleOf(CacheConfig.default().withFileCountSoftLimit(Number.POSITIVE_INFINITY))).toMatch(/^is not a finite number/);
    expect(ruleOf(CacheConfig.default().withCapacity(Number.MAX_SAFE_INTEGER))).toBeUndefined();
  });

  it('a percent above 255 is "at most 100%", as one above 100 is', () => {
    expect(ruleOf(CacheConfig.default().withFileCountLimitPercentIfDeleting('256%'))).toBe('must be at most 100% (examples: "70%", 70)');
    expect(ruleOf(CacheConfig.default().withFileCountLimitPercentIfDeleting('101%'))).toBe('must be at most 100%');
  });
});

describe('CacheConfigError.problems serialize as JSON', () => {
  it('bigint values (a TOML integer) become numbers, or decimal strings beyond 2^53, in tables and arrays too; the message is unchanged', () => {
    const origin: SettingOrigin = { kind: 'file', file: 'c.toml', line: 2, column: 1 };
    const error = new CacheConfigError([
      { setting: 'baseline-compression-level', value: 99n, rule: 'an integer from 0 to 21', origin },
      { setting: 'file-count-soft-limit', value: 2n ** 64n, rule: 'must be a string', origin },
      { setting: 'cache', value: { nested: [1n, { deep: 3n }], text: 'x' }, rule: 'unknown table', origin },
      { setting: 'directory', rule: 'missing' },
    ]);
    expect(() => JSON.stringify(error.problems)).not.toThrow();
    expect(error.problems.map((problem) => problem.value)).toEqual([99, '18446744073709551616', { nested: [1, { deep: 3 }], text: 'x' }, undefined]);
    expect(Object.hasOwn(error.problems[3] ?? {}, 'value')).toBe(false);
    expect(error.message).toContain('baseline-compression-level = 99 (c.toml:2:1): an integer from 0 to 21');
    expect(error.message).toContain('file-count-soft-limit = 18446744073709551616 (c.toml:2:1)');
  });
});

/** The one error a function throws. */
function errorOf(run: () => unknown): CacheConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof CacheConfigError) return error;
    throw error;
  }
  throw new Error('expected a CacheConfigError');
}

describe('the compression levels out of order are reported at a level the user wrote, with its origin', () => {
  const AT_LINE_4: SettingOrigin = { kind: 'file', file: '/etc/wasm-cache.toml', line: 4, column: 1 };

  it('only the baseline given, above the default optimized level: the problem is the baseline, as written, where it was written', () => {
    const file = CacheConfig.default().withSetting('baselineCompressionLevel', 21, AT_LINE_4).problems();
    expect(file).toEqual([
      {
        setting: 'baseline-compression-level',
        value: 21,
        rule: 'is above the default optimized compression level (20); set optimized-compression-level too, to 21 or more',
        origin: AT_LINE_4,
      },
    ]);
    expect(formatProblem(file[0] as ConfigProblem)).toBe(
      'baseline-compression-level = 21 (/etc/wasm-cache.toml:4:1): is above the default optimized compression level (20); set optimized-compression-level too, to 21 or more',
    );

    const env = errorOf(() => CacheConfig.fromEnv({ WASM_CACHE_BASELINE_COMPRESSION_LEVEL: '21' }));
    expect(env.problems).toEqual([
      {
        setting: 'WASM_CACHE_BASELINE_COMPRESSION_LEVEL',
        value: '21',
        rule: 'is above the default optimized compression level (20); set WASM_CACHE_OPTIMIZED_COMPRESSION_LEVEL too, to 21 or more',
        origin: { kind: 'env', variable: 'WASM_CACHE_BASELINE_COMPRESSION_LEVEL' },
      },
    ]);
    expect(errorOf(() => CacheConfig.fromEnv({ MYAPP_BASELINE_COMPRESSION_LEVEL: ' 21 ' }, 'MYAPP_')).problems[0]?.rule).toBe(
      'is above the default optimized compression level (20); set MYAPP_OPTIMIZED_COMPRESSION_LEVEL too, to 21 or more',
    );

    const kebab = errorOf(() => CacheConfig.default().merge({ 'baseline-compression-level': 21 }, 'app.json'));
    expect(kebab.problems).toEqual([
      {
        setting: 'baseline-compression-level',
        value: 21,
        rule: 'is above the default optimized compression level (20); set optimized-compression-level too, to 21 or more',
        origin: { kind: 'object', label: 'app.json.baseline-compression-level' },
      },
    ]);
    expect(errorOf(() => CacheConfig.default().merge({ baselineCompressionLevel: 21 }, 'app.json')).problems[0]).toMatchObject({
      setting: 'baselineCompressionLevel',
      rule: 'is above the default optimized compression level (20); set optimizedCompressionLevel too, to 21 or more',
    });

    expect(CacheConfig.default().withBaselineCompressionLevel(21).problems()).toEqual([
      {
        setting: 'baselineCompressionLevel',
        value: 21,
        rule: 'is above the default optimized compression level (20); set optimizedCompressionLevel too, to 21 or more',
        origin: { kind: 'code' },
      },
    ]);
    // At or below the default optimized level, nothing to say.
    expect(CacheConfig.default().withSetting('baselineCompressionLevel', 20, AT_LINE_4).problems()).toEqual([]);
  });

  it('both given: the optimized level, as written, where it was written', () => {
    const optimizedAt: SettingOrigin = { kind: 'file', file: '/etc/wasm-cache.toml', line: 5, column: 1 };
    const file = CacheConfig.default().withSetting('baselineCompressionLevel', 21, AT_LINE_4).withSetting('optimizedCompressionLevel', 20, optimizedAt).problems();
    expect(file).toEqual([{ setting: 'optimized-compression-level', value: 20, rule: 'must be at least the baseline compression level (21)', origin: optimizedAt }]);
    const env = errorOf(() => CacheConfig.fromEnv({ WASM_CACHE_BASELINE_COMPRESSION_LEVEL: '10', WASM_CACHE_OPTIMIZED_COMPRESSION_LEVEL: '5' }));
    expect(env.problems.map((problem) => [problem.setting, problem.rule])).toEqual([
      ['WASM_CACHE_OPTIMIZED_COMPRESSION_LEVEL', 'must be at least the baseline compression level (10)'],
    ]);
    // The optimized level alone, below the default baseline: that level.
    expect(CacheConfig.default().withSetting('optimizedCompressionLevel', 2, optimizedAt).problems()).toEqual([
      { setting: 'optimized-compression-level', value: 2, rule: 'must be at least the baseline compression level (3)', origin: optimizedAt },
    ]);
  });
});

describe("merge() names a setting by the key the application's object used (ConfigProblem.setting: as the user wrote it)", () => {
  it('kebab-case, camelCase and capacity each as written', () => {
    const kebab = errorOf(() => CacheConfig.default().merge({ 'cleanup-interval': '10' }, 'app.json'));
    expect(kebab.problems.map((problem) => problem.setting)).toEqual(['cleanup-interval']);
    expect(kebab.message).toContain('cleanup-interval = "10" (app.json.cleanup-interval): a unit is required');
    expect(errorOf(() => CacheConfig.default().merge({ cleanupInterval: '10' }, 'app.json')).problems[0]?.setting).toBe('cleanupInterval');
    expect(errorOf(() => CacheConfig.default().merge({ capacity: 'huge' }, 'app.json')).problems[0]?.setting).toBe('capacity');
    expect(errorOf(() => CacheConfig.default().merge({ 'files-total-size-soft-limit': 0 }, 'app.json')).problems[0]?.setting).toBe('files-total-size-soft-limit');
  });

  it('a value set again in code is named as in code; the key is forgotten with the value', () => {
    const merged = CacheConfig.default().merge({ 'cleanup-interval': '5m' }, 'app.json');
    expect(merged.withCleanupInterval('10').problems()[0]?.setting).toBe('cleanupInterval');
    expect(merged.withoutSetting('cleanupInterval').withCleanupInterval('10').problems()[0]?.setting).toBe('cleanupInterval');
    // Kept through changes to other settings and to enabled.
    expect(merged.withEnabled(false).withCapacity('1Gi').cleanupInterval).toBe(300_000);
  });
});
