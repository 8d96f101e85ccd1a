import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { CacheConfig, cacheFileSchema, cacheFileSectionSchema, cacheSettingsSchema, defaultCacheDirectory, remoteSettingsSchema, SETTING_NAMES, SETTINGS } from '../src/index.js';

// The schemas are built on first use, not at import; the exported values stand in for them.
describe('the schemas, built on first use', () => {
  it('resolves the defaults without the schema exactly as the schema does', () => {
    const input = Object.fromEntries(SETTING_NAMES.map((name) => [name, SETTINGS[name].defaultValue]));
    const parsed = cacheSettingsSchema.parse(input);
    const expected = { ...parsed, directory: defaultCacheDirectory() };
    const settings = CacheConfig.default().settings();
    expect(settings).toStrictEqual(expected);
    expect(Object.keys(settings)).toEqual(Object.keys(expected));
    expect(Object.isFrozen(settings)).toBe(true);
    expect(CacheConfig.disabled().toJSON()).toStrictEqual({ enabled: false, ...expected });
  });

  it('exports values that behave as the zod schemas they stand for', () => {
    for (const schema of [cacheSettingsSchema, cacheFileSchema, cacheFileSectionSchema, remoteSettingsSchema]) {
      expect(schema).toBeInstanceOf(z.ZodMiniObject);
      expect(schema._zod.def.type).toBe('object');
      expect(typeof schema['~standard'].validate).toBe('function');
    }
    expect(cacheFileSchema.shape.cache).toBe(cacheFileSectionSchema);
    expect(Object.keys(cacheFileSectionSchema.shape)).toContain('cleanup-interval');
    expect(z.globalRegistry.get(cacheFileSchema)).toEqual({ title: 'WebAssembly module cache configuration (Wasmtime-compatible)' });
    expect(z.globalRegistry.get(cacheFileSectionSchema)).toEqual({ description: "Wasmtime's cache settings" });
    expect(cacheSettingsSchema.safeParse({}).success).toBe(false);
    expect(z.safeParse(cacheFileSectionSchema, { 'cleanup-interval': '1h' }).success).toBe(true);
  });
});
