import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { CacheConfig, DEFAULT_ENV_PREFIX, defaultConfigFilePath, type ArtifactTier, type Config } from '@cache/config';

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
 * Asynchronous so that the TOML reader (`@cache/toml`) is loaded only when a
 * file is actually read: a process configured by its environment alone does
 * not pay for loading it at start-up.
 *
 * @throws (rejects with) CacheConfigError, TomlSyntaxError or ConfigFileAccessError.
 */
export async function registerConfig(env: Readonly<Record<string, string | undefined>> = process.env): Promise<CacheConfig> {
  const named = env[CONFIG_FILE_ENV];
  // No file named: the default file, only if it exists (what `loadDefaultCacheConfig` does).
  const file = named ? named : existingDefaultFile();
  const base = file === undefined ? CacheConfig.default() : (await tomlReader()).loadCacheConfigSync(file);
  return CacheConfig.fromEnv(env, DEFAULT_ENV_PREFIX, { base, allow: ENGINE_ENV_SUFFIXES });
}

function existingDefaultFile(): string | undefined {
  const file = defaultConfigFilePath();
  return existsSync(file) ? file : undefined;
}

type TomlModule = typeof import('@cache/toml');

/**
 * `@cache/toml`, built on the same `@cache/config` as this module. In this
 * package's CommonJS build, `import()` gives the TOML package's ES module
 * build, whose `CacheConfig` and errors are other classes than this build's
 * (this build's `CacheConfig` cannot read such a value's private state):
 * `require` gives the CommonJS build, as the static import used to.
 */
async function tomlReader(): Promise<TomlModule> {
  const toml = await import('@cache/toml');
  if (toml.CacheConfig.prototype instanceof CacheConfig) return toml;
  return createRequire(import.meta.url)('@cache/toml') as TomlModule;
}
