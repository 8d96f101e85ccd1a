import { describe, expect, it, vi } from 'vitest';
import { CacheConfig, Config } from '../src/index.js';

/**
 * A second copy of the package, with classes of its own, as a process gets
 * when it loads both the CommonJS and the ES build (or two installed versions).
 */
async function otherCopy(): Promise<typeof import('../src/index.js')> {
  vi.resetModules();
  const copy = await import('../src/index.js');
  expect(copy.CacheConfig).not.toBe(CacheConfig);
  return copy;
}

describe('a CacheConfig from another copy of @cache/config', () => {
  it('equals() is false, never a throw (as its doc says), either way round', async () => {
    const copy = await otherCopy();
    const theirs = copy.CacheConfig.default().withCapacity('1Gi');
    const mine = CacheConfig.default().withCapacity('1Gi');
    expect(mine.equals(theirs as unknown as CacheConfig)).toBe(false);
    expect(theirs.equals(mine as unknown as ReturnType<typeof copy.CacheConfig.default>)).toBe(false);
    expect(mine.equals(mine)).toBe(true);
    expect(mine.equals({} as CacheConfig)).toBe(false);
    expect(mine.equals(null as unknown as CacheConfig)).toBe(false);
  });

  it('Config.cacheConfig() refuses it, saying it is one from another copy; anything else is named by what it is', async () => {
    const copy = await otherCopy();
    const theirs = copy.CacheConfig.default() as unknown as CacheConfig;
    expect(() => Config.default().cacheConfig(theirs)).toThrow(TypeError);
    expect(() => Config.default().cacheConfig(theirs)).toThrow(
      'Config.cacheConfig expects a CacheConfig (from CacheConfig.default(), disabled(), fromEnv() or a TOML file), got a CacheConfig from another copy of @cache/config (CommonJS and ESM both loaded, or two installed versions?)',
    );
    // A bundler may name the class _CacheConfig.
    const bundled = new (class _CacheConfig {})() as unknown as CacheConfig;
    expect(() => Config.default().cacheConfig(bundled)).toThrow(/another copy of @cache\/config/);
    expect(() => Config.default().cacheConfig(new Map() as unknown as CacheConfig)).toThrow(/, got an object \(Map\)$/);
    expect(() => Config.default().cacheConfig('1Gi' as unknown as CacheConfig)).toThrow(/, got a string$/);
    expect(() => Config.default().cacheConfig(undefined as unknown as CacheConfig)).toThrow(/, got undefined$/);
    expect(() => Config.default().cacheConfig(Object.create(null) as CacheConfig)).toThrow(/, got an object \(no prototype\)$/);
  });

  it('CacheConfig.fromEnv() refuses it as a base with a TypeError saying so, not a private-field error', async () => {
    const copy = await otherCopy();
    const theirs = copy.CacheConfig.default() as unknown as CacheConfig;
    expect(() => CacheConfig.fromEnv({}, undefined, { base: theirs })).toThrow(
      new TypeError(
        'CacheConfig.fromEnv expects options.base to be a CacheConfig, got a CacheConfig from another copy of @cache/config (CommonJS and ESM both loaded, or two installed versions?)',
      ),
    );
    expect(() => CacheConfig.fromEnv({}, undefined, { base: {} as CacheConfig })).toThrow(/options\.base to be a CacheConfig, got an object \(Object\)$/);
    expect(CacheConfig.fromEnv({ WASM_CACHE_CAPACITY: '1Gi' }, undefined, { base: CacheConfig.disabled() }).enabled).toBe(false);
  });
});
