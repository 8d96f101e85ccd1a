import { CacheConfigError, type ConfigProblem, type SettingOrigin } from '../errors/config-error.js';
import { parseBooleanWord } from '../overlays/overlay.js';
import { displayRemoteValue, REDACTED, REMOTE_ENV, REMOTE_SETTING_NAMES, REMOTE_SETTINGS, type RemoteSettingName } from './remote-definitions.js';
import { remoteSettingsSchemaOf, type ResolvedRemoteSettings } from './remote-schema.js';

/** A remote-tier value as given: text, a number in base units, or a boolean. */
export type RemoteSettingInput = string | number | boolean;

/** Remote-tier settings as given, before validation (camelCase keys). */
export type RemoteSettingsInput = Partial<Record<RemoteSettingName, RemoteSettingInput>>;

const CODE: SettingOrigin = { kind: 'code' };

type Validation = { ok: true; settings: ResolvedRemoteSettings } | { ok: false; problems: ConfigProblem[] };

/**
 * Settings of the shared remote tier (Redis) that sits behind the memory and
 * disk tiers: where the server is, how to authenticate, how entries expire
 * and how big they may be, and how entries are signed.
 *
 * Immutable like {@link CacheConfig}; validated once when applied or on
 * {@link RemoteCacheConfig.validate}, with every problem in one
 * {@link CacheConfigError}. Secrets (the password, in the URL too, and the
 * signing key) never appear in errors, `toJSON()` or `config show`.
 *
 * Without a signing key the configuration is invalid unless
 * `allowUnsigned` is set: anyone who can write to a shared cache could
 * otherwise run native code in every process that reads it.
 *
 * @example
 * const remote = RemoteCacheConfig.create('rediss://cache.internal:6380')
 *   .withSigningKey(process.env.WASM_CACHE_SIGNING_KEY!)
 *   .withTtl('3d');
 */
export class RemoteCacheConfig {
  readonly #values: Readonly<RemoteSettingsInput>;
  readonly #origins: Readonly<Partial<Record<RemoteSettingName, SettingOrigin>>>;
  #validation: Validation | undefined;

  /** @internal Use {@link RemoteCacheConfig.create} or {@link RemoteCacheConfig.fromEnv}. */
  protected constructor(values: Readonly<RemoteSettingsInput>, origins: Readonly<Partial<Record<RemoteSettingName, SettingOrigin>>>) {
    this.#values = Object.freeze({ ...values });
    this.#origins = Object.freeze({ ...origins });
  }

  /** Remote-tier settings for the server at `url` (`redis://...` or `rediss://...`), everything else at its default. */
  static create(url?: string): RemoteCacheConfig {
    return new RemoteCacheConfig(url === undefined ? {} : { url }, url === undefined ? {} : { url: CODE });
  }

  /**
   * `base` with `WASM_CACHE_REMOTE_URL`, `WASM_CACHE_SIGNING_KEY`,
   * `WASM_CACHE_SIGNING_KEY_FILE`, `WASM_CACHE_REMOTE_ALLOW_UNSIGNED` and
   * `WASM_CACHE_REMOTE_TLS_CA_FILE` (`tlsCaFile`) laid over it (not validated:
   * call {@link RemoteCacheConfig.validate}). Empty variables count as unset.
   */
  static fromEnv(env: Readonly<Record<string, string | undefined>> = process.env, base: RemoteCacheConfig = RemoteCacheConfig.create()): RemoteCacheConfig {
    let config = base;
    for (const [name, variable] of Object.entries(REMOTE_ENV) as Array<[RemoteSettingName, string]>) {
      const text = env[variable];
      if (text === undefined || text === '') continue;
      const value = REMOTE_SETTINGS[name].kind === 'boolean' ? (parseBooleanWord(text) ?? text) : text;
      config = config.withSetting(name, value, { kind: 'env', variable });
    }
    return config;
  }

