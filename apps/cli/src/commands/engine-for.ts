import { ARTIFACT_TIER_ENV, Config, Engine, type ArtifactTier } from '@cache/engine';
import type { CacheConfig } from '@cache/config';

/**
 * An engine over the CLI's configuration. The artifact tier is `tier` when
 * given (`compile` always makes full artifacts), else `WASM_CACHE_ARTIFACT_TIER`,
 * else the engine's default.
 */
export function engineFor(config: CacheConfig, tier?: ArtifactTier, env: NodeJS.ProcessEnv = process.env): Engine {
  let engineConfig = Config.default().cacheConfig(config);
  const fromEnv = env[ARTIFACT_TIER_ENV];
  if (tier !== undefined) engineConfig = engineConfig.withArtifactTier(tier);
  else if (fromEnv !== undefined && fromEnv !== '') engineConfig = engineConfig.withArtifactTier(fromEnv as ArtifactTier, { kind: 'env', variable: ARTIFACT_TIER_ENV });
  return new Engine(engineConfig);
}
