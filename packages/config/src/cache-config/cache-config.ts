import { CacheConfigError, type ConfigProblem, type SettingOrigin } from '../errors/config-error.js';
import { isAbsolute } from 'node:path';
import { defaultCacheDirectory, defaultCacheDirectorySource } from '../paths/default-paths.js';
import { SETTING_NAMES, SETTINGS, type SettingName } from '../settings/definitions.js';
import { readEnvOverlay, DEFAULT_ENV_PREFIX, type EnvOverlayOptions } from '../overlays/env-overlay.js';
import { readObjectOverlay, type CacheSettingsObject } from '../overlays/object-overlay.js';
import type { Overlay } from '../overlays/overlay.js';
import {
  formOf,
  isLevelOrderIssue,
  issueMessage,
  partialSettingsSchema,
  settingsToCheck,
  usableDirectory,
  type CacheSettingsInput,
  type ResolvedCacheSettings,
  type SettingInput,
} from '../settings/schema.js';
import { describeNonCacheConfig } from './foreign-instance.js';

const CODE: SettingOrigin = { kind: 'code' };
const DEFAULT: SettingOrigin = { kind: 'default' };

/** The outcome of checking a configuration, without throwing. */
type Validation = { ok: true; settings: ResolvedCacheSettings } | { ok: false; problems: ConfigProblem[] };

/** The keys each setting an application's own object gave was written under, when not its camelCase name. */
type WrittenKeys = Readonly<Partial<Record<SettingName, string>>>;

/**
 * The name a problem uses for a setting: the form the user wrote it in. The
 * key in a file (kebab-case), the variable in the environment, the key an
 * application's own object used (`written`: `cleanup-interval`, `capacity`),
 * else the camelCase name, as in code.
 *
 * @param written the key an object (`CacheConfig.merge`) gave the value under, when known.
 */
export function displayName(name: SettingName, origin: SettingOrigin | undefined, written?: string): string {
  if (origin?.kind === 'file') return SETTINGS[name].fileKey;
  if (origin?.kind === 'env') return origin.variable;
  if (origin?.kind === 'object' && written !== undefined) return written;
  return name;
}

/**
 * The name of setting `name` in the form another one, `like`, was written in
 * (its origin, and the key an object used), for a message that asks for both:
 * `optimized-compression-level` beside a file's `baseline-compression-level`,
 * `WASM_CACHE_OPTIMIZED_COMPRESSION_LEVEL` beside its variable.
 */
function nameLike(name: SettingName, like: SettingName, origin: SettingOrigin | undefined, written: string | undefined): string {
  if (origin?.kind === 'file') return SETTINGS[name].fileKey;
  if (origin?.kind === 'env') {
    const suffix = SETTINGS[like].envSuffix;
    return origin.variable.endsWith(suffix) ? `${origin.variable.slice(0, -suffix.length)}${SETTINGS[name].envSuffix}` : SETTINGS[name].envSuffix;
  }
  if (origin?.kind === 'object' && written === SETTINGS[like].fileKey) return SETTINGS[name].fileKey;
  return name;
}

/**
 * The cache's settings: Wasmtime's twelve, with Wasmtime's defaults, plus
 * whether the cache is enabled at all.
 *
 * Immutable: every `with*` returns a new value. Values may be given as numbers
 * in base units (bytes, milliseconds, percent) or as strings with units the way
 * Wasmtime's file writes them (`'512Mi'`, `'1h'`, `'70%'`). Nothing is checked
 * until the configuration is applied (store or engine creation) or
 * {@link CacheConfig.validate} is called; then every problem is reported in one
 * {@link CacheConfigError}. Getters return validated values and throw that error
 * when the configuration is invalid.
 *
 * @example
 * const config = CacheConfig.default().withDirectory('/var/cache/app').withCapacity('1Gi');
 */
export class CacheConfig {
  readonly #enabled: boolean;
  readonly #values: Readonly<CacheSettingsInput>;
  readonly #origins: Readonly<Partial<Record<SettingName, SettingOrigin>>>;
  /** The keys an application's own object wrote settings under (`merge`), for problems to name them as written. */
  readonly #keys: WrittenKeys;
  #validation: Validation | undefined;

