import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  absoluteDefaultConfigFilePath,
  CacheConfig,
  CacheConfigError,
  DEFAULT_ENV_PREFIX,
  RemoteCacheConfig,
  describeOrigin,
  SETTING_NAMES,
  type SettingName,
  type SettingOrigin,
} from '@cache/config';
import { loadCacheFileSync } from '@cache/toml';

/** Options every command takes. */
export interface GlobalOptions {
  /** A TOML file (`--config`); empty is refused (see {@link resolveCliConfig}). */
  config?: string;
  /** The cache directory (`--dir`), over every other source; a relative one is below the current folder (see {@link flagDirectory}). */
  dir?: string;
}

/** The effective configuration and where it came from. */
export interface CliConfig {
  readonly config: CacheConfig;
  /** The TOML file read, if any. */
  readonly file: string | undefined;
  /** The shared remote tier (`[wasm-cache.remote]`, with `WASM_CACHE_REMOTE_URL` and the other remote tier variables, `REMOTE_ENV`), validated; undefined when neither sets a URL. */
  readonly remote: RemoteCacheConfig | undefined;
}

/**
 * The configuration a command uses, each source over the one before:
 * defaults, the TOML file (`--config`, else `WASM_CACHE_CONFIG_FILE`, else the
 * default file when it exists and its path is absolute), `WASM_CACHE_*`
 * variables, then flags.
 *
 * @throws CacheConfigError (an empty `--config` too), TomlSyntaxError or ConfigFileAccessError.
 */
export function resolveCliConfig(options: GlobalOptions, env: NodeJS.ProcessEnv = process.env): CliConfig {
  // An empty flag names no file: refused, as an empty --dir is, rather than read as no flag at all (which
  // would silently pass over WASM_CACHE_CONFIG_FILE and the default file).
  if (options.config === '') {
    throw new CacheConfigError([
      {
        setting: 'configuration file',
        value: '',
        rule: `must not be empty: name a TOML file, or leave --config out to read $${DEFAULT_ENV_PREFIX}CONFIG_FILE or the per-user file`,
        origin: { kind: 'object', label: 'flag --config' },
      },
    ]);
  }
  // An empty variable counts as unset, as everywhere else (the environment overlay, the engine's hook).
  const fromEnv = env[`${DEFAULT_ENV_PREFIX}CONFIG_FILE`];
  const named = options.config ?? (fromEnv === '' ? undefined : fromEnv);
  // None with a relative HOME: not a file below whatever the current folder is.
  const defaultFile = absoluteDefaultConfigFilePath();
  const file = named ?? (defaultFile !== undefined && existsSync(defaultFile) ? defaultFile : undefined);
  const loaded = file ? loadCacheFileSync(file, { env }) : undefined;
  const remote = loaded?.remote ?? (env['WASM_CACHE_REMOTE_URL'] ? RemoteCacheConfig.fromEnv(env).validate() : undefined);
  // --dir is laid under the environment as well as over it: fromEnv validates what it builds, and the
  // default directory it would otherwise check (a relative HOME makes it invalid) is not the one used.
  const withFlag = (config: CacheConfig): CacheConfig =>
    options.dir === undefined ? config : config.withSetting('directory', flagDirectory(options.dir), { kind: 'object', label: 'flag --dir' });
  const base = withFlag(loaded?.cache ?? CacheConfig.default());
  // The engine's own variables (WASM_CACHE_PRELOAD, ...) are known to fromEnv (NON_SETTING_ENV_VARIABLES).
  const config = withFlag(CacheConfig.fromEnv(env, DEFAULT_ENV_PREFIX, { base }));
  return { config: config.validate(), file, remote };
}

/**
 * `--dir` as the cache directory: a relative path is below the current
 * folder, made absolute here (the configuration takes only absolute ones, and
 * the engine's producer, a child process, is handed it). Empty stays empty,
 * for the configuration to refuse, rather than becoming the current folder.
 */
export function flagDirectory(dir: string): string {
  return dir === '' ? dir : resolve(dir);
}

/** Where each setting came from, in words: `default`, `/etc/x.toml:3:1`, `environment variable …`, `flag --dir`. */
export function originsOf(config: CacheConfig): Record<SettingName, string> {
  const origins = {} as Record<SettingName, string>;
  for (const name of SETTING_NAMES) {
    const origin: SettingOrigin = config.origin(name);
    origins[name] = origin.kind === 'object' ? origin.label : describeOrigin(origin);
  }
  return origins;
}
