import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CacheConfig as BaseCacheConfig, CacheConfigError } from '@cache/config';
import { describe, expect, it, vi } from 'vitest';
import {
  CacheConfig,
  ConfigFileAccessError,
  loadCacheConfig,
  loadCacheConfigSync,
  loadDefaultCacheConfig,
  parseCacheConfig,
  TomlSyntaxError,
  type ConfigFileWarning,
} from '../src/index.js';

function configError(run: () => unknown): CacheConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(CacheConfigError);
    return error as CacheConfigError;
  }
  throw new Error('expected a CacheConfigError');
}

const FULL = `# every setting, as Wasmtime documents them
[cache]
directory = "/var/cache/wasm"
worker-event-queue-size = "32"
baseline-compression-level = 5
optimized-compression-level = 19
optimized-compression-usage-counter-threshold = "1K"
cleanup-interval = "30m"
optimizing-compression-task-timeout = "10m"
allowed-clock-drift-for-files-from-future = "2h"
file-count-soft-limit = "10K"
files-total-size-soft-limit = "1Gi"
file-count-limit-percent-if-deleting = "60%"
files-total-size-limit-percent-if-deleting = "50%"
`;

describe('parseCacheConfig', () => {
  it('reads every one of the twelve settings, kebab-case, with units', () => {
    const config = parseCacheConfig(FULL, { file: 'full.toml' });
    expect(config.toJSON()).toEqual({
      enabled: true,
      directory: '/var/cache/wasm',
      workerEventQueueSize: 32,
      baselineCompressionLevel: 5,
      optimizedCompressionLevel: 19,
      optimizedCompressionUsageCounterThreshold: 1000,
      cleanupInterval: 1_800_000,
      optimizingCompressionTaskTimeout: 600_000,
      allowedClockDriftForFilesFromFuture: 7_200_000,
      fileCountSoftLimit: 10_000,
      filesTotalSizeSoftLimit: 1024 ** 3,
      fileCountLimitPercentIfDeleting: 60,
      filesTotalSizeLimitPercentIfDeleting: 50,
    });
    expect(config.origin('cleanupInterval')).toEqual({ kind: 'file', file: 'full.toml', line: 8, column: 1 });
  });

  it('accepts dotted keys and inline tables, as TOML allows', () => {
    expect(parseCacheConfig('cache.files-total-size-soft-limit = "2Mi"\n').capacity).toBe(2 * 1024 * 1024);
    expect(parseCacheConfig('cache = { cleanup-interval = "5m" }\n').cleanupInterval).toBe(300_000);
  });

  it('an empty [cache] table gives the defaults', () => {
    expect(parseCacheConfig('[cache]\n').equals(BaseCacheConfig.default())).toBe(true);
  });

  it('names the key, file, line and column of an unknown key', () => {
    const error = configError(() => parseCacheConfig('[cache]\ncleanup-interval = "1h"\n  directroy = "/x"\n', { file: '/etc/wasm.toml' }));
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatchObject({
      setting: 'directroy',
      value: '/x',
      origin: { kind: 'file', file: '/etc/wasm.toml', line: 3, column: 3 },
    });
    expect(error.message).toContain('directroy = "/x" (/etc/wasm.toml:3:3): unknown key in [cache]');
  });

  it('rejects other top-level tables and a missing [cache] table, as Wasmtime does', () => {
    const error = configError(() => parseCacheConfig('[cache]\n\n[redis]\nurl = "x"\n', { file: 'f.toml' }));
    expect(error.problems[0]).toMatchObject({ setting: 'redis', origin: { line: 3 } });
    expect(configError(() => parseCacheConfig('# nothing\n')).problems[0]?.rule).toMatch(/\[cache\] table is missing/);
    expect(configError(() => parseCacheConfig('cache = 1\n')).problems[0]?.rule).toMatch(/must be a table/);
  });

  it('rejects bare integers for settings written with units, and strings for levels', () => {
    const error = configError(() =>
      parseCacheConfig('[cache]\nfiles-total-size-soft-limit = 1024\nbaseline-compression-level = "3"\ncleanup-interval = 3600\n', { file: 'f.toml' }),
    );
    expect(error.problems.map((p) => [p.setting, p.origin?.kind === 'file' ? p.origin.line : 0])).toEqual([
      ['files-total-size-soft-limit', 2],
      ['baseline-compression-level', 3],
      ['cleanup-interval', 4],
    ]);
    expect(error.problems[0]?.rule).toMatch(/TOML string/);
    expect(error.problems[1]?.rule).toMatch(/TOML integer/);
  });

  it('rejects TOML floats for compression levels, as Wasmtime\'s i32 does, with file:line:column', () => {
    for (const literal of ['3.0', '1e1', '-0.0', 'inf', 'nan']) {
      const error = configError(() => parseCacheConfig(`[cache]\ncleanup-interval = "1h"\nbaseline-compression-level = ${literal}\n`, { file: 'f.toml' }));
      expect(error.problems, literal).toHaveLength(1);
      expect(error.problems[0]).toMatchObject({ setting: 'baseline-compression-level', rule: 'must be a TOML integer from 0 to 21, not a float', origin: { file: 'f.toml', line: 3, column: 1 } });
    }
    const inline = configError(() => parseCacheConfig('cache = { optimized-compression-level = 20.0 }\n', { file: 'f.toml' }));
    expect(inline.problems.map((p) => p.setting)).toEqual(['optimized-compression-level']);
    // Integers in any TOML notation are still integers.
    expect(parseCacheConfig('[cache]\nbaseline-compression-level = 0x5\noptimized-compression-level = 1_0\n').baselineCompressionLevel).toBe(5);
    expect(parseCacheConfig('[cache]\nbaseline-compression-level = +3\n').baselineCompressionLevel).toBe(3);
  });

  it('keeps the problems of a table value JSON-serializable (its integers as numbers)', () => {
    const error = configError(() => parseCacheConfig('foo = { b = 1, c = [2, { d = 3 }] }\n[cache]\n', { file: 'f.toml' }));
    expect(error.message).toContain('foo = {"b":1,"c":[2,{"d":3}]} (f.toml:1:1): unknown key at the top level');
    expect(JSON.parse(JSON.stringify(error.problems))).toEqual([expect.objectContaining({ setting: 'foo', value: { b: 1, c: [2, { d: 3 }] } })]);
  });

  it('shows a float level, and any number in [cache], as the file wrote it (3.0, not 3)', () => {
    for (const literal of ['3.0', '1e1', '-0.0', '+inf', 'nan', '2.50']) {
      const error = configError(() => parseCacheConfig(`[cache]\nbaseline-compression-level = ${literal} # tuned\n`, { file: 'f.toml' }));
      expect(error.message).toContain(`baseline-compression-level = ${literal} (f.toml:2:1): must be a TOML integer from 0 to 21, not a float`);
      // The problem keeps the number, for programs and loggers.
      expect(typeof error.problems[0]?.value).toBe('number');
    }
    const inline = configError(() => parseCacheConfig('cache = { optimized-compression-level = 20.0, cleanup-interval = 0x3c }\nnope = 1_000\n', { file: 'f.toml' }));
    expect(inline.message).toContain('optimized-compression-level = 20.0 (f.toml:1:11): must be a TOML integer from 0 to 21, not a float');
    expect(inline.message).toContain('cleanup-interval = 0x3c (f.toml:1:47): must be a TOML string');
    expect(inline.message).toContain('nope = 1_000 (f.toml:2:1): unknown key at the top level');
  });

  it('reports a level beyond 2^53 as the setting\'s value problem, exactly as written, not as a TOML syntax error', () => {
    for (const literal of ['9007199254740993', '99999999999999999999', '-1']) {
      const error = configError(() => parseCacheConfig(`[cache]\nbaseline-compression-level = ${literal}\n`, { file: 'f.toml' }));
      expect(error.problems).toHaveLength(1);
      expect(error.message).toContain(`baseline-compression-level = ${literal} (f.toml:2:1): must be a whole number from 0 to 21 (zstd levels)`);
    }
  });

  it('a bare number is refused with an example of that setting\'s own kind of string', () => {
    const cases = [
      ['cleanup-interval', '"1h" or "30m"'],
      ['files-total-size-soft-limit', '"512Mi"'],
      ['file-count-soft-limit', '"65536" or "64K"'],
      ['files-total-size-limit-percent-if-deleting', '"70%"'],
    ] as const;
    for (const [key, example] of cases) {
      const error = configError(() => parseCacheConfig(`[cache]\n${key} = 60\n`, { file: 'f.toml' }));
      expect(error.message).toContain(`${key} = 60 (f.toml:2:1): must be a TOML string such as ${example} (bare numbers are not accepted, as in Wasmtime)`);
    }
  });

  it('suggests only forms a file accepts: strings, never the bare numbers it refuses', () => {
    const error = configError(() => parseCacheConfig('[cache]\nfiles-total-size-soft-limit = "1 GB"\nfiles-total-size-limit-percent-if-deleting = "50"\n', { file: 'f.toml' }));
    expect(error.message).toContain('files-total-size-soft-limit = "1 GB" (f.toml:2:1): unknown unit "GB"; use one of K, Ki, M, Mi, G, Gi, T, Ti, P, Pi or none (bytes) (examples: "512Mi", "1G", "1048576")');
    expect(error.message).toContain('(f.toml:3:1): the % sign is required (examples: "70%")');
  });

  it('reports every invalid value at once with its line, in file order', () => {
    const error = configError(() =>
      parseCacheConfig(
        '[cache]\ndirectory = "relative"\ncleanup-interval = "10 min"\nbaseline-compression-level = 9\noptimized-compression-level = 4\nfile-count-limit-percent-if-deleting = "101%"\nfile-count-soft-limit = "0"\n',
        { file: 'bad.toml' },
      ),
    );
    expect(error.problems.map((p) => p.setting)).toEqual([
      'directory',
      'cleanup-interval',
      'optimized-compression-level',
      'file-count-limit-percent-if-deleting',
      'file-count-soft-limit',
    ]);
    expect(error.message).toContain('cleanup-interval = "10 min" (bad.toml:3:1): unknown unit "min"');
    expect(error.message).toContain('(bad.toml:5:1): must be at least the baseline compression level (9)');
  });

  it('accepts the removed enabled key with one deprecation warning; false disables', () => {
    const warnings: ConfigFileWarning[] = [];
    const disabled = parseCacheConfig('[cache]\nenabled = false\n', { file: 'old.toml', onWarning: (w) => warnings.push(w) });
    expect(disabled.enabled).toBe(false);
    expect(parseCacheConfig('[cache]\nenabled = true\n', { onWarning: (w) => warnings.push(w) }).enabled).toBe(true);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatchObject({ code: 'CACHE_TOML_ENABLED_DEPRECATED', origin: { file: 'old.toml', line: 2 } });
    expect(warnings[0]?.message).toMatch(/Wasmtime 33/);
    expect(configError(() => parseCacheConfig('[cache]\nenabled = "no"\n')).problems[0]?.rule).toMatch(/true or false/);
  });

  it('emits the default deprecation warning once per process', () => {
    const emit = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    parseCacheConfig('[cache]\nenabled = true\n');
    parseCacheConfig('[cache]\nenabled = true\n');
    expect(emit.mock.calls.filter((call) => JSON.stringify(call).includes('CACHE_TOML_ENABLED_DEPRECATED')).length).toBe(1);
    emit.mockRestore();
  });

  it('re-throws TOML syntax errors as TomlSyntaxError with file, line and column', () => {
    try {
      parseCacheConfig('[cache]\ncleanup-interval = "1h"\nx = = 1\n', { file: 'broken.toml' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(TomlSyntaxError);
      const e = error as TomlSyntaxError;
      expect(e.code).toBe('ERR_CACHE_TOML_SYNTAX');
      expect([e.file, e.line]).toEqual(['broken.toml', 3]);
      expect(e.column).toBeGreaterThan(0);
      expect(e.message).toMatch(/^broken\.toml:3:\d+: invalid TOML/);
    }
  });

  it('a key or table defined twice is named, with the line of its second definition', () => {
    const cases = [
      ['[cache]\ndirectory = "/a"\ndirectory = "/b"\n', 3, 'directory'],
      ['[cache]\ncleanup-interval = "1h"\n\n[cache]\n', 4, '[cache]'],
      ['[cache]\n  "files-total-size-soft-limit" = "1Gi"\n"files-total-size-soft-limit"="2Gi" # again\n', 3, '"files-total-size-soft-limit"'],
      ['[wasm-cache]\nremote.url = "redis://a"\nremote = 1\n', 3, 'remote'],
    ] as const;
    for (const [text, line, name] of cases) {
      const error = (() => {
        try {
          parseCacheConfig(text, { file: 'twice.toml' });
        } catch (thrown) {
          return thrown;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(TomlSyntaxError);
      expect((error as TomlSyntaxError).message).toMatch(new RegExp(`^twice\\.toml:${line}:\\d+: invalid TOML: ${name.replace(/[[\]]/g, '\\$&')}: trying to redefine an already defined table or value$`));
    }
  });

  it('lays the file over a base configuration', () => {
    const base = BaseCacheConfig.default().withDirectory('/base');
    const config = parseCacheConfig('[cache]\ncleanup-interval = "2m"\n', { base });
    expect([config.directory, config.cleanupInterval]).toEqual(['/base', 120_000]);
  });
});

describe('errors as JSON', () => {
  it("a file's problems serialize with JSON.stringify (TOML integers are bigints when parsed)", () => {
    const error = configError(() => parseCacheConfig('[cache]\nfoo = 1\nbaseline-compression-level = 99\n', { file: 'ints.toml' }));
    expect(JSON.parse(JSON.stringify(error.problems))).toEqual(
      expect.arrayContaining([expect.objectContaining({ setting: 'foo', value: 1 }), expect.objectContaining({ setting: 'baseline-compression-level', value: 99 })]),
    );
  });
});

describe('loading files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'toml-'));
  it('reads no default file below the current folder when the home folder is relative (a relative HOME)', () => {
    const cwd = process.cwd();
    const planted = join(dir, 'relhome', '.config', 'wasm-cache');
    mkdirSync(planted, { recursive: true });
    writeFileSync(join(planted, 'config.toml'), '[cache]\ndirectory = "/tmp/planted"\n');
    process.chdir(dir);
    try {
      const context = { platform: 'linux' as const, env: {}, home: 'relhome' };
      const loaded = loadDefaultCacheConfig({ context });
      expect(loaded.file).toBeUndefined();
      expect(loaded.config.equals(CacheConfig.default())).toBe(true);
      // An absolute home folder still has its file read.
      expect(loadDefaultCacheConfig({ context: { ...context, home: join(dir, 'relhome') } }).file).toBe(join(planted, 'config.toml'));
    } finally {
      process.chdir(cwd);
    }
  });

  it('loads from disk, sync and async, naming the file in errors', async () => {
    const file = join(dir, 'config.toml');
    writeFileSync(file, FULL);
    expect((await loadCacheConfig(file)).capacity).toBe(1024 ** 3);
    expect(loadCacheConfigSync(file).capacity).toBe(1024 ** 3);
    expect((await CacheConfig.fromTomlFile(file)).cleanupInterval).toBe(1_800_000);
    const bad = join(dir, 'bad.toml');
    writeFileSync(bad, '[cache]\ncleanup-interval = "soon"\n');
    await expect(loadCacheConfig(bad)).rejects.toThrow(`${bad}:2:1`);
  });

  it('a missing file is a ConfigFileAccessError with the system code', async () => {
    const missing = join(dir, 'missing.toml');
    await expect(loadCacheConfig(missing)).rejects.toMatchObject({ code: 'ERR_CACHE_CONFIG_FILE_ACCESS', systemCode: 'ENOENT', file: missing });
    expect(() => loadCacheConfigSync(missing)).toThrow(ConfigFileAccessError);
  });

  it('CacheConfig from @cache/toml is the builder plus fromToml', () => {
    const config = CacheConfig.fromToml('[cache]\nfiles-total-size-soft-limit = "1Mi"\n');
    expect(config).toBeInstanceOf(BaseCacheConfig);
    expect(CacheConfig.default().withCapacity('1Mi').equals(config)).toBe(true);
  });
});
