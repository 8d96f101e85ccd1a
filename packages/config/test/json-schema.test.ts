import { describe, expect, it } from 'vitest';
import { cacheFileJsonSchema, cacheFileSchema, SETTING_NAMES, SETTINGS } from '../src/index.js';

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
