import { CacheConfig, DEFAULT_ENV_PREFIX, type ArtifactTier, type Config } from '@cache/config';
import { loadCacheConfigSync, loadDefaultCacheConfig } from '@cache/toml';

/**
 * Variables with the cache's prefix that are the engine's own, not cache
 * settings (`WASM_CACHE_PRELOAD`, `WASM_CACHE_PRODUCER`,
 * `WASM_CACHE_ARTIFACT_TIER`): whoever reads cache settings from the
 * environment passes these as `allow`.
 */
export const ENGINE_ENV_SUFFIXES: readonly string[] = ['PRELOAD', 'PRODUCER', 'ARTIFACT_TIER'];

/** The variable that chooses the artifact tier (`hot` or `full`, see `Config.withArtifactTier`). */
export const ARTIFACT_TIER_ENV = `${DEFAULT_ENV_PREFIX}ARTIFACT_TIER`;

/**
 * `config` with the artifact tier `WASM_CACHE_ARTIFACT_TIER` names, or
 * unchanged when the variable is unset or empty.
 *
 * @throws CacheConfigError naming the variable when its value is not a tier.
 */
export function withArtifactTierFromEnv(config: Config, env: Readonly<Record<string, string | undefined>> = process.env): Config {
  const tier = env[ARTIFACT_TIER_ENV];
  if (tier === undefined || tier === '') return config;
  return config.withArtifactTier(tier as ArtifactTier, { kind: 'env', variable: ARTIFACT_TIER_ENV });
}

/** The variable that names a TOML file for `@cache/engine/register`. */
export const CONFIG_FILE_ENV = `${DEFAULT_ENV_PREFIX}CONFIG_FILE`;

/**
 * The configuration `@cache/engine/register` uses: the TOML file named by
 * `WASM_CACHE_CONFIG_FILE`, else the default file when it exists, else the
 * defaults; then `WASM_CACHE_*` variables laid over it.
 *
 * Resolves to the configuration; a file is read synchronously.
 *
 * @throws (rejects with) CacheConfigError, TomlSyntaxError or ConfigFileAccessError.
 */
export async function registerConfig(env: Readonly<Record<string, string | undefined>> = process.env): Promise<CacheConfig> {
  const file = env[CONFIG_FILE_ENV];
  const base = file ? loadCacheConfigSync(file) : loadDefaultCacheConfig().config;
  return CacheConfig.fromEnv(env, DEFAULT_ENV_PREFIX, { base, allow: ENGINE_ENV_SUFFIXES });
}