  /** A copy with one setting changed, recording where the value came from (for errors and `config show`). */
  withSetting(name: RemoteSettingName, value: RemoteSettingInput, origin: SettingOrigin = CODE): RemoteCacheConfig {
    if (!Object.hasOwn(REMOTE_SETTINGS, name)) {
      throw new CacheConfigError([{ setting: String(name), value, rule: `unknown remote setting; known: ${REMOTE_SETTING_NAMES.join(', ')}`, origin }]);
    }
    return new RemoteCacheConfig({ ...this.#values, [name]: value }, { ...this.#origins, [name]: origin });
  }

  /** The Redis server: `redis://[user:password@]host[:port][/db]` or `rediss://...` (TLS). */
  withUrl(url: string): RemoteCacheConfig {
    return this.withSetting('url', url);
  }

  /** ACL user and password (override the URL's). */
  withCredentials(username: string | undefined, password: string): RemoteCacheConfig {
    const next = this.withSetting('password', password);
    return username === undefined ? next : next.withSetting('username', username);
  }

  /** Prefix of every Redis key. @default 'wasm-cache:' */
  withKeyPrefix(prefix: string): RemoteCacheConfig {
    return this.withSetting('keyPrefix', prefix);
  }

  /** Time to live of an entry, refreshed on each hit (`0` = until Redis evicts it). @default '7d' */
  withTtl(duration: number | string): RemoteCacheConfig {
    return this.withSetting('ttl', duration);
  }

  /** Largest artifact stored remotely. @default '320Mi' */
  withMaxEntrySize(bytes: number | string): RemoteCacheConfig {
    return this.withSetting('maxEntrySize', bytes);
  }

  /** Bytes per Redis value, 64Ki to 256Mi. @default '4Mi' */
  withChunkSize(bytes: number | string): RemoteCacheConfig {
    return this.withSetting('chunkSize', bytes);
  }

  /** Connect and command timeouts. @default '2s' and '5s' */
  withTimeouts(connect: number | string, command: number | string): RemoteCacheConfig {
    return this.withSetting('connectTimeout', connect).withSetting('commandTimeout', command);
  }

  /** TLS options for a `rediss://` URL. */
  withTls(options: { caFile?: string; rejectUnauthorized?: boolean }): RemoteCacheConfig {
    let next: RemoteCacheConfig = this;
    if (options.caFile !== undefined) next = next.withSetting('tlsCaFile', options.caFile);
    if (options.rejectUnauthorized !== undefined) next = next.withSetting('tlsRejectUnauthorized', options.rejectUnauthorized);
    return next;
  }

  /** The signing secret (at least 32 bytes). Prefer the `WASM_CACHE_SIGNING_KEY` variable or a key file over code. */
  withSigningKey(key: string): RemoteCacheConfig {
    return this.withSetting('signingKey', key);
  }

  /** An absolute path of a file holding the signing secret. */
  withSigningKeyFile(path: string): RemoteCacheConfig {
    return this.withSetting('signingKeyFile', path);
  }

  /** Opt in to an unsigned shared cache (every writer trusted). @default false */
  withAllowUnsigned(allow: boolean): RemoteCacheConfig {
    return this.withSetting('allowUnsigned', allow);
  }

  /** Bytes held by the in-process tier. @default '256Mi' */
  withMemoryTierSize(bytes: number | string): RemoteCacheConfig {
    return this.withSetting('memoryTierSize', bytes);
  }

  /** Where a setting's value came from. */
  origin(name: RemoteSettingName): SettingOrigin {
    return this.#origins[name] ?? { kind: 'default' };
  }

  /** Every problem; empty when valid. Never throws; never contains a secret. */
  problems(): readonly ConfigProblem[] {
    const validation = this.#validate();
    return validation.ok ? [] : validation.problems;
  }

  /** @throws CacheConfigError listing every problem (secrets redacted). */
  validate(): this {
    this.settings();
    return this;
  }

  /**
   * Every setting, validated, in base units. This holds the secrets: pass it
   * to the store, never to a log (use {@link RemoteCacheConfig.toJSON}).
   *
   * @throws CacheConfigError when invalid.
   */
  settings(): Readonly<ResolvedRemoteSettings> {
    const validation = this.#validate();
    if (!validation.ok) throw new CacheConfigError(validation.problems, 'Invalid remote cache configuration');
    return validation.settings;
  }

  /** The effective settings with the password and signing key replaced by `<redacted>` and the URL's password by `***`. */
  toJSON(): Record<string, unknown> {
    const settings = this.settings();
    const out: Record<string, unknown> = {};
    for (const name of REMOTE_SETTING_NAMES) {
      const value = displayRemoteValue(name, settings[name]);
      if (value !== undefined) out[name] = value;
    }
    return out;
  }

  /** Same as {@link RemoteCacheConfig.toJSON}, so string interpolation and `util.inspect` never show a secret. */
  toString(): string {
    return `RemoteCacheConfig ${JSON.stringify(this.#display())}`;
  }

  /** @internal For `console.log` / `util.inspect`. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }

  #display(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const name of REMOTE_SETTING_NAMES) {
      const value = displayRemoteValue(name, this.#values[name]);
      if (value !== undefined) out[name] = value;
    }
    return out;
  }

  #validate(): Validation {
    if (this.#validation) return this.#validation;
    const input: Record<string, RemoteSettingInput | undefined> = {};
    for (const name of REMOTE_SETTING_NAMES) input[name] = this.#values[name] ?? REMOTE_SETTINGS[name].defaultValue;
    const result = remoteSettingsSchemaOf().safeParse(input);
    if (result.success) {
      this.#validation = { ok: true, settings: Object.freeze(result.data) };
      return this.#validation;
    }
    const problems = result.error.issues.map((issue): ConfigProblem => {
      const name = issue.path[0] as RemoteSettingName;
      const known = Object.hasOwn(REMOTE_SETTINGS, name);
      const origin = this.#origins[name];
      const setting = !known ? String(name) : origin?.kind === 'file' ? REMOTE_SETTINGS[name].fileKey : origin?.kind === 'env' ? origin.variable : name;
      const value = known ? displayRemoteValue(name, this.#values[name] ?? REMOTE_SETTINGS[name].defaultValue) : REDACTED;
      return { setting, value, rule: issue.message, ...(origin ? { origin } : {}) };
    });
    this.#validation = { ok: false, problems };
    return this.#validation;
  }
}
