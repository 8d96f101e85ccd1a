import {
  CacheConfig,
  CacheConfigError,
  RemoteCacheConfig,
  REMOTE_SETTINGS,
  cacheFileSchema,
  settingForFileKey,
  SETTINGS,
  type ConfigProblem,
  type SettingOrigin,
} from '@cache/config';
import { locateKeysAndLiterals } from '../locate/key-locator.js';
import { OWN_TABLE, readRemoteSection, REMOTE_TABLE } from '../remote/remote-section.js';
import { readConfigText, readConfigTextSync } from './config-text.js';
import { parseTomlDocument } from './parse-document.js';
import { shownValue } from './shown-value.js';

/** A warning the loader raises (only the deprecated `enabled` key, for now). */
export interface ConfigFileWarning {
  /** Stable code. */
  code: 'CACHE_TOML_ENABLED_DEPRECATED';
  /** What to tell the user. */
  message: string;
  /** Where. */
  origin: SettingOrigin;
}

/** Options for reading a configuration file. */
export interface ParseOptions {
  /** The file name to name in errors. @default '<string>' */
  file?: string;
  /** The configuration the file's settings are laid over. @default CacheConfig.default() */
  base?: CacheConfig;
  /**
   * Receives warnings. By default each warning code is emitted once per
   * process with `process.emitWarning` as a DeprecationWarning.
   */
  onWarning?: (warning: ConfigFileWarning) => void;
  /**
   * Environment laid over the `[wasm-cache.remote]` table (`WASM_CACHE_REMOTE_URL`,
   * `WASM_CACHE_SIGNING_KEY`, `WASM_CACHE_SIGNING_KEY_FILE`,
   * `WASM_CACHE_REMOTE_ALLOW_UNSIGNED`, `WASM_CACHE_REMOTE_TLS_CA_FILE`), so the
   * signing key can stay out of the file.
   * @default process.env
   */
  env?: Readonly<Record<string, string | undefined>>;
}

/** What a configuration file describes: Wasmtime's `[cache]` settings and, when present, our `[wasm-cache.remote]` tier. */
export interface CacheFile {
  /** The `[cache]` settings. */
  readonly cache: CacheConfig;
  /** The shared remote tier of `[wasm-cache.remote]`, validated; undefined when the file has none. */
  readonly remote: RemoteCacheConfig | undefined;
}

const emittedWarnings = new Set<string>();

function emitOnce(warning: ConfigFileWarning): void {
  if (emittedWarnings.has(warning.code)) return;
  emittedWarnings.add(warning.code);
  process.emitWarning(warning.message, { type: 'DeprecationWarning', code: warning.code });
}

/** Keys inside `[cache]` are named as written there; anything else by its dotted path. */
function describePath(path: readonly PropertyKey[]): string {
  const inCache = path.length === 2 && path[0] === 'cache';
  return (inCache ? path.slice(1) : path).map(String).join('.');
}

function byPosition(a: ConfigProblem, b: ConfigProblem): number {
  const line = (p: ConfigProblem) => (p.origin?.kind === 'file' ? (p.origin.line ?? 0) : 0);
  return line(a) - line(b);
}

/**
 * Reads the text of Wasmtime's cache configuration file into a validated
 * {@link CacheConfig}: a `[cache]` table with kebab-case keys. A
 * `[wasm-cache.remote]` table (ours; Wasmtime never reads it) is validated
 * too: use {@link parseCacheFile} to get it. Unknown keys,
 * values of the wrong TOML type and invalid values are all reported in one
 * {@link CacheConfigError}, each naming the key, the file, the line and the
 * column. The `enabled` key, which Wasmtime 33 removed, is accepted with a
 * deprecation warning; `enabled = false` yields a disabled configuration.
 *
 * @throws TomlSyntaxError when the text is not TOML.
 * @throws CacheConfigError when the settings are wrong.
 */
export function parseCacheConfig(text: string, options: ParseOptions = {}): CacheConfig {
  return parseCacheFile(text, options).cache;
}