  /** @internal Use {@link CacheConfig.default} or {@link CacheConfig.disabled}. */
  protected constructor(
    enabled: boolean,
    values: Readonly<CacheSettingsInput>,
    origins: Readonly<Partial<Record<SettingName, SettingOrigin>>>,
    keys: WrittenKeys = {},
  ) {
    this.#enabled = enabled;
    this.#values = Object.freeze({ ...values });
    this.#origins = Object.freeze({ ...origins });
    this.#keys = Object.freeze({ ...keys });
  }

  /** An enabled cache with every one of Wasmtime's defaults and the OS's default directory. */
  static default(): CacheConfig {
    return new CacheConfig(true, {}, {});
  }

  /** A disabled cache: engines compile every time and store nothing. */
  static disabled(): CacheConfig {
    return new CacheConfig(false, {}, {});
  }

  /**
   * Settings from environment variables (`WASM_CACHE_DIRECTORY`,
   * `WASM_CACHE_CAPACITY`, `WASM_CACHE_ENABLED`, ... see `readEnvOverlay`) laid
   * over `base` (default: {@link CacheConfig.default}), validated.
   *
   * @throws CacheConfigError naming every bad variable and value; TypeError when `base` is not a CacheConfig of
   * this copy of the package (one from another copy, a CommonJS `require` beside an ES `import`, is said to be that).
   */
  static fromEnv(
    env: Readonly<Record<string, string | undefined>> = process.env,
    prefix: string = DEFAULT_ENV_PREFIX,
    options: EnvOverlayOptions & { base?: CacheConfig } = {},
  ): CacheConfig {
    const base = options.base ?? CacheConfig.default();
    // A brand check: another copy's CacheConfig has private fields this copy cannot read.
    if (typeof base !== 'object' || base === null || !(#values in base)) {
      throw new TypeError(`CacheConfig.fromEnv expects options.base to be a CacheConfig, got ${describeNonCacheConfig(base)}`);
    }
    return base.#applyOverlay(readEnvOverlay(env, prefix, options));
  }

  /**
   * This configuration with an application's own settings laid over it
   * (camelCase or kebab-case keys, `capacity`, `enabled`), validated.
   *
   * @param label names the source in errors, e.g. `'app.json cache'`.
   * @throws CacheConfigError naming every unknown key and bad value.
   */
  merge(settings: CacheSettingsObject, label = 'settings'): CacheConfig {
    return this.#applyOverlay(readObjectOverlay(settings, label));
  }

  /**
   * A copy with whether the cache is enabled changed.
   *
   * @throws CacheConfigError when `enabled` is not a boolean (a string such as `'false'` would otherwise count as true).
   */
  withEnabled(enabled: boolean): CacheConfig {
    if (typeof enabled !== 'boolean') {
      throw new CacheConfigError([{ setting: 'enabled', value: enabled, rule: 'must be true or false (a boolean)', origin: CODE }]);
    }
    return new CacheConfig(enabled, this.#values, this.#origins, this.#keys);
  }

  /**
   * A copy with one setting changed, recording where the value came from.
   * Adapters (TOML, environment, an application's own config) use this so
   * errors and `config show` can point at the source.
   */
  withSetting(name: SettingName, value: SettingInput, origin: SettingOrigin = CODE): CacheConfig {
    return this.#withSetting(name, value, origin, undefined);
  }

  /** A copy with a setting returned to its default. */
  withoutSetting(name: SettingName): CacheConfig {
    const values = { ...this.#values };
    const origins = { ...this.#origins };
    const keys = { ...this.#keys };
    delete values[name];
    delete origins[name];
    delete keys[name];
    return new CacheConfig(this.#enabled, values, origins, keys);
  }

  /** Absolute path of the cache directory. Default: the OS's per-user cache folder (see `defaultCacheDirectory`). */
  withDirectory(path: string): CacheConfig {
    return this.withSetting('directory', path);
  }

  /** Total size limit, in bytes or as `'1Gi'`; the same setting as {@link CacheConfig.withFilesTotalSizeSoftLimit}. @default '512Mi' */
  withCapacity(bytes: number | string): CacheConfig {
    return this.withSetting('filesTotalSizeSoftLimit', bytes);
  }

  /** Events that may wait for the background worker. @default 16 */
  withWorkerEventQueueSize(count: number | string): CacheConfig {
    return this.withSetting('workerEventQueueSize', count);
  }

  /** zstd level for new entries, 0 to 21. @default 3 */
  withBaselineCompressionLevel(level: number): CacheConfig {
    return this.withSetting('baselineCompressionLevel', level);
  }

  /** zstd level for entries used often, 0 to 21 and at least the baseline. @default 20 */
  withOptimizedCompressionLevel(level: number): CacheConfig {
    return this.withSetting('optimizedCompressionLevel', level);
  }

  /** Uses after which an entry is recompressed at the optimized level. @default 256 */
  withOptimizedCompressionUsageCounterThreshold(count: number | string): CacheConfig {
    return this.withSetting('optimizedCompressionUsageCounterThreshold', count);
  }

  /** Minimum time between cleanups, in milliseconds or as `'1h'`. @default '1h' */
  withCleanupInterval(duration: number | string): CacheConfig {
    return this.withSetting('cleanupInterval', duration);
  }

  /** How long a recompression task may hold its lock, in milliseconds or as `'30m'`. @default '30m' */
  withOptimizingCompressionTaskTimeout(duration: number | string): CacheConfig {
    return this.withSetting('optimizingCompressionTaskTimeout', duration);
  }

  /** How far in the future a file's date may be and still count as recent. @default '1d' */
  withAllowedClockDriftForFilesFromFuture(duration: number | string): CacheConfig {
    return this.withSetting('allowedClockDriftForFilesFromFuture', duration);
  }

  /** Entry count above which cleanup runs. @default 65536 */
  withFileCountSoftLimit(count: number | string): CacheConfig {
    return this.withSetting('fileCountSoftLimit', count);
  }

  /** Total size above which cleanup runs (the capacity). @default '512Mi' */
  withFilesTotalSizeSoftLimit(bytes: number | string): CacheConfig {
    return this.withSetting('filesTotalSizeSoftLimit', bytes);
  }

  /** Percent of the count limit that cleanup deletes down to. @default '70%' */
  withFileCountLimitPercentIfDeleting(percent: number | string): CacheConfig {
    return this.withSetting('fileCountLimitPercentIfDeleting', percent);
  }

  /** Percent of the size limit that cleanup deletes down to. @default '70%' */
  withFilesTotalSizeLimitPercentIfDeleting(percent: number | string): CacheConfig {
    return this.withSetting('filesTotalSizeLimitPercentIfDeleting', percent);
  }

  /** Whether caching is on. */
  get enabled(): boolean {
    return this.#enabled;
  }

  /** The cache directory (absolute). */
  get directory(): string {
    return this.settings().directory;
  }

  /** The total size limit in bytes (`filesTotalSizeSoftLimit`). */
  get capacity(): number {
    return this.settings().filesTotalSizeSoftLimit;
  }

  /** Events that may wait for the background worker. */
  get workerEventQueueSize(): number {
    return this.settings().workerEventQueueSize;
  }

  /** zstd level for new entries. */
  get baselineCompressionLevel(): number {
    return this.settings().baselineCompressionLevel;
  }

  /** zstd level for entries used often. */
  get optimizedCompressionLevel(): number {
    return this.settings().optimizedCompressionLevel;
  }

  /** Uses after which an entry is recompressed. */
  get optimizedCompressionUsageCounterThreshold(): number {
    return this.settings().optimizedCompressionUsageCounterThreshold;
  }

  /** Minimum time between cleanups, in milliseconds. */
  get cleanupInterval(): number {
    return this.settings().cleanupInterval;
  }

  /** Recompression lock timeout, in milliseconds. */
  get optimizingCompressionTaskTimeout(): number {
    return this.settings().optimizingCompressionTaskTimeout;
  }

  /** Allowed clock drift for files from the future, in milliseconds. */
  get allowedClockDriftForFilesFromFuture(): number {
    return this.settings().allowedClockDriftForFilesFromFuture;
  }

  /** Entry count above which cleanup runs. */
  get fileCountSoftLimit(): number {
    return this.settings().fileCountSoftLimit;
  }

  /** Total size in bytes above which cleanup runs. */
  get filesTotalSizeSoftLimit(): number {
    return this.settings().filesTotalSizeSoftLimit;
  }

  /** Percent of the count limit that cleanup deletes down to. */
  get fileCountLimitPercentIfDeleting(): number {
    return this.settings().fileCountLimitPercentIfDeleting;
  }

  /** Percent of the size limit that cleanup deletes down to. */
  get filesTotalSizeLimitPercentIfDeleting(): number {
    return this.settings().filesTotalSizeLimitPercentIfDeleting;
  }

  /** Where a setting's value came from: default, code, environment, an object, a file (with line). */
  origin(name: SettingName): SettingOrigin {
    return this.#origins[name] ?? DEFAULT;
  }

  /** The values that were set explicitly, as given (strings keep their units). */
  explicitSettings(): Readonly<CacheSettingsInput> {
    return this.#values;
  }

  /** Every problem with this configuration; empty when it is valid. Never throws. */
  problems(): readonly ConfigProblem[] {
    const validation = this.#validate();
    return validation.ok ? [] : validation.problems;
  }

  /**
   * Checks every setting and returns this configuration.
   *
   * @throws CacheConfigError listing every problem, each with the setting, the value and the rule.
   */
  validate(): this {
    this.settings();
    return this;
  }

  /**
   * Every setting, validated, in base units (bytes, milliseconds, percent).
   *
   * @throws CacheConfigError when the configuration is invalid.
   */
  settings(): Readonly<ResolvedCacheSettings> {
    const validation = this.#validate();
    if (!validation.ok) throw new CacheConfigError(validation.problems);
    return validation.settings;
  }

  /**
   * True when both configurations are valid and resolve to the same settings
   * (and are both enabled or both disabled); false otherwise, an invalid one
   * included, and so is a CacheConfig from another copy of this package (a
   * CommonJS `require` beside an ES `import`) or anything that is not a
   * CacheConfig (never throws: use {@link CacheConfig.problems} to know why).
   */
  equals(other: CacheConfig): boolean {
    // A brand check: a CacheConfig from another copy of this package (a CommonJS require beside an ES import)
    // has its own class, whose private fields this one cannot read; it is not equal, as anything else is not.
    if (typeof other !== 'object' || other === null || !(#values in other)) return false;
    if (this.enabled !== other.enabled) return false;
    const mine = this.#validate();
    const theirs = other.#validate();
    if (!mine.ok || !theirs.ok) return false;
    return SETTING_NAMES.every((name) => mine.settings[name] === theirs.settings[name]);
  }

  /** The effective settings as a plain object (for logging and `config show`). */
  toJSON(): { enabled: boolean } & ResolvedCacheSettings {
    return { enabled: this.#enabled, ...this.settings() };
  }

  /** {@link CacheConfig.withSetting}, recording the key an application's object wrote the value under, if any. */
  #withSetting(name: SettingName, value: SettingInput, origin: SettingOrigin, key: string | undefined): CacheConfig {
    if (!Object.hasOwn(SETTINGS, name)) {
      throw new CacheConfigError([{ setting: String(name), value, rule: `unknown setting; known settings: ${SETTING_NAMES.join(', ')}`, origin }]);
    }
    const keys = { ...this.#keys };
    if (key === undefined || key === name) delete keys[name];
    else keys[name] = key;
    return new CacheConfig(this.#enabled, { ...this.#values, [name]: value }, { ...this.#origins, [name]: origin }, keys);
  }

  #applyOverlay(overlay: Overlay): CacheConfig {
    let config: CacheConfig = this;
    if (overlay.enabled) config = config.withEnabled(overlay.enabled.value);
    for (const { name, value, origin, key } of overlay.settings) config = config.#withSetting(name, value, origin, key);
    const problems = [...overlay.problems, ...config.problems()];
    if (problems.length > 0) throw new CacheConfigError(problems);
    return config;
  }

  #validate(): Validation {
    if (this.#validation) return this.#validation;
    // Only the settings given are checked, with a schema of just those: the others are at Wasmtime's
    // defaults, which are valid and resolve to themselves. Nothing given, nothing is built (a process on
    // the defaults, the --import hook's usual case).
    const names = settingsToCheck(this.#values);
    const input: Record<string, SettingInput | undefined> = {};
    for (const name of names) input[name] = Object.hasOwn(this.#values, name) ? this.#values[name] : SETTINGS[name].defaultValue;
    // A directory alone that is usable as given needs no schema either (see usableDirectory).
    const directoryAlone = names.length === 1 && names[0] === 'directory' ? usableDirectory(input['directory']) : undefined;
    const result =
      names.length === 0
        ? { success: true as const, data: input }
        : directoryAlone !== undefined
          ? { success: true as const, data: { directory: directoryAlone } }
          : partialSettingsSchema(names).safeParse(input);
    // The default directory of an enabled cache is checked as a given one is (Wasmtime checks the one it
    // defaults to): a relative HOME would otherwise put the cache below whatever the current folder is. A
    // disabled cache uses no directory, so a broken HOME does not make it invalid.
    const directory = names.includes('directory') ? undefined : defaultCacheDirectory();
    const defaultProblem: ConfigProblem | undefined =
      directory === undefined || !this.#enabled || isAbsolute(directory)
        ? undefined
        : {
            setting: 'directory',
            value: directory,
            rule: `the default cache directory is not an absolute path: it is built from ${defaultCacheDirectorySource()}; set that to an absolute path, or set the directory`,
            origin: DEFAULT,
          };
    if (result.success && !defaultProblem) {
      const settings: Record<string, unknown> = {};
      for (const name of SETTING_NAMES) settings[name] = names.includes(name) ? result.data[name] : SETTINGS[name].defaultValue;
      settings['directory'] ??= directory;
      this.#validation = { ok: true, settings: Object.freeze(settings as ResolvedCacheSettings) };
    } else {
      const issues = result.success ? [] : result.error.issues;
      const problems = issues.map((issue): ConfigProblem => {
        // The levels out of order, when only the baseline was given: the problem is the baseline the user wrote,
        // not an optimized level they never did (which has no origin to point at).
        if (isLevelOrderIssue(issue) && !Object.hasOwn(this.#values, 'optimizedCompressionLevel')) return this.#baselineAboveDefault();
        const name = issue.path[0] as SettingName;
        const origin = this.#origins[name];
        return {
          setting: displayName(name, origin, this.#keys[name]),
          value: Object.hasOwn(this.#values, name) ? this.#values[name] : SETTINGS[name].defaultValue,
          rule: issueMessage(issue, formOf(origin)),
          ...(origin ? { origin } : {}),
        };
      });
      if (defaultProblem) problems.unshift(defaultProblem);
      this.#validation = { ok: false, problems };
    }
    return this.#validation;
  }

  /** The problem of a baseline level given above the optimized level's default, reported where the baseline was given. */
  #baselineAboveDefault(): ConfigProblem {
    const name: SettingName = 'baselineCompressionLevel';
    const origin = this.#origins[name];
    const optimized = nameLike('optimizedCompressionLevel', name, origin, this.#keys[name]);
    // A valid level (the rule is checked only then): a whole number, or its digits in a variable.
    const value = this.#values[name];
    const baseline = typeof value === 'string' ? Number(value.trim()) : value;
    return {
      setting: displayName(name, origin, this.#keys[name]),
      value: this.#values[name],
      rule: `is above the default optimized compression level (${String(SETTINGS.optimizedCompressionLevel.defaultValue)}); set ${optimized} too, to ${String(baseline)} or more`,
      ...(origin ? { origin } : {}),
    };
  }
}
