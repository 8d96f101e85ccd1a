import * as z from 'zod/mini';
import { REMOTE_SETTING_NAMES, REMOTE_SETTINGS, type RemoteSettingKind } from '../remote/remote-definitions.js';
import { formatDuration, formatSize } from '../units/index.js';
import { formatSettingValue, SETTING_NAMES, SETTINGS, type SettingKind } from './definitions.js';
import { lazy, lazyObject } from './lazy.js';

/** Patterns of the accepted text forms, for editors (validation applies the exact parsers). */
const PATTERNS: Partial<Record<SettingKind, string>> = {
  size: '^\\s*[0-9]+\\s*(K|Ki|M|Mi|G|Gi|T|Ti|P|Pi)?\\s*$',
  count: '^\\s*[0-9]+\\s*(K|M|G|T|P)?\\s*$',
  duration: '^\\s*[0-9]+\\s*(s|m|h|d)\\s*$',
  percent: '^\\s*[0-9]+\\s*%\\s*$',
};

/** An example of each kind's text form, for the message when a value is not a string (a bare number, say). */
const TYPE_EXAMPLES: Partial<Record<SettingKind, string>> = {
  size: '"512Mi"',
  count: '"65536" or "64K"',
  duration: '"1h" or "30m"',
  percent: '"70%"',
};

function fileField(kind: SettingKind, description: string, defaultValue: string | number | undefined) {
  const meta = { description, ...(defaultValue === undefined ? {} : { default: defaultValue }) };
  if (kind === 'level') {
    const range = 'must be a whole number from 0 to 21 (zstd levels)';
    // Not a number at all: the TOML type is wrong. A number that is not a safe integer (an integer beyond 2^53
    // read from the file) is out of range, as is one below 0 or above 21; the first failure is the one reported.
    const level = z.int({ error: (issue) => (issue.code === 'invalid_type' ? 'must be a TOML integer' : range), abort: true });
    return z.optional(level.check(z.gte(0, { error: range }), z.lte(21, { error: range }))).register(z.globalRegistry, meta);
  }
  const pattern = PATTERNS[kind];
  const example = TYPE_EXAMPLES[kind];
  const typeRule = example === undefined ? 'must be a TOML string' : `must be a TOML string such as ${example} (bare numbers are not accepted, as in Wasmtime)`;
  return z.optional(z.string({ error: typeRule })).register(z.globalRegistry, pattern ? { ...meta, pattern } : meta);
}

/**
 * One key of the `[wasm-cache.remote]` table as the file takes it (see
 * `@cache/toml`'s reader): booleans as TOML booleans, everything else, sizes
 * and durations included, as TOML strings. Values are checked by
 * `RemoteCacheConfig`; this is the shape, for editors and `cacheFileSchema`.
 */
function remoteFileField(kind: RemoteSettingKind, description: string, defaultValue: string | number | boolean | undefined) {
  let shown = defaultValue;
  if (typeof defaultValue === 'number') shown = kind === 'size' ? formatSize(defaultValue) : formatDuration(defaultValue);
  const meta = { description, ...(shown === undefined ? {} : { default: shown }) };
  if (kind === 'boolean') return z.optional(z.boolean({ error: 'must be true or false' })).register(z.globalRegistry, meta);
  const pattern = kind === 'size' || kind === 'duration' ? PATTERNS[kind] : undefined;
  const typeRule = kind === 'size' || kind === 'duration' ? 'must be a TOML string such as "4Mi" or "5s"' : 'must be a TOML string';
  return z.optional(z.string({ error: typeRule })).register(z.globalRegistry, pattern ? { ...meta, pattern } : meta);
}

/** The `[wasm-cache]` table: ours, never read by Wasmtime; only its `remote` sub-table, the shared remote tier. */
function buildOwnTableSchema() {
  const remoteShape: Record<string, z.ZodMiniType> = {};
  for (const name of REMOTE_SETTING_NAMES) {
    const { fileKey, kind, description, defaultValue } = REMOTE_SETTINGS[name];
    remoteShape[fileKey] = remoteFileField(kind, description, defaultValue);
  }
  const remote = z.strictObject(remoteShape).register(z.globalRegistry, {
    description: 'The shared remote tier (Redis) behind the memory and disk tiers. Not read by Wasmtime. Secrets may also come from WASM_CACHE_SIGNING_KEY and signing-key-file.',
  });
  return z.optional(z.strictObject({ remote: z.optional(remote) }).register(z.globalRegistry, { description: "This cache's own settings, which Wasmtime never reads." }));
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
export const cacheFileSchemaOf = lazy(() => z.strictObject({ cache: cacheFileSectionSchema, 'wasm-cache': buildOwnTableSchema() }).register(z.globalRegistry, FILE_META));

/**
 * The whole file: a required `[cache]` table (Wasmtime's) and an optional
 * `[wasm-cache.remote]` table (the shared remote tier, which Wasmtime never
 * reads), and nothing else.
 *
 * Built on first use (importing the package does not construct it).
 */
export const cacheFileSchema = lazyObject(cacheFileSchemaOf);
z.globalRegistry.add(cacheFileSchema, FILE_META);

/** A JSON Schema of the configuration file, for editors (for example Taplo / Even Better TOML). */
export function cacheFileJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(cacheFileSchemaOf(), { target: 'draft-2020-12', io: 'input' }) as Record<string, unknown>;
}
