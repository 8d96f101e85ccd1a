import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import {
  CacheConfig,
  cacheFileSchema,
  cacheFileSectionSchema,
  cacheSettingsSchema,
  defaultCacheDirectory,
  remoteSettingsSchema,
  SETTING_NAMES,
  SETTINGS,
  type SettingInput,
  type SettingName,
} from '../src/index.js';
import { partialSchemaBuilds } from '../src/settings/schema.js';

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

  it('checks a usable directory given alone without building a schema, and a bad one with it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'config-directory-alone-'));
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    const before = partialSchemaBuilds();
    expect(CacheConfig.default().withDirectory(dir).settings().directory).toBe(dir);
    expect(CacheConfig.default().withDirectory(join(dir, 'absent', 'below')).settings().directory).toBe(join(dir, 'absent', 'below'));
    expect(partialSchemaBuilds()).toBe(before);
    // What the schema says of a bad one, with the setting and the rule.
    expect(CacheConfig.default().withDirectory(file).problems()).toEqual([{ setting: 'directory', value: file, rule: 'exists but is not a directory', origin: { kind: 'code' } }]);
    expect(CacheConfig.default().withDirectory(join(file, 'below')).problems()[0]?.rule).toMatch(/ENOTDIR/);
    expect(CacheConfig.default().withDirectory('relative/dir').problems()[0]?.rule).toBe('must be an absolute path');
    expect(CacheConfig.default().withSetting('directory', 5).problems()[0]?.rule).toBe('must be a path (a string)');
    expect(partialSchemaBuilds()).toBe(before + 1);
    // Another setting beside it: the schema of both.
    expect(CacheConfig.default().withDirectory(dir).withSetting('cleanupInterval', '1h').settings().cleanupInterval).toBe(3_600_000);
    expect(partialSchemaBuilds()).toBe(before + 2);
  });

  it('checks the settings given with a schema of just those, exactly as the whole schema would', () => {
    const dir = mkdtempSync(join(tmpdir(), 'config-partial-'));
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    const numbers: SettingInput[] = [0, 1, 3, 20, 21, 22, -1, 1.5, 70, 100, 101, 2 ** 53, Number.NaN];
    const texts: SettingInput[] = ['', ' ', '7', '12', '1h', '90s', '10 minutes', '1Gi', '512Mi', 'huge', '70%', '200%', '64K', '-3', '0x10'];
    const paths: SettingInput[] = [dir, join(dir, 'absent'), file, 'relative/path', '', 'a\0b', 5];
    const value = (name: SettingName) => fc.constantFrom<SettingInput>(...(name === 'directory' ? paths : [...numbers, ...texts]));
    const settings = fc.record(Object.fromEntries(SETTING_NAMES.map((name) => [name, value(name)])) as Record<SettingName, fc.Arbitrary<SettingInput>>, { requiredKeys: [] });

    // What validating every setting with the whole schema gives (the implementation before the partial schemas),
    // with the levels out of order reported at the baseline when the optimized level was not given.
    function whole(values: Partial<Record<SettingName, SettingInput>>) {
      const input = Object.fromEntries(SETTING_NAMES.map((name) => [name, values[name] ?? SETTINGS[name].defaultValue]));
      const result = cacheSettingsSchema.safeParse(input);
      const onlyBaseline = (issue: { path: PropertyKey[]; message: string }) =>
        issue.path[0] === 'optimizedCompressionLevel' && issue.message.startsWith('must be at least the baseline') && values.optimizedCompressionLevel === undefined;
      if (!result.success) {
        return {
          problems: result.error.issues.map((issue) =>
            onlyBaseline(issue)
              ? ['baselineCompressionLevel', `is above the default optimized compression level (20); set optimizedCompressionLevel too, to ${Number(input['baselineCompressionLevel'])} or more`]
              : [issue.path[0], issue.message],
          ),
        };
      }
      return { settings: { ...result.data, directory: result.data.directory ?? defaultCacheDirectory() } };
    }

    fc.assert(
      fc.property(settings, (values) => {
        let config = CacheConfig.default();
        for (const [name, v] of Object.entries(values) as Array<[SettingName, SettingInput]>) config = config.withSetting(name, v);
        const expected = whole(values);
        const problems = config.problems().map((problem) => [problem.setting, problem.rule]);
        if (expected.problems) {
          expect(problems).toEqual(expected.problems);
        } else {
          expect(problems).toEqual([]);
          expect(config.settings()).toStrictEqual(expected.settings);
          expect(Object.keys(config.settings())).toEqual(Object.keys(expected.settings));
        }
      }),
      { numRuns: 400 },
    );
  });
});

