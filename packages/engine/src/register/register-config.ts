import { CacheConfig, DEFAULT_ENV_PREFIX } from '@cache/config';
import { loadCacheConfigSync, loadDefaultCacheConfig } from '@cache/toml';

/** The variable that names a TOML file for `@cache/engine/register`. */
export const CONFIG_FILE_ENV = `${DEFAULT_ENV_PREFIX}CONFIG_FILE`;

/**
 * The configuration `@cache/engine/register` uses: the TOML file named by
 * `WASM_CACHE_CONFIG_FILE`, else the default file when it exists, else the
 * defaults; then `WASM_CACHE_*` variables laid over it.
 *
 * @throws CacheConfigError, TomlSyntaxError or ConfigFileAccessError.
 */
export function registerConfig(env: Readonly<Record<string, string | undefined>> = process.env): CacheConfig {
  const file = env[CONFIG_FILE_ENV];
  const base = file ? loadCacheConfigSync(file) : loadDefaultCacheConfig().config;
  // The hook's own variables (WASM_CACHE_PRELOAD, WASM_CACHE_PRODUCER) are not cache settings.
  return CacheConfig.fromEnv(env, DEFAULT_ENV_PREFIX, { base, allow: ['PRELOAD', 'PRODUCER'] });
}