/**
 * Reads a configuration file's `[cache]` table (as {@link parseCacheConfig})
 * and its optional `[wasm-cache.remote]` table into a validated
 * {@link RemoteCacheConfig} (environment variables laid over it, see
 * {@link ParseOptions.env}). Every problem in either table is reported in one
 * {@link CacheConfigError} with key, line and column; secret values are never
 * part of it.
 *
 * @throws TomlSyntaxError when the text is not TOML.
 * @throws CacheConfigError when the settings are wrong.
 */
export function parseCacheFile(text: string, options: ParseOptions = {}): CacheFile {
  const file = options.file ?? '<string>';
  const document = parseTomlDocument(text, file);

  const positions = locateKeysAndLiterals(text);
  const originOf = (path: readonly PropertyKey[]): SettingOrigin => {
    const position = positions.find(path.map(String));
    return position ? { kind: 'file', file, line: position.line, column: position.column } : { kind: 'file', file };
  };

  const problems: ConfigProblem[] = [];
  /** A problem whose value is a number, shown as the file wrote it (`3.0`, `0x10`, not `3` and `16`). */
  const asWritten = (problem: ConfigProblem, path: readonly PropertyKey[]): ConfigProblem => {
    const literal = typeof problem.value === 'number' || typeof problem.value === 'bigint' ? positions.literal(path.map(String)) : undefined;
    return literal !== undefined && literal !== '' ? { ...problem, shown: literal } : problem;
  };
  const badPaths = new Set<string>();
  let remote: RemoteCacheConfig | undefined;
  if (Object.hasOwn(document, OWN_TABLE)) {
    const section = readRemoteSection(document[OWN_TABLE], originOf);
    problems.push(...section.problems);
    if (section.remote) {
      remote = RemoteCacheConfig.fromEnv(options.env ?? process.env, section.remote);
      const table = originOf([OWN_TABLE, REMOTE_TABLE]);
      problems.push(...remote.problems().map((problem) => inRemoteTable(problem, table)));
    }
  }
  const { [OWN_TABLE]: _own, ...wasmtimeDocument } = document;
  const section = numericSection(wasmtimeDocument['cache'], (key, value) => {
    badPaths.add(`cache.${key}`);
    const path = ['cache', key];
    problems.push(asWritten({ setting: key, value, rule: 'must be a TOML integer from 0 to 21, not a float', origin: originOf(path) }, path));
  });
  const shape = cacheFileSchema.safeParse(section === undefined ? wasmtimeDocument : { ...wasmtimeDocument, cache: section });
  if (!shape.success) {
    for (const issue of shape.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) {
          const path = [...issue.path, key];
          badPaths.add(path.map(String).join('.'));
          const where = issue.path.length === 0 ? `at the top level (only the [cache] and [${OWN_TABLE}.remote] tables are allowed)` : `in [${describePath(issue.path)}]`;
          problems.push(asWritten({ setting: describePath(path), value: readPath(document, path), rule: `unknown key ${where}`, origin: originOf(path) }, path));
        }
      } else if (issue.path.length === 0 || (issue.path.length === 1 && issue.path[0] === 'cache' && issue.code === 'invalid_type' && document['cache'] === undefined)) {
        problems.push({ setting: 'cache', rule: 'the [cache] table is missing; Wasmtime requires it, even empty', origin: { kind: 'file', file } });
      } else {
        badPaths.add(issue.path.map(String).join('.'));
        const problem: ConfigProblem = {
          setting: describePath(issue.path),
          value: readPath(document, issue.path),
          rule: issue.path.length === 1 ? 'must be a table ([cache])' : issue.message,
          origin: originOf(issue.path),
        };
        problems.push(asWritten(problem, issue.path));
      }
    }
  }

  let config = options.base ?? CacheConfig.default();
  if (section !== undefined) {
    for (const [key, value] of Object.entries(section)) {
      if (badPaths.has(`cache.${key}`)) continue;
      const origin = originOf(['cache', key]);
      if (key === 'enabled') {
        const warning: ConfigFileWarning = {
          code: 'CACHE_TOML_ENABLED_DEPRECATED',
          message: `${file}: the "enabled" key was removed in Wasmtime 33, which rejects files that have it; it is accepted here. Remove it${value === false ? ' and disable the cache in code (CacheConfig.disabled())' : ''} to share the file with Wasmtime 33+.`,
          origin,
        };
        (options.onWarning ?? emitOnce)(warning);
        config = config.withEnabled(value === true);
        continue;
      }
      const name = settingForFileKey(key);
      if (name && (typeof value === 'string' || typeof value === 'number')) config = config.withSetting(name, value, origin);
    }
  }

  // The [cache] settings' problems: those of this file are named by their key there.
  problems.push(...config.problems().map((problem) => (problem.origin?.kind === 'file' && problem.origin.file === file ? asWritten(problem, ['cache', problem.setting]) : problem)));
  if (problems.length > 0) {
    // Tables and arrays as plain objects of bounded depth.
    const shown = problems.map((problem) => (typeof problem.value === 'object' && problem.value !== null ? { ...problem, value: shownValue(problem.value) } : problem));
    throw new CacheConfigError(shown.sort(byPosition), `Invalid cache configuration in ${file}`);
  }
  return { cache: config, remote };
}

