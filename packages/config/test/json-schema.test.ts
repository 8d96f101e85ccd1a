import { describe, expect, it } from 'vitest';
import { cacheFileJsonSchema, cacheFileSchema, REMOTE_SETTING_NAMES, REMOTE_SETTINGS, SETTING_NAMES, SETTINGS } from '../src/index.js';

describe('the settings file schema', () => {
  const schema = cacheFileJsonSchema() as {
    properties: { cache: { properties: Record<string, { type: string; default?: unknown; pattern?: string; description?: string }>; additionalProperties: boolean } };
    additionalProperties: boolean;
  };
  const section = schema.properties.cache;

  it('exports every setting with its kebab key, type, default and description', () => {
    for (const name of SETTING_NAMES) {
      const field = section.properties[SETTINGS[name].fileKey];
      expect(field, name).toBeDefined();
      expect(field?.description).toBe(SETTINGS[name].description);
    }
    expect(section.properties['cleanup-interval']).toMatchObject({ type: 'string', default: '1h' });
    expect(section.properties['files-total-size-soft-limit']).toMatchObject({ type: 'string', default: '512Mi' });
    expect(section.properties['baseline-compression-level']).toMatchObject({ type: 'integer', default: 3 });
    expect(section.additionalProperties).toBe(false);
    expect(schema.additionalProperties).toBe(false);
  });

  it('patterns agree with the parser on simple forms', () => {
    const pattern = new RegExp(section.properties['cleanup-interval']?.pattern ?? '');
    expect(pattern.test('1h')).toBe(true);
    expect(pattern.test('10')).toBe(false);
  });

  it('the zod file schema rejects unknown keys and bare integers for unit settings', () => {
    expect(cacheFileSchema.safeParse({ cache: { 'cleanup-interval': '1h' } }).success).toBe(true);
    expect(cacheFileSchema.safeParse({ cache: { 'cleanup-interval': 3600 } }).success).toBe(false);
    expect(cacheFileSchema.safeParse({ cache: { 'clean-up': '1h' } }).success).toBe(false);
    expect(cacheFileSchema.safeParse({}).success).toBe(false);
  });
});

describe('the file schema and the [wasm-cache.remote] table', () => {
  type Field = { type?: string; minimum?: number; maximum?: number; default?: unknown; pattern?: string; description?: string };
  type Table = { type: string; properties: Record<string, Field & Partial<Table>>; additionalProperties: boolean };
  const schema = cacheFileJsonSchema() as unknown as Table;

  it('describes the [wasm-cache.remote] table the file accepts, so editors do not flag it, and nothing else at the top level', () => {
    expect(Object.keys(schema.properties).sort()).toEqual(['cache', 'wasm-cache']);
    expect(schema.additionalProperties).toBe(false);
    const own = schema.properties['wasm-cache'] as Table;
    expect(Object.keys(own.properties)).toEqual(['remote']);
    expect(own.additionalProperties).toBe(false);
    const remote = own.properties['remote'] as Table;
    expect(remote.additionalProperties).toBe(false);
    expect(Object.keys(remote.properties).sort()).toEqual(REMOTE_SETTING_NAMES.map((name) => REMOTE_SETTINGS[name].fileKey).sort());
    expect(remote.properties['url']).toMatchObject({ type: 'string' });
    expect(remote.properties['allow-unsigned']).toMatchObject({ type: 'boolean', default: false });
    expect(remote.properties['ttl']).toMatchObject({ type: 'string', default: '7d' });
    expect(remote.properties['chunk-size']).toMatchObject({ type: 'string', default: '4Mi' });
    expect(new RegExp(remote.properties['ttl']?.pattern ?? '').test('3d')).toBe(true);
  });

  it('gives compression levels their real range, 0 to 21', () => {
    const section = schema.properties['cache'] as Table;
    for (const key of ['baseline-compression-level', 'optimized-compression-level']) {
      expect(section.properties[key]).toMatchObject({ type: 'integer', minimum: 0, maximum: 21 });
    }
  });

  it('the zod file schema accepts the remote table as the loader does and refuses what the loader refuses', () => {
    expect(cacheFileSchema.safeParse({ cache: {}, 'wasm-cache': { remote: { url: 'redis://localhost:6379', 'allow-unsigned': true, ttl: '1d' } } }).success).toBe(true);
    expect(cacheFileSchema.safeParse({ cache: {}, 'wasm-cache': { remote: { ttl: 86400 } } }).success).toBe(false);
    expect(cacheFileSchema.safeParse({ cache: {}, 'wasm-cache': { remote: { bogus: 'x' } } }).success).toBe(false);
    expect(cacheFileSchema.safeParse({ cache: {}, 'wasm-cache': { other: {} } }).success).toBe(false);
    expect(cacheFileSchema.safeParse({ cache: { 'baseline-compression-level': 22 } }).success).toBe(false);
    expect(cacheFileSchema.safeParse({ cache: { 'baseline-compression-level': 21 } }).success).toBe(true);
  });
});
