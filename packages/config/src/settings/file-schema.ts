import * as z from 'zod/mini';
import { formatSettingValue, SETTING_NAMES, SETTINGS, type SettingKind } from './definitions.js';

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

/**
 * The shape of the `[cache]` table of Wasmtime's cache configuration file:
 * kebab-case keys, TOML strings for values with units, TOML integers for
 * compression levels. Unknown keys are rejected, as Wasmtime does.
 */
export const cacheFileSectionSchema = z.strictObject(sectionShape).register(z.globalRegistry, { description: "Wasmtime's cache settings" });

/** The whole legacy file: a required `[cache]` table and nothing else. */
export const cacheFileSchema = z
  .strictObject({ cache: cacheFileSectionSchema })
  .register(z.globalRegistry, { title: 'WebAssembly module cache configuration (Wasmtime-compatible)' });

/** A JSON Schema of the configuration file, for editors (for example Taplo / Even Better TOML). */
export function cacheFileJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(cacheFileSchema, { target: 'draft-2020-12', io: 'input' }) as Record<string, unknown>;
}