/**
 * The `[cache]` table (when it is one) with its TOML integers, which the
 * document holds as bigints, as numbers, the way the file schema and the
 * settings take them (beyond 2^53 they are no longer exact, but the range
 * rules still refuse them, and problems show the value as written). A float
 * for a compression level, which Wasmtime's i32 refuses and which a number
 * could not tell from an integer, is reported to `onFloatLevel` and left out.
 */
function numericSection(table: unknown, onFloatLevel: (key: string, value: number) => void): Record<string, unknown> | undefined {
  if (table === null || typeof table !== 'object' || Array.isArray(table) || table instanceof Date) return undefined;
  const section: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(table as Record<string, unknown>)) {
    const name = settingForFileKey(key);
    if (typeof value === 'number' && name !== undefined && SETTINGS[name].kind === 'level') onFloatLevel(key, value);
    // Defined, not assigned: a `__proto__` key stays a key (and is reported as unknown).
    else Object.defineProperty(section, key, { value: typeof value === 'bigint' ? Number(value) : value, enumerable: true, writable: true, configurable: true });
  }
  return section;
}

/**
 * A problem of the remote tier as the file's reader reports it: a setting the
 * file does not set (a rule about a missing key, such as `allow-unsigned`
 * without a signing key) has no origin of its own, so it is placed at the
 * `[wasm-cache.remote]` table and named by its file key; a required value
 * that is missing (`url`) is said without ` = undefined`.
 */
function inRemoteTable(problem: ConfigProblem, table: SettingOrigin): ConfigProblem {
  if (problem.origin !== undefined) return problem;
  const known = Object.hasOwn(REMOTE_SETTINGS, problem.setting);
  const setting = known ? REMOTE_SETTINGS[problem.setting as keyof typeof REMOTE_SETTINGS].fileKey : problem.setting;
  const { value, rule } = problem;
  return value === undefined ? { setting, rule, origin: table } : { setting, value, rule, origin: table };
}

function readPath(document: Record<string, unknown>, path: readonly PropertyKey[]): unknown {
  let node: unknown = document;
  for (const part of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[part];
  }
  return node;
}

/**
 * Loads and validates a cache configuration file.
 *
 * @throws ConfigFileAccessError, TomlSyntaxError or CacheConfigError.
 */
export async function loadCacheConfig(file: string, options: Omit<ParseOptions, 'file'> = {}): Promise<CacheConfig> {
  return parseCacheConfig(await readConfigText(file), { ...options, file });
}

/**
 * Loads and validates a configuration file's `[cache]` and `[wasm-cache.remote]` tables.
 *
 * @throws ConfigFileAccessError, TomlSyntaxError or CacheConfigError.
 */
export async function loadCacheFile(file: string, options: Omit<ParseOptions, 'file'> = {}): Promise<CacheFile> {
  return parseCacheFile(await readConfigText(file), { ...options, file });
}

/** The synchronous form of {@link loadCacheConfig}, for start-up code such as `--import` hooks. */
export function loadCacheConfigSync(file: string, options: Omit<ParseOptions, 'file'> = {}): CacheConfig {
  return parseCacheConfig(readConfigTextSync(file), { ...options, file });
}

/** The synchronous form of {@link loadCacheFile}. */
export function loadCacheFileSync(file: string, options: Omit<ParseOptions, 'file'> = {}): CacheFile {
  return parseCacheFile(readConfigTextSync(file), { ...options, file });
}
