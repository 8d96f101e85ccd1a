import { CacheConfigError } from '@cache/config';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCacheConfig, TomlSyntaxError } from '../src/index.js';

const keys = ['directory', 'cleanup-interval', 'files-total-size-soft-limit', 'baseline-compression-level', 'enabled', 'nope', 'file-count-soft-limit'];
const values = fc.oneof(fc.string().map((s) => JSON.stringify(s)), fc.integer().map(String), fc.constantFrom('true', '"1h"', '"512Mi"', '"70%"', '[1, 2]', '{ a = 1 }', '1979-05-27', '3.5', '"""\nx\n"""'));
const tomlish = fc
  .array(fc.oneof(fc.constant('[cache]'), fc.constant('[other]'), fc.tuple(fc.constantFrom(...keys), values).map(([k, v]) => `${k} = ${v}`), fc.string()), { maxLength: 8 })
  .map((lines) => lines.join('\n'));

describe('the TOML adapter under random input', () => {
  it('throws nothing but TomlSyntaxError or CacheConfigError', () => {
    fc.assert(
      fc.property(fc.oneof(tomlish, fc.string()), (text) => {
        try {
          const config = parseCacheConfig(text, { onWarning: () => undefined });
          expect(typeof config.enabled).toBe('boolean');
        } catch (error) {
          expect(error instanceof TomlSyntaxError || error instanceof CacheConfigError).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
