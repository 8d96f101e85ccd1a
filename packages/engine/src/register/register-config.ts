import { CacheConfig, DEFAULT_ENV_PREFIX, REMOTE_ENV, RemoteCacheConfig, type ArtifactTier, type Config } from '@cache/config';
import { loadCacheFileSync, loadDefaultCacheConfig } from '@cache/toml';
import { PRODUCER_ENV } from '../producer/producer-protocol.js';
import { PRELOAD_ENV } from './preload.js';

/** The variable that chooses the artifact tier (`hot` or `full`, see `Config.withArtifactTier`). */
export const ARTIFACT_TIER_ENV = `${DEFAULT_ENV_PREFIX}ARTIFACT_TIER`;

/**
 * The suffixes of the variables with the cache's prefix that are the
 * engine's own, not cache settings (`WASM_CACHE_PRELOAD`,
 * `WASM_CACHE_PRODUCER`, `WASM_CACHE_ARTIFACT_TIER`). `CacheConfig.fromEnv`
 * knows them already (they are in `@cache/config`'s
 * `NON_SETTING_ENV_VARIABLES`), so they need not be passed as its `allow`.
 */
export const ENGINE_ENV_SUFFIXES: readonly string[] = Object.freeze(
  [PRELOAD_ENV, PRODUCER_ENV, ARTIFACT_TIER_ENV].map((variable) => variable.slice(DEFAULT_ENV_PREFIX.length)),
);

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

/** What `@cache/engine/register` is configured with: the cache, and the shared remote tier when one is configured. */
export interface RegisterSettings {
  readonly cache: CacheConfig;
  /** From the file's `[wasm-cache.remote]` table and `WASM_CACHE_REMOTE_URL` & co.; undefined when neither names one. */
  readonly remote: RemoteCacheConfig | undefined;
}

/**
 * The settings `@cache/engine/register` uses: the TOML file named by
 * `WASM_CACHE_CONFIG_FILE`, else the default file when it exists, else the
 * defaults; then `WASM_CACHE_*` variables laid over it. A remote tier is
 * configured by the file's `[wasm-cache.remote]` table or by
 * `WASM_CACHE_REMOTE_URL`, with `WASM_CACHE_SIGNING_KEY` (or `_FILE`),
 * `WASM_CACHE_REMOTE_ALLOW_UNSIGNED` and `WASM_CACHE_REMOTE_TLS_CA_FILE` laid
 * over it. The file is read once, synchronously.
 *
 * @throws CacheConfigError, TomlSyntaxError or ConfigFileAccessError.
 */
export function registerSettings(env: Readonly<Record<string, string | undefined>> = process.env): RegisterSettings {
  const file = env[CONFIG_FILE_ENV];
  let base: CacheConfig;
  let fileRemote: RemoteCacheConfig | undefined;
  if (file) ({ cache: base, remote: fileRemote } = loadCacheFileSync(file, { env }));
  else ({ config: base, remote: fileRemote } = loadDefaultCacheConfig({ env }));
  // The engine's own variables (ENGINE_ENV_SUFFIXES) are known to fromEnv: NON_SETTING_ENV_VARIABLES.
  const cache = CacheConfig.fromEnv(env, DEFAULT_ENV_PREFIX, { base });
  // The file's table already has the environment laid over it (ParseOptions.env).
  const remote = fileRemote ?? (env[REMOTE_ENV.url] ? RemoteCacheConfig.fromEnv(env).validate() : undefined);
  return { cache, remote };
}

/**
 * The cache configuration `@cache/engine/register` uses (see
 * {@link registerSettings}).
 *
 * @throws (rejects with) CacheConfigError, TomlSyntaxError or ConfigFileAccessError.
 */
export async function registerConfig(env: Readonly<Record<string, string | undefined>> = process.env): Promise<CacheConfig> {
  return registerSettings(env).cache;
}
