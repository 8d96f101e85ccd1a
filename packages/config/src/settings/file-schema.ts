import * as z from 'zod/mini';
import { formatSettingValue, SETTING_NAMES, SETTINGS, type SettingKind } from './definitions.js';
import { lazy, lazyObject } from './lazy.js';

/** Patterns of the accepted text forms, for editors (validation applies the exact parsers). */
const PATTERNS: Partial<Record<SettingKind, string>> = {
  size: '^\\s*[0-9]+\\s*(K|Ki|M|Mi|G|Gi|T|Ti|P|Pi)?\\s*$',
  count: '^\\s*[0-9]+\\s*(K|M|G|T|P)?\\s*$',
  duration: '^\\s*[0-9]+\\s*(s|m|h|d)\\s*$',
  percent: '^\\s*[0-9]+\\s*%\\s*$',
};

function fileField(kind: SettingKind, description: string, defaultValue: string | number | undefined) {
  const meta = { description, ...(defaultValue === undefined ? {} : { default: defaultValue }) };
  if (kind === 'level') {
    return z.optional(z.int({ error: 'must be a TOML integer' })).register(z.globalRegistry, meta);
  }
  const pattern = PATTERNS[kind];
  const typeRule = kind === 'path' ? 'must be a TOML string' : 'must be a TOML string such as "512Mi" (bare numbers are not accepted, as in Wasmtime)';
  return z.optional(z.string({ error: typeRule })).register(z.globalRegistry, pattern ? { ...meta, pattern } : meta);
}

/** Metadata of the two exported file schemas, registered for the real schemas and for their stand-ins alike. */
const SECTION_META = { description: "Wasmtime's cache settings" };
const FILE_META = { title: 'WebAssembly module cache configuration (Wasmtime-compatible)' };

function buildCacheFileSectionSchema() {
  const sectionShape: Record<string, z.ZodMiniType> = {
    enabled: z.optional(z.boolean({ error: 'must be true or false' })).register(z.globalRegistry, {
      description: 'Deprecated: removed in Wasmtime 33. Accepted here with a warning; false disables the cache.',
      deprecated: true,
    }),
  };
  for (const name of SETTING_NAMES) {
    const { fileKey, kind, description, defaultValue } = SETTINGS[name];
    sectionShape[fileKey] = fileField(kind, description, defaultValue === undefined ? undefined : formatSettingValue(name, defaultValue));
  }
  return z.strictObject(sectionShape).register(z.globalRegistry, SECTION_META);
}

/**
 * The shape of the `[cache]` table of Wasmtime's cache configuration file:
 * kebab-case keys, TOML strings for values with units, TOML integers for
 * compression levels. Unknown keys are rejected, as Wasmtime does.
 *
 * Built on first use (importing the package does not construct it).
 */
export const cacheFileSectionSchema = lazyObject(lazy(buildCacheFileSectionSchema));
z.globalRegistry.add(cacheFileSectionSchema, SECTION_META);

/** @internal The whole file's schema, built on the first call (its `cache` table is {@link cacheFileSectionSchema}). */
export const cacheFileSchemaOf = lazy(() => z.strictObject({ cache: cacheFileSectionSchema }).register(z.globalRegistry, FILE_META));

/**
 * The whole legacy file: a required `[cache]` table and nothing else.
 *
 * Built on first use (importing the package does not construct it).
 */
export const cacheFileSchema = lazyObject(cacheFileSchemaOf);
z.globalRegistry.add(cacheFileSchema, FILE_META);

/** A JSON Schema of the configuration file, for editors (for example Taplo / Even Better TOML). */
export function cacheFileJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(cacheFileSchemaOf(), { target: 'draft-2020-12', io: 'input' }) as Record<string, unknown>;
}
